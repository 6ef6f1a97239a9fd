// loadModel's opt-in `weights: 'bf16'`: LSTM and SimpleRNN recurrent kernels stored as bfloat16.
// The reference is independent of the bf16 packer and kernels: the same model loaded as float32
// with its recurrent kernels rounded to bf16 here (round to nearest even, on the float32 bits) and
// installed with setWeights. The bf16 kernels widen each weight exactly and run the same
// multiply-adds in the same order, so the two must agree bit for bit; the float32 model itself
// differs by the rounding. GRU has no bf16 kernel: its results stay the float32 ones exactly.
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

test('GRU has no bf16 kernel: weights: bf16 leaves its results exactly float32', async () => {
  const file = path.join(ROOT, 'test/fixtures/gru_keras2_defaults.h5');
  const f32 = await loadModel(file);
  const bf16 = await loadModel(file, { weights: 'bf16' });
  const x = input([2, 5, 3]);
  assert.equal(Array.from(bf16.predict(x).data), Array.from(f32.predict(x).data));
});

test('bf16 is opt-in, shown in info and summary; other values are InputErrors naming the field', async () => {
  const file = path.join(ROOT, 'examples/sine_forecaster.h5');
  const m = await loadModel(file);
  assert.is(m.info.weights, 'float32');
  assert.not.match(m.summary(), /bf16/);
  const h = await loadModel(file, { weights: 'bf16' });
  assert.match(h.summary(), /^Kernels: .*, bf16 recurrent weights \(LSTM, SimpleRNN\)$/m);
  assert.ok(h.memoryBytes <= m.memoryBytes, 'bf16 takes no more wasm memory');
  for (const bad of ['int4', 'BF16', 16]) {
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
