// Streaming: feeding a sequence in chunks gives the same outputs as one predict over the whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { loadModel, UnsupportedKerasConfigurationError, InputError } from '../../dist/index.js';
import { assertClose } from '../support/tolerance.js';

const fixture = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function randomInput(B, T, F, seed = 7) {
  const data = new Float32Array(B * T * F);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return { data, shape: [B, T, F] };
}

/** Steps [from, to) of a [B, T, F] tensor. */
function sliceSteps(x, from, to) {
  const [B, T, F] = x.shape;
  const data = new Float32Array(B * (to - from) * F);
  for (let b = 0; b < B; b++) data.set(x.data.subarray((b * T + from) * F, (b * T + to) * F), b * (to - from) * F);
  return { data, shape: [B, to - from, F] };
}

function concatSteps(parts) {
  const [B, , U] = parts[0].shape;
  const T = parts.reduce((n, p) => n + p.shape[1], 0);
  const data = new Float32Array(B * T * U);
  let t0 = 0;
  for (const p of parts) {
    const t = p.shape[1];
    for (let b = 0; b < B; b++) data.set(p.data.subarray(b * t * U, (b + 1) * t * U), (b * T + t0) * U);
    t0 += t;
  }
  return { data, shape: [B, T, U] };
}

const CASES = [
  ['lstm_stacked.h5', 'LSTM (sequences) -> LSTM (last) -> Dense'],
  ['gru_reset_after_true.h5', 'GRU reset_after=True'],
  ['gru_reset_after_false.h5', 'GRU reset_after=False'],
  ['simple_rnn_tanh.h5', 'SimpleRNN'],
  ['k1_lstm.h5', 'Keras 1 LSTM (per-gate weights)'],
  ['cudnn_lstm_k2.h5', 'CuDNNLSTM'],
  ['cudnn_gru_k2.h5', 'CuDNNGRU'],
  ['masking_lstm_td.h5', 'Masking -> LSTM (sequences) -> TimeDistributed(Dense)'],
  ['masking_gru_both.h5', 'Masking -> GRU -> GRU'],
];

for (const [file, what] of CASES) {
  test(`stream in chunks == predict: ${what}`, async () => {
    const model = await loadModel(fixture(file));
    const [, fixedT, F] = model.inputs[0].shape;
    const T = fixedT ?? 13;
    const x = randomInput(4, T, F);
    // Some masked steps (all features 0) so the chunked path sees masks too.
    x.data.fill(0, (1 * T + T - 2) * F, (1 * T + T) * F);
    x.data.fill(0, (2 * T + 2) * F, (2 * T + 3) * F);
    const whole = model.predict(x);
    const stream = model.stream();
    const cuts = [[0, 2], [2, 3], [3, T]];
    const chunks = cuts.map(([a, b]) => stream.step(sliceSteps(x, a, b)));
    if (whole.shape.length === 3) {
      assertClose(concatSteps(chunks).data, whole.data, `${file}: chunked sequence output`);
    } else {
      assertClose(chunks[chunks.length - 1].data, whole.data, `${file}: output after the last chunk`);
    }
    // Restarting from the saved state reproduces the continuation.
    const s2 = model.stream();
    s2.step(sliceSteps(x, 0, 3));
    const saved = s2.getState();
    for (const t of Object.values(saved)) assert.is(t.shape[0], 4);
    const s3 = model.stream();
    s3.setState(saved);
    assertClose(s3.step(sliceSteps(x, 3, T)).data, chunks[2].data, `${file}: setState continues the stream`);
    // reset() starts over from zero state.
    stream.reset();
    assertClose(stream.step(sliceSteps(x, 0, 2)).data, chunks[0].data, `${file}: reset`);
    model.dispose();
  });
}

