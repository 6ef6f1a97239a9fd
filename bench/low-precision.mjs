// `node bench/low-precision.mjs [--rounds=N] [--only=<case id part>] [--batches=1,32] [--no-speed] [--no-accuracy]`
//
// What loadModel's `weights: 'bf16'` and `weights: 'int8'` cost and gain, for docs/precision.md:
// - accuracy: every model of the corpus (../shared/corpus) and of the project's fixtures
//   (test/fixtures/**/manifest.json) that kerasrnn loads and that has a recurrent layer, loaded
//   three times (float32, bf16, int8 weights; same kernel build). Where a case has reference
//   outputs (Keras' own, or an independent float64 pass) each variant's worst |error| and its
//   share of the conformance tolerance (1e-5 + 1e-4 |ref|) are reported; every case also reports
//   how far bf16 and int8 are from float32 (on the reference input, else a fixed input).
// - speed: the benchmark's LSTM, GRU (reset_after False, as the main benchmark, and True) and
//   SimpleRNN models (bench/out/models, 100 steps, 64 features) at 128 and 512 units, batch 1
//   and 32, float32 / bf16 / int8 timed in interleaved rounds in this one process (the order
//   rotates every round): the median of per-round time ratios, and each variant's minimum time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchInput } from './inputs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 15);
const only = args.find((a) => a.startsWith('--only='))?.slice(7);
const batches = (args.find((a) => a.startsWith('--batches='))?.slice(10) ?? '1,32').split(',').map(Number);
const { loadModel } = await import(pathToFileURL(path.join(root, 'dist', 'index.js')).href);
const { readHdf5 } = await import(pathToFileURL(path.join(root, 'dist', 'formats', 'h5.js')).href);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const LOW = ['bf16', 'int8'];

function compare(ours, ref) {
  let err = 0;
  let ratio = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(ours[i] - ref[i]);
    err = Math.max(err, e);
    ratio = Math.max(ratio, e / (1e-5 + 1e-4 * Math.abs(ref[i])));
  }
  return { err, ratio };
}

/** The outputs to compare for one case: [{ what, run(model) -> Float32Array[], ref | null }]. */
function probes(c, at) {
  const out = [];
  for (const k of c.checks ?? []) {
    if (k.kind === 'reference_output') {
      const ref = JSON.parse(readFileSync(at(c.reference), 'utf8'));
      const xs = ref.inputs.map((t) => ({ data: Float32Array.from(t.data.flat(Infinity)), shape: t.shape }));
      ref.outputs.forEach((t, i) => out.push({ what: `reference_output ${i}`, run: (m) => [m.predict(xs.length === 1 ? xs[0] : xs)].flat()[i].data, ref: Float64Array.from(t.data.flat(Infinity)) }));
    } else if ((k.kind === 'model_output' || k.kind === 'layer_output') && (k.input || k.inputs) && c.io) {
      // as test/support/manifest-cases.js reads them: several inputs, and outputs by index
      const io = readHdf5(readFileSync(at(c.io)), c.io);
      const xs = (k.inputs ?? [k.input]).map((p) => {
        const ds = io.dataset(p);
        return { data: ds.readFloat32(), shape: ds.shape };
      });
      const x = xs.length === 1 ? xs[0] : xs;
      const ref = io.dataset(k.expected).readFloat32();
      const name = k.output === undefined ? k.layer : `${k.layer}:${k.output}`;
      const run = (m) => (k.kind === 'layer_output' ? m.predict(x, { outputs: [name] })[0] : [m.predict(x)].flat()[k.output ?? 0]).data;
      out.push({ what: k.kind === 'layer_output' ? `layer ${name}` : `model output${k.output === undefined ? '' : ` ${k.output}`}`, run, ref });
    }
  }
  return out;
}

/**
 * A fixed input for a model without reference outputs: batch 2, 8 steps where free, values in
 * [0, 1); a model that takes token ids (Embedding) gets ids 0-3 instead.
 */
function fixedInput(m) {
  const make = (ids) => m.inputs.map((inp) => {
    const shape = [2, ...inp.shape.slice(1).map((d, i) => d ?? (i === 0 ? 8 : 4))];
    const n = shape.reduce((a, b) => a * b, 1);
    return { data: benchInput(n).map((v) => (ids ? Math.floor((v + 1) * 2) : (v + 1) / 2)), shape };
  });
  const predict = (model, xs) => [model.predict(xs.length === 1 ? xs[0] : xs)].flat()[0].data;
  let ids = false;
  try {
    predict(m, make(false));
  } catch {
    ids = true;
  }
  return [{ what: ids ? 'fixed token ids' : 'fixed input', run: (model) => predict(model, make(ids)), ref: null }];
}

