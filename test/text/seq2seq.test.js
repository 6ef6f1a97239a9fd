// decodeSequence(): the Keras tutorial's encoder/decoder inference pair, greedy and beam search,
// against the NumPy reference decodings of make_text_fixtures.py.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel, decodeSequence, argmax, InputError } from '../../dist/index.js';

const dir = fileURLToPath(new URL('../fixtures/text/', import.meta.url));
const s2s = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8')).seq2seq[0];
const oneHot = (ids, n) => {
  const data = new Float32Array(ids.length * n);
  ids.forEach((t, i) => (data[i * n + t] = 1));
  return { data, shape: [1, ids.length, n] };
};

test('greedy decoding == NumPy reference == the tutorial loop over predict', async () => {
  const enc = await loadModel(dir + s2s.encoder);
  const dec = await loadModel(dir + s2s.decoder);
  const Vd = s2s.target_vocabulary.length;
  for (const c of s2s.cases) {
    const r = decodeSequence(enc, dec, { input: c.source, start: s2s.start, stop: s2s.stop, maxLength: s2s.max_length });
    assert.equal(r.ids, c.greedy);
    // decode_sequence() of the Keras tutorial, step by step
    let states = enc.predict(oneHot(c.source, s2s.source_vocabulary.length));
    let tok = s2s.start;
    const want = [];
    for (let i = 0; i < s2s.max_length; i++) {
      const [p, h, cc] = dec.predict([oneHot([tok], Vd), states[0], states[1]]);
      tok = argmax(p.data);
      if (tok === s2s.stop) break;
      want.push(tok);
      states = [h, cc];
    }
    assert.equal(r.ids, want);
  }
});

test('beam search == NumPy reference; text in and out with vocabularies', async () => {
  const enc = await loadModel(dir + s2s.encoder);
  const dec = await loadModel(dir + s2s.decoder);
  for (const c of s2s.cases) {
    const r = decodeSequence(enc, dec, { input: c.source, start: s2s.start, stop: s2s.stop, maxLength: s2s.max_length, beamWidth: c.beam_width });
    assert.equal(r.ids, c.beam);
    assert.ok(Math.abs(r.score - c.beam_score) < 1e-3, `${r.score} vs ${c.beam_score}`);
    const text = c.source.map((i) => s2s.source_vocabulary[i]).join('');
    const t = decodeSequence(enc, dec, {
      input: text,
      source: { vocabulary: s2s.source_vocabulary },
      target: { vocabulary: s2s.target_vocabulary },
      start: '\t',
      stop: '\n',
      maxLength: s2s.max_length,
      beamWidth: c.beam_width,
    });
    assert.is(t.text, c.beam.map((i) => s2s.target_vocabulary[i]).join(''));
  }
  assert.throws(() => decodeSequence(dec, enc, { input: [1], start: 0, stop: 1, maxLength: 3 }), (e) => e instanceof InputError && /encoder must take one input/.test(e.message));
  assert.throws(() => decodeSequence(enc, dec, { input: [1], start: 0, stop: 1, maxLength: 0 }), (e) => e instanceof InputError && /maxLength/.test(e.message));
});

test.run();
