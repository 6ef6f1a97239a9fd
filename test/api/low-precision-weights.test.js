// loadModel's opt-in `weights: 'bf16' | 'int8'`: recurrent kernels stored in reduced precision.
// LSTM and SimpleRNN bf16: the reference is independent of the bf16 packer and kernels: the same
// model loaded as float32 with its recurrent kernels rounded to bf16 here (round to nearest even,
// on the float32 bits) and installed with setWeights. Their bf16 kernels widen each weight exactly
// and run the same multiply-adds in the same order, so the two must agree bit for bit; the float32
// model itself differs by the rounding. GRU bf16 and every int8 layer run the low-precision
// kernels, pinned against the float64 cell with the dequantised weights in
// test/kernels/low-precision.test.js; here: the option's plumbing, info, summary and errors.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel, InputError } from '../../dist/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** float32 values rounded to bfloat16 (nearest, ties to even), returned as float32. */
function roundBf16(values) {
  const out = Float32Array.from(values);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    const lower = b & 0xffff;
    let upper = b >>> 16;
    if (lower > 0x8000 || (lower === 0x8000 && upper & 1)) upper += 1;
    bits[i] = (upper << 16) >>> 0;
  }
  return out;
}

function input(shape, seed = 7) {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed;
  const data = new Float32Array(n).map(() => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
  return { data, shape };
}

/** The model as float32 with every recurrent_kernel rounded to bf16 (the reference). */
async function roundedReference(file) {
  const m = await loadModel(file, { kernels: 'simd' });
  const rounded = m.getWeights().map((l) => ({ ...l, weights: l.weights.map((w) => (w.name === 'recurrent_kernel' ? { ...w, data: roundBf16(w.data) } : w)) }));
  await m.setWeights(rounded);
  return m;
}

for (const [file, shape, stream] of [
  ['examples/sine_forecaster.h5', [3, 50, 1], true], // LSTM 32 -> Dense
  ['test/fixtures/bidir_simplernn_mul.h5', [2, 4, 3], false], // Bidirectional SimpleRNN (cannot stream)
]) {
  test(`${path.basename(file)}: bf16 weights = float32 with bf16-rounded recurrent kernels, bit for bit`, async () => {
    const full = path.join(ROOT, file);
    const f32 = await loadModel(full, { kernels: 'simd' });
    const bf16 = await loadModel(full, { kernels: 'simd', weights: 'bf16' });
    const ref = await roundedReference(full);
    assert.equal({ kernels: bf16.info.kernels, weights: bf16.info.weights }, { kernels: 'simd', weights: 'bf16' });
    const x = input(shape);
    const y = bf16.predict(x).data;
    assert.equal(Array.from(y), Array.from(ref.predict(x).data));
    const y32 = f32.predict(x).data;
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - y32[i]));
    assert.ok(worst > 0, 'bf16 changes the results (the weights were rounded)');
    assert.ok(worst < 2e-2, `bf16 vs float32: ${worst}`);
    if (stream) {
      // streams run the same kernels: step by step, bf16 and the reference agree bit for bit
      const a = bf16.stream();
      const b = ref.stream();
      const step = shape.slice(2).reduce((p, q) => p * q, 1);
      for (let t = 0; t < shape[1]; t++) {
        const xt = { data: x.data.slice(t * step, (t + 1) * step), shape: [1, 1, ...shape.slice(2)] };
        assert.equal(Array.from(a.step(xt).data), Array.from(b.step(xt).data));
      }
    }
    for (const m of [f32, bf16, ref]) m.dispose();
  });
}

/** A batch of `batch` sequences for the model's first input (6 steps where the length is free). */
const inputFor = (m, batch) => input([batch, ...m.inputs[0].shape.slice(1).map((d, i) => d ?? (i === 0 ? 6 : 1))]);