async function accuracyOf(title, dir, manifestFile) {
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  if (!Array.isArray(manifest.cases)) return;
  const at = (p) => path.join(dir, p);
  const rows = [];
  const counts = { cases: 0, noRecurrent: 0, notLoaded: 0, failed: 0 };
  for (const c of manifest.cases) {
    if (!c.model && !c.savedmodel && !c.config) continue;
    counts.cases++;
    const open = (weights) => {
      const options = { kernels: 'simd', weights };
      if (c.savedmodel) return loadModel(at(c.savedmodel), options);
      if (c.model) return loadModel(at(c.model), options);
      return loadModel({ config: at(c.config), ...(c.weights ? { weights: at(c.weights) } : {}) }, options);
    };
    let models;
    try {
      models = { float32: await open('float32') };
      if (!models.float32.info.kernels) throw new Error('no weights');
    } catch {
      counts.notLoaded++;
      continue;
    }
    if (models.float32.layers.length === 0 || (await open('int8').then((m) => ((models.int8 = m), m.info.lowPrecisionLayers.length === 0)))) {
      counts.noRecurrent++;
      Object.values(models).forEach((m) => m.dispose());
      continue;
    }
    models.bf16 = await open('bf16');
    let list = [];
    try {
      list = probes(c, at);
    } catch {
      list = [];
    }
    if (!list.length) list = fixedInput(models.float32);
    for (const p of list) {
      try {
        const y = Object.fromEntries(Object.entries(models).map(([k, m]) => [k, p.run(m)]));
        const base = p.ref ?? y.float32;
        rows.push({
          id: c.id,
          what: p.what,
          scale: Math.max(...Array.from(base, Math.abs)),
          ref: p.ref ? Object.fromEntries(Object.keys(y).map((k) => [k, compare(y[k], p.ref)])) : null,
          diff: Object.fromEntries(LOW.map((k) => [k, compare(y[k], y.float32)])),
        });
      } catch (e) {
        counts.failed++;
        rows.push({ id: c.id, what: `${p.what}: not run (${e.message.slice(0, 60)})` });
      }
    }
    Object.values(models).forEach((m) => m.dispose());
  }
  // One row per case: its worst output (largest share of the tolerance, or of |low - float32|).
  const fmt = (e) => (e ? `${e.err.toExponential(1)} (${e.ratio < 10 ? e.ratio.toFixed(2) : e.ratio.toFixed(0)})` : '-');
  const cases = new Map();
  for (const r of rows) {
    const c = cases.get(r.id) ?? { id: r.id, outputs: 0, notRun: [], changed: 0 };
    cases.set(r.id, c);
    if (!r.diff) {
      c.notRun.push(r.what);
      continue;
    }
    c.outputs++;
    if (r.diff.bf16.err > 0 || r.diff.int8.err > 0) c.changed++;
    const worse = (k, a, b) => (!a || (b.ref ? b.ref[k].ratio > a.ref[k].ratio : b.diff[k === 'float32' ? 'int8' : k].err > a.diff[k === 'float32' ? 'int8' : k].err) ? b : a);
    for (const k of ['float32', ...LOW]) c[k] = worse(k, c[k], r);
  }
  console.log(`\n### ${title}\n`);
  console.log(`${counts.cases} cases with a model: ${counts.notLoaded} not loaded with weights, ${counts.noRecurrent} without an LSTM / GRU / SimpleRNN layer; ${cases.size} cases (${rows.length} outputs) compared, one row per case with its worst output per column.\n`);
  console.log('| case | outputs (changed) | float32 error (x tol) | bf16 error (x tol) | int8 error (x tol) | max abs bf16 - float32 (max abs output) | max abs int8 - float32 (max abs output) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of cases.values()) {
    const note = c.notRun.length ? `; not run: ${c.notRun.join(', ')}` : '';
    if (!c.outputs) {
      console.log(`| ${c.id} | 0${note} | | | | | |`);
      continue;
    }
    const d = (k) => `${c[k].diff[k].err.toExponential(1)} (${c[k].scale.toPrecision(3)})`;
    console.log(`| ${c.id} | ${c.outputs} (${c.changed})${note} | ${fmt(c.float32.ref?.float32)} | ${fmt(c.bf16.ref?.bf16)} | ${fmt(c.int8.ref?.int8)} | ${d('bf16')} | ${d('int8')} |`);
  }
  const compared = rows.filter((r) => r.diff);
  const worst = (k) => Math.max(0, ...compared.filter((r) => r.ref).map((r) => r.ref[k].ratio));
  const rel = (k) => median(compared.filter((r) => r.scale > 0).map((r) => r.diff[k].err / r.scale));
  const maxRel = (k) => Math.max(0, ...compared.filter((r) => r.scale > 0).map((r) => r.diff[k].err / r.scale));
  if (compared.length) {
    console.log(`\nworst error x tolerance against the references: float32 ${worst('float32').toFixed(2)}, bf16 ${worst('bf16').toFixed(1)}, int8 ${worst('int8').toFixed(1)}`);
    console.log(`max |low - float32| / max |output| per output: median bf16 ${rel('bf16').toExponential(1)}, int8 ${rel('int8').toExponential(1)}; worst bf16 ${maxRel('bf16').toExponential(1)}, int8 ${maxRel('int8').toExponential(1)}`);
  }
}

