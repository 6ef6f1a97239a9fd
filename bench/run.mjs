// `npm run bench [-- --quick] [-- --only=<substring>] [-- --peers=<names>] [-- --no-write] [-- --report-only]`
//
// Runs kerasrnn and its peers (TF.js cpu / wasm, ONNX Runtime web / node, a scalar TypeScript floor)
// side by side in this one process on identical weights and inputs, then writes
// bench/results.json, bench/results.md, bench/results.svg, the README's benchmark section and the
// results part of docs/benchmarks.md. `--quick` (under a minute) runs a few headline cases and
// writes to bench/out/ only. Models are generated once into bench/out/models by
// bench/make-models.py (/usr/bin/python3 with numpy + h5py); nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchInput } from './inputs.mjs';
import { kerasrnnPeer, ortNodePeer, ortWebPeer, scalarPeer, tfjsPeer } from './peers.mjs';
import { writeReports } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = !args.includes('--no-write');
const only = args.find((a) => a.startsWith('--only='))?.slice(7);
// `--peers=ort-web,ort-node`: only the peers whose name contains one of these (case-insensitive),
// besides kerasrnn itself (the reference every output is compared with); for quick side-by-side
// runs while tuning a kernel, without waiting for the slow TF.js cpu runs.
const peerFilter = args.find((a) => a.startsWith('--peers='))?.slice(8).toLowerCase().split(',').filter(Boolean);
const wanted = (name) => !peerFilter || name === 'kerasrnn' || peerFilter.some((f) => name.toLowerCase().includes(f));
const modelsDir = path.join(here, 'out', 'models');
const started = performance.now();
const log = (...a) => console.log(...a);

const T = 100;
const F = 64;
const GATES = { lstm: 4, gru: 3, simple_rnn: 1 };

// ------------------------------------------------------------------------------------------------
// cases

function modelSpec(kind, units, arch, rs, units2) {
  const id = `${arch === 'single' ? '' : arch + '-'}${kind}-${units}${units2 ? '-' + units2 : ''}${rs ? '-seq' : ''}`;
  return { id, kind, units, features: F, steps: T, arch, return_sequences: rs, ...(units2 ? { units2 } : {}) };
}
function caseOf(spec, batch) {
  return { ...spec, batch, caseId: `${spec.id}-b${batch}` };
}
function allCases() {
  const cases = [];
  if (quick) {
    for (const [kind, units, batch] of [['lstm', 128, 1], ['lstm', 128, 32], ['gru', 128, 1], ['simple_rnn', 128, 1], ['lstm', 512, 1], ['lstm', 512, 32]]) {
      cases.push(caseOf(modelSpec(kind, units, 'single', false), batch));
    }
    cases.push(caseOf(modelSpec('lstm', 128, 'stacked', false), 1), caseOf(modelSpec('lstm', 128, 'bidirectional', false), 1));
    return cases;
  }
  for (const kind of ['lstm', 'gru', 'simple_rnn']) {
    for (const units of [32, 128, 512]) for (const batch of [1, 32]) cases.push(caseOf(modelSpec(kind, units, 'single', false), batch));
    for (const batch of [1, 32]) cases.push(caseOf(modelSpec(kind, 128, 'single', true), batch));
  }
  for (const arch of ['stacked', 'bidirectional']) {
    for (const batch of [1, 32]) cases.push(caseOf(modelSpec('lstm', 128, arch, false), batch), caseOf(modelSpec('lstm', 128, arch, true), batch));
  }
  return cases;
}
const LOAD_SPEC = modelSpec('lstm', 512, 'stacked', false, 384); // ~10 MB of float32 weights

/** Multiply-adds of the gate matrices x2 (per layer and direction: B * T * G*U * (in + U)). */
function flopsOf(c) {
  const G = GATES[c.kind];
  const layer = (inSize, U) => 2 * c.batch * c.steps * G * U * (inSize + U);
  if (c.arch === 'single') return layer(F, c.units);
  if (c.arch === 'stacked') return layer(F, c.units) + layer(c.units, c.units2 ?? c.units);
  return 2 * layer(F, c.units);
}

// ------------------------------------------------------------------------------------------------
// models and inputs

