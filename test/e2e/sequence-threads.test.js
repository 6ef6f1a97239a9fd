// Sequence threads in a browser (src/wasm/sequence-threads.ts): on a cross-origin isolated page
// (the demo server's COOP / COEP headers) headless Chromium splits one LSTM / GRU sequence over
// two threads - Web Workers on the page's shared wasm memory - and the outputs equal one thread's
// bit for bit (one thread of the same, plain SIMD build: the threads build has no relaxed SIMD
// variant); on a page without those headers there is no SharedArrayBuffer, and the model runs on
// one thread and says why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, startBrowser, startDemoServer, openDemoPage } from '../support/demo-browser.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const state = {};

/**
 * Runs in the page: a TF.js layers model (LSTM or GRU, seeded weights) loaded with one and with two
 * sequence threads; predicts until a call is split (the page starts its workers asynchronously,
 * so the first calls run on one thread), then compares every output bit.
 */
async function splitInPage({ cell, units, features, steps, batch }) {
  const { loadModel } = await import('/kerasrnn.js');
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) * 2 - 1;
  const gates = cell === 'lstm' ? 4 : 3;
  const shapes = [[features, gates * units], [units, gates * units], cell === 'gru' ? [2, gates * units] : [gates * units]];
  const total = shapes.reduce((n, s) => n + s[0] * (s[1] ?? 1), 0);
  const weights = Float32Array.from({ length: total }, () => rand() * Math.sqrt(3 / units));
  const config = { name: 'rnn', units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: true, ...(cell === 'gru' ? { reset_after: true } : {}) };
  const source = () => ({
    modelJson: {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential', keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js',
        config: { name: 'seq', layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, steps, features], dtype: 'float32', name: 'input_1' } },
          { class_name: cell === 'lstm' ? 'LSTM' : 'GRU', config },
        ] },
      },
      weightsManifest: [{ paths: ['w.bin'], weights: ['rnn/kernel', 'rnn/recurrent_kernel', 'rnn/bias'].map((name, i) => ({ name, shape: shapes[i], dtype: 'float32' })) }],
    },
    weights: { 'w.bin': new Uint8Array(weights.slice().buffer) },
  });
  const x = { data: Float32Array.from({ length: batch * steps * features }, rand), shape: [batch, steps, features] };
  // The threads build is plain SIMD, where Chromium's default one-thread build is relaxed SIMD
  // (FMA: other bits, docs/precision.md): the one-thread reference runs the same arithmetic.
  const one = await loadModel(source(), { sequenceThreads: 1, kernels: 'simd' });
  const two = await loadModel(source(), { sequenceThreads: 2, sequenceMinStepFlops: 0 });
  const expected = one.predict(x);
  let y = two.predict(x);
  const t0 = performance.now();
  while (!(two.memory.threads?.splitCalls > 0) && performance.now() - t0 < 20000) {
    await new Promise((r) => setTimeout(r, 20));
    y = two.predict(x);
  }
  const a = new Uint32Array(expected.data.buffer, expected.data.byteOffset, expected.data.length);
  const b = new Uint32Array(y.data.buffer, y.data.byteOffset, y.data.length);
  let differ = a.length === b.length ? 0 : -1;
  for (let i = 0; differ >= 0 && i < a.length; i++) if (a[i] !== b[i]) differ++;
  const out = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    info: two.info.sequenceThreads,
    kernels: [one.info.kernels, two.info.kernels],
    summaryLine: two.summary().split('\n').find((l) => l.startsWith('Sequence threads')),
    splitCalls: two.memory.threads?.splitCalls ?? 0,
    length: a.length,
    differ,
  };
  one.dispose();
  two.dispose();
  return out;
}

if (!CHROMIUM) {
  test('sequence threads in headless Chromium', () => {
    console.log('skipped: chromium not found at /usr/bin/chromium; the browser sequence-threads test did not run');
  });
} else {
  test.before(async () => {
    Object.assign(state, await startBrowser(ROOT, { isolated: true }));
    state.plain = await startDemoServer(ROOT);
  });

  test.after(async () => {
    try {
      if (state.plain) process.kill(-state.plain.server.pid, 'SIGTERM');
    } catch {}
    await state.stop?.();
  });

  for (const spec of [
    { cell: 'lstm', units: 37, features: 5, steps: 12, batch: 1 },
    { cell: 'gru', units: 30, features: 4, steps: 9, batch: 3 },
  ]) {
    test(`cross-origin isolated page: ${spec.cell.toUpperCase()} ${spec.units} at batch ${spec.batch} splits over 2 threads, bit-identical to 1`, async () => {
      const { page, errors } = await openDemoPage(state);
      const r = await page.evaluate(splitInPage, spec);
      await page.close();
      assert.is(r.crossOriginIsolated, true, 'the page is cross-origin isolated');
      assert.equal(r.info, { threads: 2, fallback: null, splittable: true, minStepFlops: 0 });
      assert.match(r.summaryLine, /^Sequence threads: 2\b/);
      assert.ok(r.splitCalls > 0, 'a call was split over the workers');
      assert.equal(r.kernels, ['simd', 'simd']);
      assert.is(r.length, spec.batch * spec.steps * spec.units);
      assert.is(r.differ, 0, 'outputs differing from one thread (bits)');
      assert.equal(errors, []);
    });
  }

  test('page without COOP / COEP: one thread, and the fallback says why', async () => {
    const { page, errors } = await openDemoPage(state, state.plain.origin);
    const r = await page.evaluate(splitInPage, { cell: 'lstm', units: 37, features: 5, steps: 12, batch: 1 });
    await page.close();
    assert.is(r.crossOriginIsolated, false);
    assert.is(r.info.threads, 1);
    assert.match(r.info.fallback, /SharedArrayBuffer is not available \(the page is not cross-origin isolated: serve it with COOP\/COEP headers\)/);
    assert.match(r.summaryLine, /^Sequence threads: 1 \(SharedArrayBuffer is not available \(the page is not cross-origin isolated/);
    assert.is(r.splitCalls, 0);
    // Without threads the model keeps the build loadModel picks by default (relaxed SIMD here).
    assert.equal(r.kernels, ['simd', 'relaxed-simd']);
    assert.equal(errors, []);
  });
}

test.run();