async function accuracy() {
  const corpus = path.join(root, '..', 'shared', 'corpus');
  if (existsSync(path.join(corpus, 'manifest.json'))) await accuracyOf('corpus (../shared/corpus)', corpus, path.join(corpus, 'manifest.json'));
  else console.log('accuracy: ../shared/corpus absent, skipped');
  const fixtures = path.join(root, 'test', 'fixtures');
  for (const sub of ['', ...readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)]) {
    const file = path.join(fixtures, sub, 'manifest.json');
    if (existsSync(file)) await accuracyOf(`fixtures: test/fixtures/${sub}`, path.join(fixtures, sub), file);
  }
}

async function speed() {
  const modelsDir = path.join(here, 'out', 'models');
  const kinds = [['lstm', 'lstm'], ['gru', 'gru'], ['gru_ra', 'gru'], ['simple_rnn', 'simple_rnn']];
  let specs = kinds.flatMap(([name, kind]) =>
    [128, 512].map((units) => ({ id: `${name}-${units}`, kind, units, features: 64, steps: 100, arch: 'single', return_sequences: false, ...(name === 'gru_ra' ? { reset_after: true } : {}) })),
  );
  if (only) specs = specs.filter((s) => s.id.includes(only));
  const missing = specs.filter((s) => !existsSync(path.join(modelsDir, `${s.id}.h5`)));
  if (missing.length) {
    mkdirSync(modelsDir, { recursive: true });
    execFileSync('/usr/bin/python3', [path.join(here, 'make-models.py'), modelsDir], { input: JSON.stringify(missing), stdio: ['pipe', 'inherit', 'inherit'] });
  }
  console.log(`\nspeed: float32 / bf16 / int8 weights, ${rounds} interleaved rounds per case (order rotating); Node ${process.version}; ${os.cpus().length} cores; load average ${load()}`);
  console.log('| case | float32 ms (min) | bf16 ms (min) | int8 ms (min) | bf16 speed-up (median of rounds) | int8 speed-up (median of rounds) | max abs bf16 - f32 | max abs int8 - f32 (max abs output) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of specs) {
    const bytes = readFileSync(path.join(modelsDir, `${s.id}.h5`));
    const names = ['float32', ...LOW];
    const models = [];
    for (const weights of names) models.push(await loadModel(bytes, { fileName: `${s.id}.h5`, weights, sequenceThreads: 1 }));
    for (const batch of batches) {
      const x = { data: benchInput(batch * 100 * 64), shape: [batch, 100, 64] };
      const ys = models.map((m) => m.predict(x).data);
      const t0 = performance.now();
      while (performance.now() - t0 < 300) for (const m of models) m.predict(x);
      const s0 = performance.now();
      models[0].predict(x);
      const reps = Math.max(1, Math.round(20 / Math.max(0.01, performance.now() - s0)));
      const times = models.map(() => []);
      for (let r = 0; r < rounds; r++) {
        for (let j = 0; j < models.length; j++) {
          const i = (j + r) % models.length;
          const st = performance.now();
          for (let n = 0; n < reps; n++) models[i].predict(x);
          times[i].push((performance.now() - st) / reps);
        }
      }
      const ratio = (i) => median(times[0].map((t, r) => t / times[i][r]));
      const scale = Math.max(...Array.from(ys[0], Math.abs));
      console.log(`| ${s.id}-b${batch} | ${Math.min(...times[0]).toFixed(2)} | ${Math.min(...times[1]).toFixed(2)} | ${Math.min(...times[2]).toFixed(2)} | x${ratio(1).toFixed(2)} | x${ratio(2).toFixed(2)} | ${compare(ys[1], ys[0]).err.toExponential(1)} | ${compare(ys[2], ys[0]).err.toExponential(1)} (${scale.toFixed(3)}) |`);
    }
    console.log(`  (${s.id} wasm memory: ${models.map((m, i) => `${names[i]} ${(m.memoryBytes / 2 ** 20).toFixed(1)} MiB`).join(', ')})`);
    models.forEach((m) => m.dispose());
  }
  console.log(`load average after: ${load()}`);
}

if (!args.includes('--no-accuracy')) await accuracy();
if (!args.includes('--no-speed')) await speed();