function ensureModels(specs) {
  // Cached models are only valid for the generator that wrote them.
  const stampFile = path.join(modelsDir, 'generator.sha256');
  const stamp = createHash('sha256')
    .update(readFileSync(path.join(here, 'make-models.py')))
    .update(readFileSync(path.join(here, '..', 'scripts', 'fixtures', 'keras_h5.py')))
    .digest('hex');
  if (existsSync(modelsDir) && (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp)) rmSync(modelsDir, { recursive: true, force: true });
  mkdirSync(modelsDir, { recursive: true });
  writeFileSync(stampFile, stamp);
  const missing = specs.filter((s) => !existsSync(path.join(modelsDir, `${s.id}.h5`)));
  if (missing.length === 0) return;
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  log(`writing ${missing.length} Keras model(s) with ${python} bench/make-models.py ...`);
  try {
    execFileSync(python, [path.join(here, 'make-models.py'), modelsDir], { input: JSON.stringify(missing), stdio: ['pipe', 'inherit', 'inherit'] });
  } catch (e) {
    throw new Error(`bench/make-models.py failed (it needs python3 with numpy and h5py: apt-get install python3-numpy python3-h5py): ${e.message}`);
  }
}

async function loadWeights(spec) {
  const bin = await readFile(path.join(modelsDir, `${spec.id}.weights.bin`));
  const manifest = JSON.parse(await readFile(path.join(modelsDir, `${spec.id}.weights.json`), 'utf8'));
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const arr = (m) => all.subarray(m.offset, m.offset + m.shape.reduce((a, b) => a * b, 1));
  const layers = [];
  for (let i = 0; i < manifest.length; i += 3) {
    const [k, r, b] = manifest.slice(i, i + 3);
    layers.push({ units: r.shape[0], kernel: arr(k), recurrent: arr(r), bias: arr(b) });
  }
  return layers;
}

function inputFor(c) {
  return benchInput(c.batch * c.steps * c.features);
}

// ------------------------------------------------------------------------------------------------
// timing

const budget = quick
  ? { warmMs: 150, measureMs: 200, minRuns: 5, maxRuns: 200, capMs: 1000 }
  : { warmMs: 400, measureMs: 1200, minRuns: 9, maxRuns: 500, capMs: 8000 };

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { medianMs: q(0.5), p10Ms: q(0.1), p90Ms: q(0.9), minMs: s[0], maxMs: s[s.length - 1], runs: s.length };
}

/**
 * First run, then warm-up runs for the mode's warm-up time (V8 swaps Liftoff code for TurboFan
 * code in the background). A peer whose first run already exceeds the cap is measured by that one
 * run (its times are in seconds: compilation and warm-up are noise there).
 */
async function warmUp(run) {
  let s = performance.now();
  let output = await run();
  let last = performance.now() - s;
  if (last > budget.capMs) return { output, last, single: [last] };
  const w0 = performance.now();
  let warm = 1;
  while ((warm < 2 || performance.now() - w0 < budget.warmMs) && last <= budget.measureMs) {
    s = performance.now();
    output = await run();
    last = performance.now() - s;
    warm++;
  }
  return { output, last };
}

/** Timed runs of one peer on its own, until the mode's measuring time is spent. */
async function timeAlone(run, last) {
  const minRuns = last > budget.measureMs ? 1 : last > budget.measureMs / 3 ? 3 : budget.minRuns;
  const times = [];
  const m0 = performance.now();
  while (times.length < budget.maxRuns && (times.length < minRuns || performance.now() - m0 < budget.measureMs)) {
    const s = performance.now();
    await run();
    times.push(performance.now() - s);
  }
  return times;
}

/**
 * Timed runs of several fast peers in rounds (one run of each per round), so that load from other
 * processes on this shared machine falls on all of them alike and their ratios stay fair.
 */
async function timeInterleaved(runs) {
  const times = runs.map(() => []);
  const m0 = performance.now();
  const limit = budget.measureMs * runs.length;
  for (;;) {
    const more = times.some((t) => t.length < budget.minRuns) || performance.now() - m0 < limit;
    if (!more || times.every((t) => t.length >= budget.maxRuns)) break;
    for (let i = 0; i < runs.length; i++) {
      if (times[i].length >= budget.maxRuns) continue;
      const s = performance.now();
      await runs[i]();
      times[i].push(performance.now() - s);
    }
  }
  return times;
}

function maxAbsDiff(a, b) {
  if (!a || !b || a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function simdPeakGflops(kernels) {
  const iters = 4e6;
  for (let i = 0; i < 5; i++) kernels.simdPeak(iters); // tier-up
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    kernels.simdPeak(iters);
    best = Math.min(best, performance.now() - t0);
  }
  return (iters * 16 * 4 * 2) / best / 1e6;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    // The machine is shared: the 1-minute load average tells how busy it was around the run.
    loadAverage: os.loadavg()[0],
  };
}