test('streams are independent of each other and of predict', async () => {
  const model = await loadModel(fixture('gru_reset_after_true.h5'));
  const [, T, F] = model.inputs[0].shape;
  const x = randomInput(2, T, F, 99);
  const a = model.stream();
  const b = model.stream();
  const a1 = a.step(sliceSteps(x, 0, 3));
  model.predict(randomInput(3, T, F, 5));
  b.step(randomInput(2, 3, F, 11));
  const a2 = a.step(sliceSteps(x, 3, T));
  const whole = model.predict(x);
  assertClose(a2.data, whole.data, 'stream a unaffected by stream b and predict');
  assert.ok(a1.data.some((v, i) => v !== a2.data[i]));
});

/** Rows [r] of a [B, ...] tensor, stacked. */
function takeRows(x, rows) {
  const per = x.data.length / x.shape[0];
  const data = new Float32Array(rows.length * per);
  rows.forEach((r, i) => data.set(x.data.subarray(r * per, (r + 1) * per), i * per));
  return { data, shape: [rows.length, ...x.shape.slice(1)] };
}

for (const file of ['masking_lstm_td.h5', 'lstm_stacked.h5', 'masking_gru_both.h5']) {
  test(`row states: sequences stepped as changing rows of shared calls == predict per sequence (${file})`, async () => {
    const model = await loadModel(fixture(file));
    const [, fixedT, F] = model.inputs[0].shape;
    const T = fixedT ?? 9;
    const x = randomInput(3, T, F, 31);
    // Masked steps right at chunk starts, so a row's masking history has to travel with it.
    x.data.fill(0, (0 * T + 2) * F, (0 * T + 3) * F);
    x.data.fill(0, (2 * T + 0) * F, (2 * T + 1) * F);
    const cuts = [[0, 2], [2, 4], [4, T]];
    // (sequence, chunk) per row; rows of one call share a chunk length.
    const calls = [[[0, 0], [1, 0]], [[1, 1], [2, 0], [0, 1]], [[2, 1]], [[0, 2], [2, 2], [1, 2]]];
    const saved = [null, null, null];
    const outs = [[], [], []];
    const stream = model.stream();
    for (const call of calls) {
      stream.setRowStates(call.map(([seq]) => saved[seq]));
      const parts = call.map(([seq, chunk]) => sliceSteps(takeRows(x, [seq]), ...cuts[chunk]));
      const per = parts[0].data.length;
      const data = new Float32Array(per * parts.length);
      parts.forEach((p, i) => data.set(p.data, i * per));
      const y = stream.step({ data, shape: [parts.length, parts[0].shape[1], F] });
      const rows = stream.getRowStates();
      assert.is(rows.length, call.length);
      call.forEach(([seq], i) => {
        saved[seq] = rows[i];
        outs[seq].push(takeRows(y, [i]));
      });
    }
    const whole = model.predict(x);
    for (let seq = 0; seq < 3; seq++) {
      const expected = takeRows(whole, [seq]);
      const got = whole.shape.length === 3 ? concatSteps(outs[seq]) : outs[seq][outs[seq].length - 1];
      assertClose(got.data, expected.data, `${file}: sequence ${seq}`);
    }
    assert.throws(() => stream.setRowStates([new Float32Array(3)]), (e) => e instanceof InputError && /row state 0/.test(e.message));
    assert.throws(() => stream.setRowStates([]), (e) => e instanceof InputError);
    model.dispose();
  });
}

test('streams refuse Bidirectional and go_backwards models, and wrong batch sizes', async () => {
  const bi = await loadModel(fixture('bidir_lstm_concat.h5'));
  assert.throws(() => bi.stream(), (e) => e instanceof UnsupportedKerasConfigurationError && /Bidirectional/.test(e.message));
  const gb = await loadModel(fixture('lstm_go_backwards.h5'));
  assert.throws(() => gb.stream(), (e) => e instanceof UnsupportedKerasConfigurationError && /go_backwards/.test(e.message));
  const m = await loadModel(fixture('simple_rnn_tanh.h5'));
  const s = m.stream();
  const F = m.inputs[0].shape[2];
  s.step(randomInput(2, 3, F));
  assert.throws(() => s.step(randomInput(3, 3, F)), (e) => e instanceof InputError && /reset/.test(e.message));
});

test.run();
