// `node bench/compare-builds.mjs <base-dist-dir> [--only=<substring>] [--rounds=N]`
//
// Times two builds of kerasrnn against each other in this one process: the current dist/ and an
// older copy (e.g. `cp -r dist bench/out/base/dist` before a change). Each round runs the base and
// the current build once each, alternating, so load from other processes on a shared machine
// hits both alike; the report is the median of per-round ratios (current / base time), which is
// what a refactor that must not slow the kernels down needs, not absolute times. Uses the
// benchmark's models (bench/out/models, written by `npm run bench`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const baseDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(here, 'out', 'base', 'dist'));
const only = args.find((a) => a.startsWith('--only='))?.slice(7);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 15);
const modelsDir = path.join(here, 'out', 'models');

const specs = [];
for (const kind of ['lstm', 'gru', 'simple_rnn']) for (const units of [128, 512]) specs.push({ id: `${kind}-${units}`, kind, units, arch: 'single', return_sequences: false });
specs.push({ id: 'stacked-lstm-128', kind: 'lstm', units: 128, arch: 'stacked', return_sequences: false });
specs.push({ id: 'bidirectional-lstm-128-seq', kind: 'lstm', units: 128, arch: 'bidirectional', return_sequences: true });
for (const s of specs) Object.assign(s, { features: 64, steps: 100 });

const missing = specs.filter((s) => !existsSync(path.join(modelsDir, `${s.id}.h5`)));
if (missing.length) {
  mkdirSync(modelsDir, { recursive: true });
  execFileSync('/usr/bin/python3', [path.join(here, 'make-models.py'), modelsDir], { input: JSON.stringify(missing), stdio: ['pipe', 'inherit', 'inherit'] });
}

const base = await import(pathToFileURL(path.join(baseDir, 'index.js')).href);
const head = await import(pathToFileURL(path.join(here, '..', 'dist', 'index.js')).href);

function inputOf(n) {
  const x = new Float32Array(n);
  let s = 0x2545f491;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return x;
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];

console.log(`base ${baseDir} vs current dist/, ${rounds} alternating rounds per case`);
console.log('| case | base ms | current ms | current / base (median of rounds) |');
console.log('| --- | ---: | ---: | ---: |');
for (const spec of specs) {
  for (const batch of [1, 32]) {
    const id = `${spec.id}-b${batch}`;
    if (only && !id.includes(only)) continue;
    const bytes = await readFile(path.join(modelsDir, `${spec.id}.h5`));
    const x = { data: inputOf(batch * 100 * 64), shape: [batch, 100, 64] };
    const a = await base.loadModel(bytes, { fileName: `${spec.id}.h5` });
    const b = await head.loadModel(bytes, { fileName: `${spec.id}.h5` });
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
        const s = performance.now();
        for (let i = 0; i < reps; i++) m.predict(x);
        t.push((performance.now() - s) / reps);
      }
      const [tA, tB] = r % 2 ? t : [t[1], t[0]];
      ta.push(tA);
      tb.push(tB);
      ratios.push(tB / tA);
    }
    console.log(`| ${id} | ${median(ta).toFixed(3)} | ${median(tb).toFixed(3)} | ${median(ratios).toFixed(3)}${diff ? ` (max |diff| ${diff.toExponential(1)})` : ''} |`);
    a.dispose();
    b.dispose();
  }
}