// ------------------------------------------------------------------------------------------------

async function main() {
  if (args.includes('--report-only')) {
    // Re-render the reports from the last full run (after editing report.mjs).
    const last = JSON.parse(await readFile(path.join(here, 'results.json'), 'utf8'));
    await writeReports(last, { here, write, quick: false });
    return;
  }
  if (!existsSync(path.join(here, '..', 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const cases = allCases().filter((c) => !only || c.caseId.includes(only));
  const specs = [...new Map([...cases, LOAD_SPEC].map((c) => [c.id, { ...c }])).values()].map(
    ({ batch, caseId, ...s }) => s, // eslint-disable-line no-unused-vars
  );
  ensureModels(specs);
  const machineAtStart = machine();

  const { instantiateKernels } = await import(pathToFileURL(path.join(here, '..', 'dist', 'wasm', 'wasm-module.js')).href);
  const kernels = await instantiateKernels();
  const peakBefore = simdPeakGflops(kernels);
  log(`wasm SIMD peak (simdPeak, f32x4 mul+add, 1 thread): ${peakBefore.toFixed(1)} GFLOP/s`);

  const peers = [await kerasrnnPeer()];
  const threaded = await kerasrnnPeer({ threads: 2 });
  if (!wanted(threaded.name)) threaded.unavailable = 'left out by --peers';
  for (const make of [() => tfjsPeer('wasm'), () => tfjsPeer('cpu'), ortWebPeer, ortNodePeer, scalarPeer]) {
    const p = await make();
    if (wanted(p.name)) peers.push(p);
  }
  const unavailable = {};
  for (const p of peers) if (p.unavailable) unavailable[p.name] = p.unavailable;
  for (const [n, why] of Object.entries(unavailable)) log(`peer not available: ${n}: ${why}`);

  // Observed GFLOP/s per peer and cell kind, to skip runs that would take longer than the cap.
  const speed = new Map();
  const results = [];
  const sorted = [...cases].sort((a, b) => flopsOf(a) - flopsOf(b));
  for (const c of sorted) {
    const layers = await loadWeights(c);
    const full = { ...c, layers, gates: GATES[c.kind], features: F, steps: T, returnSequences: c.return_sequences, x: inputFor(c), h5Path: path.join(modelsDir, `${c.id}.h5`) };
    const flops = flopsOf(c);
    const row = { id: c.caseId, kind: c.kind, arch: c.arch, units: c.units, batch: c.batch, steps: T, features: F, returnSequences: c.return_sequences, flops, peers: {} };
    let reference = null;
    const casePeers = [...peers];
    // Two threads: batch workers for batch > 1, one sequence split over both cores at batch 1.
    if (!threaded.unavailable) casePeers.splice(1, 0, threaded);
    // Prepare and warm up every peer, then time the fast ones in interleaved rounds and the slow
    // ones (and TF.js, whose backends are process-global) one after the other. TF.js peers warm
    // up only right before their own timing: TF.js cpu allocates hundreds of MB per run, and the
    // garbage collection that follows (V8's concurrent marking and sweeping threads) can take
    // one of the two cores from the interleaved rounds right after it. The likely cause (inferred,
    // see docs/benchmarks.md) of the 2-thread LSTM 512 batch 1 split at 1.07x one thread in the
    // full run of 2026-12-03 (half its runs at 6.3 ms, half at 12-13 ms): the only split case
    // whose TF.js cpu warm-up came first.
    const active = [];
    for (const p of casePeers) {
      if (p.unavailable) continue;
      const key = `${p.name}|${c.kind}`;
      const est = speed.has(key) ? flops / speed.get(key) / 1e6 : 0;
      if (est > budget.capMs && !p.name.startsWith('kerasrnn')) {
        row.peers[p.name] = { skipped: `about ${(est / 1000).toFixed(1)} s per run (over the ${budget.capMs / 1000} s cap of this mode)` };
        continue;
      }
      let runner;
      try {
        runner = await p.prepare(full);
        active.push({ p, key, runner, warm: runner.activate ? null : await warmUp(runner.run) });
      } catch (e) {
        row.peers[p.name] = { error: String(e?.message ?? e).split('\n')[0] };
        await runner?.dispose?.();
      }
    }
    const fast = active.filter((a) => !a.runner.activate && !a.warm.single && a.warm.last <= budget.measureMs / 3);
    const fastTimes = fast.length ? await timeInterleaved(fast.map((a) => a.runner.run)) : [];
    for (const a of active) {
      try {
        if (!a.warm) {
          await a.runner.activate();
          a.warm = await warmUp(a.runner.run);
        }
        const i = fast.indexOf(a);
        let times;
        if (a.warm.single) times = a.warm.single;
        else if (i >= 0) times = fastTimes[i];
        else {
          await a.runner.activate?.();
          times = await timeAlone(a.runner.run, a.warm.last);
        }
        const r = stats(times);
        const gflops = flops / r.medianMs / 1e6;
        speed.set(a.key, Math.min(speed.get(a.key) ?? Infinity, gflops));
        const entry = {
          ...(a.warm.single ? { note: 'one run (over the time cap)' } : {}),
          ...(i >= 0 ? { interleaved: true } : {}),
          medianMs: r.medianMs, p10Ms: r.p10Ms, p90Ms: r.p90Ms, minMs: r.minMs, maxMs: r.maxMs, runs: r.runs,
          seqPerSec: (c.batch * 1000) / r.medianMs,
          gflops,
          threads: a.p.threads ?? 1,
          shareOfPeak: gflops / peakBefore / (a.p.threads ?? 1),
        };
        if (a.runner.memoryBytes) entry.wasmMemoryBytes = a.runner.memoryBytes();
        if (a.p.name === 'kerasrnn') reference = a.warm.output;
        row.peers[a.p.name] = entry;
      } catch (e) {
        row.peers[a.p.name] = { error: String(e?.message ?? e).split('\n')[0] };
      } finally {
        await a.runner.dispose?.();
      }
    }
    for (const a of active) if (a.p.name !== 'kerasrnn' && row.peers[a.p.name]?.medianMs !== undefined) row.peers[a.p.name].maxAbsDiff = maxAbsDiff(a.warm.output, reference);
    row.loadAverage = os.loadavg()[0]; // other processes on the shared machine while this case ran
    results.push(row);
    const k = row.peers.kerasrnn;
    const cells = Object.entries(row.peers).map(([n, e]) => `${n} ${e.medianMs !== undefined ? e.medianMs.toFixed(e.medianMs < 10 ? 3 : 1) + ' ms' : e.skipped ? 'skipped' : 'error'}`);
    log(`${c.caseId.padEnd(28)} ${k?.gflops ? `${k.gflops.toFixed(1)} GFLOP/s ${(k.shareOfPeak * 100).toFixed(0)}% of peak | ` : ''}${cells.join(' | ')}`);
    for (const [n, e] of Object.entries(row.peers)) {
      if (e.error) log(`  ${n}: ${e.error}`);
      if (e.maxAbsDiff > 1e-3) log(`  ${n}: output differs from kerasrnn by ${e.maxAbsDiff.toExponential(2)}`);
    }
  }
  results.sort((a, b) => cases.findIndex((c) => c.caseId === a.id) - cases.findIndex((c) => c.caseId === b.id));

  const peakAfter = simdPeakGflops(kernels);
  log(`wasm SIMD peak after the cases: ${peakAfter.toFixed(1)} GFLOP/s`);
  // Shares are taken against the higher of the two peak measurements (the conservative choice).
  const peak = Math.max(peakBefore, peakAfter);
  for (const row of results) for (const e of Object.values(row.peers)) if (e.gflops) e.shareOfPeak = e.gflops / peak / e.threads;

  log('load time of a ~10 MB .h5 (fresh process) ...');
  const loadOut = execFileSync(process.execPath, [path.join(here, 'load-child.mjs'), path.join(modelsDir, `${LOAD_SPEC.id}.h5`), quick ? '5' : '15'], {
    encoding: 'utf8',
  });
  const load = JSON.parse(loadOut.trim().split('\n').pop());
  log(`  ${(load.fileBytes / 1e6).toFixed(1)} MB: first load ${load.coldMs.toFixed(1)} ms (includes compiling the kernels), then median ${load.warmMedianMs.toFixed(1)} ms; peak RSS ${(load.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);

  const out = {
    mode: quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    machine: { ...machineAtStart, loadAverageAfter: os.loadavg()[0] },
    simdPeakGflops: Math.max(peakBefore, peakAfter),
    simdPeakGflopsRuns: [peakBefore, peakAfter],
    unavailable,
    cases: results,
    load,
    seconds: (performance.now() - started) / 1000,
  };
  await writeReports(out, { here, write, quick });
  log(`done in ${out.seconds.toFixed(0)} s`);
}

await main();
process.exit(0); // worker threads of the peers must not keep the process alive