for (const file of [
  'test/fixtures/gru_reset_after_true.h5',
  'test/fixtures/gru_reset_after_false.h5', // two passes, two packed regions
  'test/fixtures/bidir_lstm_concat.h5',
  'test/fixtures/k1_simple_rnn.h5',
  'test/fixtures/cudnn_gru_k2.h5',
]) {
  for (const weights of ['bf16', 'int8']) {
    test(`${path.basename(file)}: weights: ${weights} changes the recurrent results by the rounding only`, async () => {
      const full = path.join(ROOT, file);
      const f32 = await loadModel(full, { kernels: 'simd' });
      const low = await loadModel(full, { kernels: 'simd', weights });
      const recurrent = f32.layers.filter((l) => /LSTM|GRU|SimpleRNN|Bidirectional/.test(l.className)).map((l) => l.name);
      assert.ok(recurrent.length > 0);
      assert.equal({ weights: low.info.weights, layers: low.info.lowPrecisionLayers }, { weights, layers: recurrent });
      const x = inputFor(f32, 3);
      const y = low.predict(x).data;
      const y32 = f32.predict(x).data;
      let worst = 0;
      for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - y32[i]));
      assert.ok(worst > 0, `${weights} changes the results (the weights were rounded)`);
      assert.ok(worst < 3e-2, `${weights} vs float32: ${worst}`);
      assert.ok(low.memoryBytes <= f32.memoryBytes, `${weights} takes no more wasm memory`);
      f32.dispose();
      low.dispose();
    });
  }
}

test('int8 and bf16 streams step through the same kernels as predict', async () => {
  for (const weights of ['bf16', 'int8']) {
    const m = await loadModel(path.join(ROOT, 'test/fixtures/gru_reset_after_false.h5'), { weights });
    const x = inputFor(m, 1);
    const whole = m.predict(x).data;
    const s = m.stream();
    const F = x.shape[2];
    let last;
    for (let t = 0; t < x.shape[1]; t++) last = s.step({ data: x.data.slice(t * F, (t + 1) * F), shape: [1, 1, F] }).data;
    assert.equal(Array.from(last), Array.from(whole), weights);
    m.dispose();
  }
});

test('int8 runs one thread: sequenceThreads falls back and says why', async () => {
  const m = await loadModel(path.join(ROOT, 'test/fixtures/gru_reset_after_true.h5'), { weights: 'int8', sequenceThreads: 2 });
  assert.is(m.info.sequenceThreads.threads, 1);
  assert.match(m.info.sequenceThreads.fallback, /int8/);
  m.dispose();
});

test('reduced precision is opt-in, shown in info and summary; other values are InputErrors naming the field', async () => {
  const file = path.join(ROOT, 'examples/sine_forecaster.h5');
  const m = await loadModel(file);
  assert.is(m.info.weights, 'float32');
  assert.equal(m.info.lowPrecisionLayers, []);
  assert.not.match(m.summary(), /bf16|int8/);
  const h = await loadModel(file, { weights: 'bf16' });
  assert.match(h.summary(), /^Kernels: .*, bf16 recurrent weights \(1 layer: lstm\)$/m);
  assert.ok(h.memoryBytes <= m.memoryBytes, 'bf16 takes no more wasm memory');
  const q = await loadModel(file, { weights: 'int8' });
  assert.equal({ weights: q.info.weights, layers: q.info.lowPrecisionLayers }, { weights: 'int8', layers: ['lstm'] });
  assert.match(q.summary(), /^Kernels: .*, int8 recurrent weights \(1 layer: lstm\)$/m);
  // A model without a recurrent layer: the option changes nothing, and info / summary say so.
  const dense = path.join(ROOT, 'test/fixtures/layers/conv1d_k2.h5'); // Conv1D -> Conv1D
  const d32 = await loadModel(dense);
  const d8 = await loadModel(dense, { weights: 'int8' });
  assert.equal(d8.info.lowPrecisionLayers, []);
  assert.match(d8.summary(), /^Kernels: .*, float32 weights \(weights: 'int8' applies to LSTM, GRU and SimpleRNN layers; this model has none\)$/m);
  const xd = inputFor(d32, 2);
  assert.equal(Array.from(d8.predict(xd).data), Array.from(d32.predict(xd).data));
  for (const bad of ['int4', 'BF16', 'INT8', 'float16', 16]) {
    try {
      await loadModel(file, { weights: bad });
      assert.unreachable(`weights: ${bad}`);
    } catch (e) {
      assert.instance(e, InputError);
      assert.is(e.context.field, 'weights');
    }
  }
});

test.run();
