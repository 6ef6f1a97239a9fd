// Streaming models of each generator shape: LSTM (last step) -> Dense -> Activation('softmax') and
// LSTM/GRU (return_sequences) -> Dense -> Activation('softmax'), Keras 1 / 2 / tf.keras / 3 files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { assertClose } from '../support/tolerance.js';

const dir = fileURLToPath(new URL('../fixtures/text/', import.meta.url));
const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8'));

function encode(entry, ids) {
  if (entry.encoding === 'ids') return { data: Float32Array.from(ids), shape: [1, ids.length] };
  const data = new Float32Array(ids.length * entry.classes);
  ids.forEach((t, i) => (data[i * entry.classes + t] = 1));
  return { data, shape: [1, ids.length, entry.classes] };
}

for (const entry of manifest.models) {
  test(`${entry.id}: predict matches the NumPy reference; stream in chunks == predict`, async () => {
    const model = await loadModel(dir + entry.model);
    const probe = entry.probe;
    const y = model.predict(encode(entry, probe.ids));
    assert.equal(y.shape, probe.output_shape);
    assertClose(y.data, Float32Array.from(probe.output), `${entry.id}: probe output`);
    const stream = model.stream();
    const cuts = [[0, 2], [2, 3], [3, probe.ids.length]];
    const parts = cuts.map(([a, b]) => stream.step(encode(entry, probe.ids.slice(a, b))));
    if (y.shape.length === 3) {
      // per-step output: the chunks' steps in order are the whole sequence's
      const joined = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
      let o = 0;
      for (const p of parts) (joined.set(p.data, o), (o += p.data.length));
      assertClose(joined, y.data, `${entry.id}: chunked per-step output`);
    } else {
      // last-step output: (batch, classes) after the last chunk is predict's answer
      assert.equal(parts[2].shape, y.shape);
      assertClose(parts[2].data, y.data, `${entry.id}: output after the last chunk`);
    }
    model.dispose();
  });
}

test('streams still refuse layers that act along the time axis', async () => {
  const fx = (n) => fileURLToPath(new URL(`../fixtures/${n}`, import.meta.url));
  // RepeatVector starts a new sequence; the LSTM over it would carry state across chunks.
  const rv = await loadModel(fx('repeatvector_seq2seq.h5'));
  assert.throws(() => rv.stream(), (e) => e instanceof UnsupportedKerasConfigurationError && /RepeatVector/.test(e.message) && e.message.includes('lstm_1'));
  // softmax over the sequence axis (attention pooling): the op mixes time steps
  const att = fx('keras3/k3_ops_masked_attention.keras');
  if (existsSync(att)) {
    const m = await loadModel(att);
    assert.throws(() => m.stream(), (e) => e instanceof UnsupportedKerasConfigurationError && /time|step/.test(e.message));
  }
});

test.run();
