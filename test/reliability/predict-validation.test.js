// Predict-time validation: input that does not fit the model is an InputError naming the file, the
// input (or layer) and the value, never a TypeError, a silent NaN or a wrong number. Behaviour
// matches Keras where Keras has one (out-of-range token ids raise; an empty sequence raises in a
// recurrent layer).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { InputError, loadModel } from '../../dist/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures');
const load = (name, options) => loadModel(path.join(FIXTURES, name), options);

function throwsInput(fn, ...patterns) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, InputError, `${e?.name}: ${e?.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return e;
  }
  assert.unreachable('expected an InputError');
}

const lstm = await load('lstm_units7.h5'); // input [null, 5, 3]
const [, T, F] = lstm.inputs[0].shape;
const x = (b = 2, t = T, f = F, fill = 0.25) => ({ data: new Float32Array(b * t * f).fill(fill), shape: [b, t, f] });
const reference = lstm.predict(x());

test('wrong rank', () => {
  const e = throwsInput(() => lstm.predict({ data: new Float32Array(2 * T), shape: [2, T] }), /expected a rank-3 input \[null,5,3\], got shape \[2,5\]/);
  assert.match(e.message, /lstm_units7\.h5/);
  assert.is(e.context.field, lstm.inputs[0].name);
  throwsInput(() => lstm.predict({ data: new Float32Array(2 * T * F), shape: [2, T, F, 1] }), /rank-3/);
});

test('wrong shape (a fixed dimension differs)', () => {
  throwsInput(() => lstm.predict(x(2, T, F + 1)), /dimension 2 must be 3/);
  throwsInput(() => lstm.predict(x(2, T + 1, F)), /dimension 1 must be 5/);
});

test('wrong length (data does not match the shape), bad shape entries', () => {
  throwsInput(() => lstm.predict({ data: new Float32Array(2 * T * F - 1), shape: [2, T, F] }), /data has 29 values, shape \[2,5,3\] needs 30/);
  throwsInput(() => lstm.predict({ data: null, shape: [2, T, F] }), /data has undefined values/);
  throwsInput(() => lstm.predict({ data: new Float32Array(30), shape: [2, -5, 3] }), /non-negative integers/);
  throwsInput(() => lstm.predict({ data: new Float32Array(30), shape: [2.5, 5, 3] }), /non-negative integers/);
  throwsInput(() => lstm.predict({ data: new Float32Array(30), shape: 'abc' }), /shape must be an array of dimensions, batch first \(e\.g\. \[1,5,3\]\)/);
  throwsInput(() => lstm.predict({ data: new Float32Array(30) }), /the input has no "shape": predict takes \{ data, shape \}/);
  throwsInput(() => lstm.predict(new Float32Array(30)), /not a bare Float32Array: wrap it as \{ data, shape: \[1,5,3\] \}/);
  throwsInput(() => lstm.predict(null), /\{ data, shape \}/);
});

test('dtype: numeric typed arrays and number arrays are converted; anything else is refused', () => {
  const f32 = x();
  const same = (t) => assert.equal(Array.from(lstm.predict(t).data), Array.from(reference.data));
  same({ data: Float64Array.from(f32.data), shape: f32.shape });
  same({ data: Array.from(f32.data), shape: f32.shape });
  const ints = { data: new Int32Array(30).fill(1), shape: [2, T, F] };
  assert.equal(Array.from(lstm.predict(ints).data), Array.from(lstm.predict({ data: new Float32Array(30).fill(1), shape: [2, T, F] }).data));
  throwsInput(() => lstm.predict({ data: new BigInt64Array(30), shape: [2, T, F] }), /data must hold numbers, got a BigInt64Array/);
  throwsInput(() => lstm.predict({ data: Array.from({ length: 30 }, () => 'a'), shape: [2, T, F] }), /data must hold numbers, got string at index 0/);
  throwsInput(() => lstm.predict({ data: { length: 30 }, shape: [2, T, F] }), /data must be a Float32Array/);
  throwsInput(() => lstm.predict({ data: new DataView(new ArrayBuffer(30)), shape: [2, T, F] }), /data has undefined values|DataView/);
});

test('NaN and infinite values pass through as Keras would compute them', () => {
  const y = lstm.predict(x(1, T, F, NaN));
  assert.ok(y.data.every(Number.isNaN));
});

test('empty batch is refused (Keras predict refuses empty data)', () => {
  throwsInput(() => lstm.predict({ data: new Float32Array(0), shape: [0, T, F] }), /the batch is empty/);
});

test('zero-length sequence: a recurrent layer raises naming the layer, as Keras does', async () => {
  const m = await load('embedding_mask_zero_lstm.h5'); // input [null, null] token ids
  const e = throwsInput(() => m.predict({ data: new Float32Array(0), shape: [2, 0] }), /zero-length sequence/);
  assert.is(e.context.layer, 'lstm');
  throwsInput(() => m.stream().step({ data: new Float32Array(0), shape: [2, 0] }), /at least one step/);
  // the model works afterwards
  assert.equal(m.predict({ data: new Float32Array([1, 2, 0, 3]), shape: [2, 2] }).shape, [2, m.outputs[0].shape[1]]);
  m.dispose();
});

test('Embedding: token ids outside [0, input_dim) raise, naming the layer and the id', async () => {
  const m = await load('embedding_lstm_softmax.h5');
  const [, steps] = m.inputs[0].shape;
  const vocab = m.layers.find((l) => l.className === 'Embedding').details.inputDim;
  const ids = (v) => ({ data: new Float32Array(2 * steps).fill(1).map((d, i) => (i === 3 ? v : d)), shape: [2, steps] });
  for (const bad of [vocab, -1, 1e9, 0.5, NaN]) {
    const e = throwsInput(() => m.predict(ids(bad)), /token id/, /at flat position 3/);
    assert.is(e.context.layer, 'embedding');
    assert.match(e.message, new RegExp(`\\[0, ${vocab}\\)`));
  }
  assert.is(m.predict(ids(vocab - 1)).shape[0], 2);
  m.dispose();
});

test('several inputs: count, names, batch sizes', async () => {
  const m = await load('decoder_initial_state_inputs.h5'); // [null,null,2], [null,5], [null,5]
  const seq = { data: new Float32Array(2 * 3 * 2), shape: [2, 3, 2] };
  const st = (b) => ({ data: new Float32Array(b * 5), shape: [b, 5] });
  throwsInput(() => m.predict([seq, st(2)]), /the model has 3 inputs, got 2/);
  throwsInput(() => m.predict([seq, st(2), st(3)]), /same batch size \(2 vs 3\)/);
  throwsInput(() => m.predict(seq), /3 inputs/);
  throwsInput(() => m.predict({ decoder_inputs: seq, state_h: st(2) }), /missing input "state_c"/);
  throwsInput(() => m.predict(JSON.parse('{"__proto__": {}, "constructor": {}}')), /missing input/);
  assert.is(m.predict({ decoder_inputs: seq, state_h: st(2), state_c: st(2) }).shape[0], 2);
  m.dispose();
});

test('outputs option: unknown names and non-lists are InputErrors', () => {
  throwsInput(() => lstm.predict(x(), { outputs: ['nope'] }), /no such layer output/);
  throwsInput(() => lstm.predict(x(), { outputs: ['__proto__'] }), /no such layer output/);
  throwsInput(() => lstm.predict(x(), { outputs: ['lstm:7'] }), /no such layer output/);
  throwsInput(() => lstm.predict(x(), { outputs: 'lstm' }), /outputs must be a list/);
});

test('a disposed model and its streams refuse to run', async () => {
  const m = await load('lstm_units7.h5');
  const s = m.stream();
  s.step(x(1, 2));
  m.dispose();
  throwsInput(() => m.predict(x()), /disposed/);
  throwsInput(() => m.stream(), /disposed/);
  throwsInput(() => s.step(x(1, 2)), /disposed/);
});

test('a bad predict leaves the model working and its results unchanged', () => {
  for (const bad of [null, { data: new BigInt64Array(30), shape: [2, T, F] }, x(2, T, F + 1), { data: new Float32Array(0), shape: [0, T, F] }]) {
    try {
      lstm.predict(bad);
    } catch {
      // refused
    }
  }
  assert.equal(Array.from(lstm.predict(x()).data), Array.from(reference.data));
});

test.run();
