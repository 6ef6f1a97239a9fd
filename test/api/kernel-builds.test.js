// loadModel's `kernels` option and the two kernel builds (plain SIMD, relaxed SIMD): what 'auto'
// picks, model.info / summary(), refusals, and - in child processes started with and without
// --experimental-wasm-relaxed-simd - that each build is compiled once per process, that the
// plain-only path never compiles the relaxed build, that the relaxed build really runs fused
// multiply-adds (its bits differ from the plain build's, within the tolerance), that each build is
// deterministic, and that worker threads run the build the calling thread chose.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel, InputError } from '../../dist/index.js';
import { relaxedSimdSupported } from '../../dist/wasm/wasm-module.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.join(ROOT, 'examples/sine_forecaster.h5');

test("default 'auto': relaxed SIMD exactly where this runtime validates it; Kernels line in the summary", async () => {
  const m = await loadModel(MODEL);
  const expected = relaxedSimdSupported() ? 'relaxed-simd' : 'simd';
  assert.equal({ kernels: m.info.kernels, weights: m.info.weights }, { kernels: expected, weights: 'float32' });
  assert.match(m.summary().split('\n')[2], expected === 'simd' ? /^Kernels: wasm SIMD$/ : /^Kernels: wasm relaxed SIMD \(fused multiply-add\)$/);
  m.dispose();
  const plain = await loadModel(MODEL, { kernels: 'simd' });
  assert.is(plain.info.kernels, 'simd');
  plain.dispose();
});

test('an unknown kernels value, and relaxed-simd where the runtime lacks it, are InputErrors naming the field', async () => {
  for (const bad of ['fma', 'SIMD', 1, '']) {
    try {
      await loadModel(MODEL, { kernels: bad });
      assert.unreachable(`kernels: ${bad}`);
    } catch (e) {
      assert.instance(e, InputError);
      assert.is(e.context.field, 'kernels');
      assert.match(e.message, /'auto', 'simd', 'relaxed-simd'/);
    }
  }
  if (!relaxedSimdSupported()) {
    try {
      await loadModel(MODEL, { kernels: 'relaxed-simd' });
      assert.unreachable('relaxed-simd without runtime support');
    } catch (e) {
      assert.instance(e, InputError);
      assert.match(e.message, /--experimental-wasm-relaxed-simd/);
    }
  }
});

test('an architecture-only model has no kernel build and no Kernels line', async () => {
  const m = await loadModel({ config: path.join(ROOT, 'test/fixtures/bidir_lstm_concat.json') }).catch(() => null);
  if (!m) return; // fixture absent in this checkout: nothing to check
  assert.is(m.info.kernels, null);
  assert.not.match(m.summary(), /^Kernels:/m);
});

/** Runs `code` (an ES module body) in a fresh Node with `flags`; returns its last stdout line as JSON. */
function child(flags, code) {
  // A file, not -e: worker threads inherit the parent's execArgv, and --input-type breaks them.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-kernels-'));
  const file = path.join(dir, 'child.mjs');
  fs.writeFileSync(file, code);
  try {
    const run = spawnSync(process.execPath, [...flags, file], { cwd: ROOT, encoding: 'utf8' });
    assert.is(run.status, 0, run.stderr);
    return JSON.parse(run.stdout.trim().split('\n').pop());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const PROBE = `
  import { readFileSync } from 'node:fs';
  const compiled = [];
  const compile = WebAssembly.compile;
  WebAssembly.compile = (bytes, ...rest) => (compiled.push(bytes.byteLength), compile.call(WebAssembly, bytes, ...rest));
  const { loadModel } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/index.js')).href)});
  const bytes = readFileSync(${JSON.stringify(MODEL)});
  const x = { data: new Float32Array(8 * 50).map((_, i) => Math.sin(i / 3) + 0.1 * Math.cos(i)), shape: [8, 50, 1] };
  const run = async (kernels) => {
    const m = await loadModel(bytes, { kernels });
    const y = m.predict(x, { outputs: ['lstm'] })[0].data;
    const info = m.info.kernels;
    m.dispose();
    return { info, y: Array.from(y) };
  };
`;

test('Node 20 default (no flag): plain build only, compiled once for many loads; the relaxed build is never compiled', () => {
  if (relaxedSimdSupported() && !process.execArgv.includes('--experimental-wasm-relaxed-simd')) {
    // This Node has relaxed SIMD without a flag (Node 22+): the flag-less case is 'simd' by choice.
    const r = child([], `${PROBE} const a = []; for (let i = 0; i < 5; i++) a.push((await run('simd')).info); console.log(JSON.stringify({ a, compiled }));`);
    assert.equal(r.a, Array(5).fill('simd'));
    assert.is(r.compiled.length, 1);
    return;
  }
  const r = child([], `${PROBE} const a = []; for (let i = 0; i < 5; i++) a.push((await run('auto')).info); console.log(JSON.stringify({ a, compiled }));`);
  assert.equal(r.a, Array(5).fill('simd'));
  assert.is(r.compiled.length, 1, 'one compile for five loads');
});

test('with --experimental-wasm-relaxed-simd: auto picks relaxed; each build compiled once; bits differ across builds, not within one', () => {
  const r = child(
    ['--experimental-wasm-relaxed-simd'],
    `${PROBE}
    const relaxed = [await run('auto'), await run('relaxed-simd'), await run('auto')];
    const plain = [await run('simd'), await run('simd')];
    console.log(JSON.stringify({ relaxed, plain, compiled }));`,
  );
  assert.equal(r.relaxed.map((p) => p.info), ['relaxed-simd', 'relaxed-simd', 'relaxed-simd']);
  assert.equal(r.plain.map((p) => p.info), ['simd', 'simd']);
  assert.is(r.compiled.length, 2, `one compile per build: ${r.compiled}`);
  // deterministic per build
  assert.equal(r.relaxed[1].y, r.relaxed[0].y);
  assert.equal(r.relaxed[2].y, r.relaxed[0].y);
  assert.equal(r.plain[1].y, r.plain[0].y);
  // the relaxed build fuses its multiply-adds: some bits differ, by float32 rounding only
  const a = r.relaxed[0].y;
  const b = r.plain[0].y;
  let differ = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) differ++;
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  assert.ok(differ > 0, 'relaxed and plain builds gave identical bits: is relaxed_madd in the relaxed build?');
  assert.ok(worst < 1e-5, `builds differ by ${worst}`);
});

test('with --experimental-wasm-relaxed-simd and threads: 2, the workers run the same build (split batch = one thread, bit for bit)', () => {
  const r = child(
    ['--experimental-wasm-relaxed-simd'],
    `${PROBE}
    const big = { data: new Float32Array(256 * 50).map((_, i) => Math.sin(i / 7)), shape: [256, 50, 1] }; // over the split threshold
    const one = await loadModel(bytes);
    const two = await loadModel(bytes, { threads: 2 });
    const y1 = Array.from(one.predict(big).data);
    const y2 = Array.from(two.predict(big).data);
    const split = two.batchWorkers?.lastSplit ?? 1;
    const info = [one.info.kernels, two.info.kernels];
    one.dispose(); two.dispose();
    console.log(JSON.stringify({ same: JSON.stringify(y1) === JSON.stringify(y2), split, info }));`,
  );
  assert.equal(r.info, ['relaxed-simd', 'relaxed-simd']);
  assert.ok(r.split > 1, 'the batch was split across threads');
  assert.ok(r.same, 'threads: 2 gives the one-thread bits');
});

test.run();
