// `node bench/compare-builds.mjs <base-dist-dir> [--only=<substring>] [--rounds=N]`
// `node bench/compare-builds.mjs --kernels [--only=<substring>] [--rounds=N]`
// either with `--options=<json>` (loadModel options for both builds) and `--cpu-time`
//
// Times two builds of kerasrnn against each other in this one process: the current dist/ and an
// older copy (e.g. `cp -r dist bench/out/base/dist` before a change). Each round runs the base and
// the current build once each, alternating, so load from other processes on a shared machine
// hits both alike; the report is the median of per-round ratios (current / base time), which is
// what a refactor that must not slow the kernels down needs, not absolute times. `--cpu-time`
// times by the process's CPU time (user + system, all its threads) instead of wall time: on a
// machine loaded well past its cores, wall time mostly measures the waits for a core (at load
// 15-17 on 2 cores, wall-time ratios of unchanged kernels ranged 0.71-1.60); use it with
// one-thread options (`--options={"sequenceThreads":1}`), since other threads' time adds up. Uses the
// benchmark's models (bench/out/models, written by `npm run bench`).
//
// `--kernels` compares the two kernel builds of the current dist/ instead: loadModel's
// `kernels: 'simd'` (base) against `kernels: 'relaxed-simd'` (current), on every case of the
// benchmark at batch 1 and 32. A Node without relaxed SIMD (Node 20) reruns this script with
// --experimental-wasm-relaxed-simd.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchInput } from './inputs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const kernelsMode = args.includes('--kernels');
const baseDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(here, 'out', 'base', 'dist'));
const only = args.find((a) => a.startsWith('--only='))?.slice(7);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 15);
const modelsDir = path.join(here, 'out', 'models');

if (kernelsMode) {
  const { relaxedSimdSupported } = await import(pathToFileURL(path.join(here, '..', 'dist', 'wasm', 'wasm-module.js')).href);
  if (!relaxedSimdSupported()) {
    if (process.execArgv.includes('--experimental-wasm-relaxed-simd')) throw new Error('this Node does not run relaxed SIMD, even with --experimental-wasm-relaxed-simd');
    const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', ...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
    process.exit(child.status ?? 1);
  }
}

const spec = (kind, units, arch, rs) => ({ id: `${arch === 'single' ? '' : `${arch}-`}${kind}-${units}${rs ? '-seq' : ''}`, kind, units, arch, return_sequences: rs });
const specs = [];
if (kernelsMode) {
  // The cases of `npm run bench` (bench/run.mjs).
  for (const kind of ['lstm', 'gru', 'simple_rnn']) {
    for (const units of [32, 128, 512]) specs.push(spec(kind, units, 'single', false));
    specs.push(spec(kind, 128, 'single', true));
  }
  for (const arch of ['stacked', 'bidirectional']) specs.push(spec('lstm', 128, arch, false), spec('lstm', 128, arch, true));
} else {
  for (const kind of ['lstm', 'gru', 'simple_rnn']) for (const units of [128, 512]) specs.push(spec(kind, units, 'single', false));
  specs.push(spec('lstm', 128, 'stacked', false), spec('lstm', 128, 'bidirectional', true));
}
for (const s of specs) Object.assign(s, { features: 64, steps: 100 });

const missing = specs.filter((s) => !existsSync(path.join(modelsDir, `${s.id}.h5`)));
if (missing.length) {
  mkdirSync(modelsDir, { recursive: true });
  execFileSync('/usr/bin/python3', [path.join(here, 'make-models.py'), modelsDir], { input: JSON.stringify(missing), stdio: ['pipe', 'inherit', 'inherit'] });
}

const head = await import(pathToFileURL(path.join(here, '..', 'dist', 'index.js')).href);
const base = kernelsMode ? head : await import(pathToFileURL(path.join(baseDir, 'index.js')).href);
// `--options=<json>`: loadModel options given to both builds (e.g. {"sequenceThreads":1} to time
// the one-thread kernels of a model that would otherwise split its sequences).
const common = JSON.parse(args.find((a) => a.startsWith('--options='))?.slice(10) ?? '{}');
const baseOptions = kernelsMode ? { ...common, kernels: 'simd' } : common;
const headOptions = kernelsMode ? { ...common, kernels: 'relaxed-simd' } : common;

const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const cpuTime = args.includes('--cpu-time');
/** Milliseconds: wall time, or with --cpu-time this process's CPU time. */
const clock = cpuTime
  ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
  : () => performance.now();

console.log(
  kernelsMode
    ? `kernel builds of dist/: simd (base) vs relaxed-simd (current), ${rounds} alternating rounds per case; Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`
    : `base ${baseDir} vs current dist/, ${rounds} alternating rounds per case${cpuTime ? ', CPU time' : ''}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
);
console.log(`| case | ${kernelsMode ? 'simd' : 'base'} ms | ${kernelsMode ? 'relaxed-simd' : 'current'} ms | ${kernelsMode ? 'relaxed / simd' : 'current / base'} (median of rounds) |`);
console.log('| --- | ---: | ---: | ---: |');
for (const spec of specs) {
  for (const batch of [1, 32]) {
    const id = `${spec.id}-b${batch}`;
    if (only && !id.includes(only)) continue;
    const bytes = await readFile(path.join(modelsDir, `${spec.id}.h5`));
    const x = { data: benchInput(batch * 100 * 64), shape: [batch, 100, 64] };
    const a = await base.loadModel(bytes, { fileName: `${spec.id}.h5`, ...baseOptions });
    const b = await head.loadModel(bytes, { fileName: `${spec.id}.h5`, ...headOptions });
    const ya = a.predict(x).data;
    const yb = b.predict(x).data;
    let diff = 0;
    for (let i = 0; i < ya.length; i++) diff = Math.max(diff, Math.abs(ya[i] - yb[i]));
    const t0 = performance.now();
    while (performance.now() - t0 < 400) {
      a.predict(x);
      b.predict(x);
    }
    const ta = [];
    const tb = [];
    const ratios = [];
    // Several predicts per sample for the short cases, so timer resolution is not the noise.
    const s0 = performance.now();
    b.predict(x);
    const reps = Math.max(1, Math.round(20 / Math.max(0.01, performance.now() - s0)));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [a, b] : [b, a];
      const t = [];
      for (const m of order) {
        const s = clock();
        for (let i = 0; i < reps; i++) m.predict(x);
        t.push((clock() - s) / reps);
      }
      const [tA, tB] = r % 2 ? t : [t[1], t[0]];
      ta.push(tA);
      tb.push(tB);
      ratios.push(tB / tA);
    }
    console.log(`| ${id} | ${median(ta).toFixed(3)} | ${median(tb).toFixed(3)} | ${median(ratios).toFixed(3)}${kernelsMode ? ` (x${(1 / median(ratios)).toFixed(2)} faster)` : ''}${diff ? ` (max |diff| ${diff.toExponential(1)})` : ''} |`);
    a.dispose();
    b.dispose();
  }
}
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
