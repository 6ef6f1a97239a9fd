// `kerasrnn convert IN OUT`: reads through loadModel, writes .keras / .h5 / .weights.h5.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { loadModel } from '../../dist/index.js';
import { runCli, tempDir, EXAMPLE, FIXTURES } from './helpers.js';

const x = { data: new Float32Array(50).map((_, t) => Math.sin(t / 4)), shape: [1, 50, 1] };

test('convert .h5 -> .keras -> .h5 keeps the predictions bit for bit', async () => {
  const t = tempDir();
  const k = t.file('m.keras');
  const h = t.file('m.h5');
  const r1 = runCli(['convert', EXAMPLE, k]);
  assert.is(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, /wrote .*m\.keras/);
  const r2 = runCli(['convert', k, h, '--quiet']);
  assert.is(r2.code, 0, r2.stderr);
  assert.is(r2.stdout, '');
  const y = (await loadModel(EXAMPLE)).predict(x).data;
  for (const file of [k, h]) assert.equal(Array.from((await loadModel(file)).predict(x).data), Array.from(y), file);
  assert.is((await loadModel(k)).generation.major, 3);
  t.remove();
});

test('convert a JSON config + weights; --format overrides the extension', async () => {
  const t = tempDir();
  const out = t.file('out.bin');
  const r = runCli(['convert', path.join(FIXTURES, 'functional_lstm.json'), out, '--weights', path.join(FIXTURES, 'functional_lstm.weights.h5'), '--format', 'keras']);
  assert.is(r.code, 0, r.stderr);
  assert.is(fs.readFileSync(out).subarray(0, 2).toString(), 'PK');
  t.remove();
});

test('convert a tf.keras SavedModel directory (which Keras 3 cannot load) to .keras', async () => {
  const dir = path.resolve(FIXTURES, '../../../shared/corpus/savedmodel/EthanTCruz__Fetch-Rewards-Dashboard/rnn_model');
  if (!fs.existsSync(dir)) return console.log('  skipped: ../shared/corpus not found');
  const t = tempDir();
  const r = runCli(['convert', dir, t.file('rnn.keras')]);
  assert.is(r.code, 0, r.stderr);
  const a = await loadModel(dir);
  const b = await loadModel(t.file('rnn.keras'));
  assert.is(b.generation.major, 3);
  const shape = a.inputs[0].shape.map((d, i) => (d === null ? (i === 0 ? 2 : 6) : d));
  const x = { data: Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => Math.cos(i)), shape };
  assert.equal(Array.from(b.predict(x).data), Array.from(a.predict(x).data));
  t.remove();
});

test('convert a CuDNNLSTM / CuDNNGRU .h5 to .keras: LSTM / GRU layers Keras 3 has, same predictions', async () => {
  const t = tempDir();
  for (const name of ['cudnn_lstm_tf', 'cudnn_gru_k2']) {
    const src = path.join(FIXTURES, `${name}.h5`);
    const out = t.file(`${name}.keras`);
    const r = runCli(['convert', src, out]);
    assert.is(r.code, 0, r.stderr);
    const a = await loadModel(src);
    const b = await loadModel(out);
    assert.equal(b.layers.filter((l) => l.className !== 'InputLayer' && l.className !== 'Dense').map((l) => l.className), [name.includes('gru') ? 'GRU' : 'LSTM']);
    const shape = a.inputs[0].shape.map((d, i) => (d === null ? (i === 0 ? 2 : 6) : d));
    const x = { data: Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => Math.cos(i)), shape };
    assert.equal(Array.from(b.predict(x).data), Array.from(a.predict(x).data), name);
  }
  t.remove();
});

test('convert failures: typed error and exit 1; unknown format is a usage error', () => {
  const t = tempDir();
  const r = runCli(['convert', path.join(FIXTURES, 'models/k1_merge_functional.h5'), t.file('k1.keras')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /UnsupportedKerasConfigurationError: Keras 1 Merge layers are not converted/);
  const u = runCli(['convert', EXAMPLE, t.file('x.keras'), '--format', 'onnx']);
  assert.is(u.code, 2);
  const e = runCli(['convert', EXAMPLE, t.file('x.txt')]);
  assert.is(e.code, 1);
  assert.match(e.stderr, /\.keras, \.h5 or \.weights\.h5/);
  t.remove();
});

test.run();
