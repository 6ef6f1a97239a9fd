// `node bench/bf16.mjs [--rounds=N] [--no-speed] [--no-accuracy]`
//
// What loadModel's `weights: 'bf16'` costs and gains, for docs/performance.md:
// - accuracy: every corpus case (../shared/corpus) whose checks compare outputs with Keras
//   (model_output, layer_output) or with an independent float64 NumPy pass (reference_output),
//   loaded twice - float32 and bf16 weights, same kernel build - and both compared with the
//   reference: the worst |error| and its share of the conformance tolerance (1e-5 + 1e-4 |ref|);
//   only cases where bf16 changed an output are listed (bf16 applies to LSTM / SimpleRNN).
// - speed: the benchmark's LSTM and SimpleRNN models (bench/out/models, 100 steps, 64 features)
//   at batch 1 and 32, float32 and bf16 timed in alternating rounds in this one process; the
//   median of per-round ratios, and how far bf16's outputs are from float32's.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchInput } from './inputs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 11);
const { loadModel } = await import(pathToFileURL(path.join(root, 'dist', 'index.js')).href);
const { readHdf5 } = await import(pathToFileURL(path.join(root, 'dist', 'formats', 'h5.js')).href);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];

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

async function accuracy() {
  const corpus = path.join(root, '..', 'shared', 'corpus');
  const manifestFile = path.join(corpus, 'manifest.json');
  if (!existsSync(manifestFile)) return console.log('accuracy: ../shared/corpus absent');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const at = (p) => path.join(corpus, p);
  const rows = [];
  let unchanged = 0;
  for (const c of manifest.cases) {
    const checks = c.checks.filter((k) => ((k.kind === 'model_output' || k.kind === 'layer_output') && k.input && c.io) || k.kind === 'reference_output');
    if (!checks.length) continue;
    const open = (weights) => {
      const options = { kernels: 'simd', weights };
      if (c.savedmodel) return loadModel(at(c.savedmodel), options);
      if (c.model) return loadModel(at(c.model), options);
      return loadModel({ config: at(c.config), ...(c.weights ? { weights: at(c.weights) } : {}) }, options);
    };
    const f32 = await open('float32');
    const bf16 = await open('bf16');
    for (const k of checks) {
      const pairs = [];
      if (k.kind === 'reference_output') {
        const ref = JSON.parse(readFileSync(at(c.reference), 'utf8'));
        const xs = ref.inputs.map((t) => ({ data: Float32Array.from(t.data.flat(Infinity)), shape: t.shape }));
        const run = (m) => [m.predict(xs.length === 1 ? xs[0] : xs)].flat();
        const a = run(f32);
        const b = run(bf16);
        ref.outputs.forEach((t, i) => pairs.push([a[i].data, b[i].data, Float64Array.from(t.data.flat(Infinity)), `reference_output ${i}`]));
      } else {
        const io = readHdf5(readFileSync(at(c.io)), c.io);
        const ds = io.dataset(k.input);
        const x = { data: ds.readFloat32(), shape: ds.shape };
        const expected = io.dataset(k.expected).readFloat32();
        const run = (m) => (k.kind === 'layer_output' ? m.predict(x, { outputs: [k.layer] })[0] : m.predict(x)).data;
        pairs.push([run(f32), run(bf16), expected, k.kind === 'layer_output' ? `layer ${k.layer}` : 'model output']);
      }
      for (const [a, b, ref, what] of pairs) {
        const ea = compare(a, ref);
        const eb = compare(b, ref);
        if (compare(b, a).err === 0) {
          unchanged++;
          continue;
        }
        rows.push({ id: c.id, what, f32: ea, bf16: eb, diff: compare(b, a).err, scale: Math.max(...Array.from(ref, Math.abs)) });
      }
    }
    f32.dispose();
    bf16.dispose();
  }
  console.log(`\naccuracy against the corpus references (kernels: simd; ${unchanged} compared outputs unchanged by bf16)`);
  console.log('| case | output | max abs output | float32 error (x tolerance) | bf16 error (x tolerance) | max abs bf16 - float32 |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.id} | ${r.what} | ${r.scale.toFixed(3)} | ${r.f32.err.toExponential(1)} (${r.f32.ratio.toFixed(2)}) | ${r.bf16.err.toExponential(1)} (${r.bf16.ratio.toFixed(1)}) | ${r.diff.toExponential(1)} |`);
  }
}

async function speed() {
  const modelsDir = path.join(here, 'out', 'models');
  const specs = ['lstm', 'simple_rnn'].flatMap((kind) => [128, 512].map((units) => ({ id: `${kind}-${units}`, kind, units, features: 64, steps: 100, arch: 'single', return_sequences: false })));
  const missing = specs.filter((s) => !existsSync(path.join(modelsDir, `${s.id}.h5`)));
  if (missing.length) {
    mkdirSync(modelsDir, { recursive: true });
    execFileSync('/usr/bin/python3', [path.join(here, 'make-models.py'), modelsDir], { input: JSON.stringify(missing), stdio: ['pipe', 'inherit', 'inherit'] });
  }
  console.log(`\nspeed: float32 vs bf16 weights, ${rounds} alternating rounds per case; Node ${process.version}; load average ${load()}`);
  console.log('| case | float32 ms | bf16 ms | bf16 speed-up (median of rounds) | max abs bf16 - float32 (max abs output) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const s of specs) {
    const bytes = readFileSync(path.join(modelsDir, `${s.id}.h5`));
    const a = await loadModel(bytes, { fileName: `${s.id}.h5` });
    const b = await loadModel(bytes, { fileName: `${s.id}.h5`, weights: 'bf16' });
    for (const batch of [1, 32]) {
      const x = { data: benchInput(batch * 100 * 64), shape: [batch, 100, 64] };
      const ya = a.predict(x).data;
      const yb = b.predict(x).data;
      const t0 = performance.now();
      while (performance.now() - t0 < 300) {
        a.predict(x);
        b.predict(x);
      }
      const s0 = performance.now();
      a.predict(x);
      const reps = Math.max(1, Math.round(20 / Math.max(0.01, performance.now() - s0)));
      const ta = [];
      const tb = [];
      const ratios = [];
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 ? [a, b] : [b, a];
        const t = new Map();
        for (const m of order) {
          const st = performance.now();
          for (let i = 0; i < reps; i++) m.predict(x);
          t.set(m, (performance.now() - st) / reps);
        }
        ta.push(t.get(a));
        tb.push(t.get(b));
        ratios.push(t.get(a) / t.get(b));
      }
      const d = compare(yb, ya).err;
      const scale = Math.max(...Array.from(ya, Math.abs));
      console.log(`| ${s.id}-b${batch} | ${median(ta).toFixed(3)} | ${median(tb).toFixed(3)} | x${median(ratios).toFixed(2)} | ${d.toExponential(1)} (${scale.toFixed(3)}) |`);
    }
    console.log(`  (${s.id} wasm memory: float32 ${(a.memoryBytes / 2 ** 20).toFixed(1)} MiB, bf16 ${(b.memoryBytes / 2 ** 20).toFixed(1)} MiB)`);
    a.dispose();
    b.dispose();
  }
  console.log(`load average after: ${load()}`);
}

if (!args.includes('--no-accuracy')) await accuracy();
if (!args.includes('--no-speed')) await speed();
