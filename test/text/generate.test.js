// generate(): greedy == the NumPy reference and == an argmax loop over predict; window and stream
// modes on char- and word-level models; seeded sampling reproduces the Python port's draws.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel, generate, loadTokenizer, Xoshiro128, pickToken, argmax, InputError } from '../../dist/index.js';

const dir = fileURLToPath(new URL('../fixtures/text/', import.meta.url));
const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8'));

function encode(entry, ids, steps) {
  const pad = steps - ids.length;
  if (entry.encoding === 'ids') return { data: Float32Array.from([...new Array(pad).fill(0), ...ids]), shape: [1, steps] };
  const data = new Float32Array(steps * entry.classes);
  ids.forEach((t, i) => (data[(pad + i) * entry.classes + t] = 1));
  return { data, shape: [1, steps, entry.classes] };
}

/** The loop generate() must equal: predict the window (or the whole sequence), take the argmax. */
function argmaxLoop(model, entry, prompt, steps, window) {
  const seq = [...prompt];
  const out = [];
  for (let s = 0; s < steps; s++) {
    const w = window ? seq.slice(-window) : seq;
    const y = model.predict(encode(entry, w, window ?? w.length));
    const row = y.data.subarray(y.data.length - entry.classes);
    const t = argmax(row);
    seq.push(t);
    out.push(t);
  }
  return out;
}

for (const entry of manifest.models) {
  test(`${entry.id}: greedy generate (${entry.mode}) == NumPy reference == argmax loop over predict`, async () => {
    const model = await loadModel(dir + entry.model);
    const g = entry.greedy;
    const r = generate(model, { prompt: g.prompt, steps: g.steps, temperature: 0 });
    assert.is(r.mode, entry.mode);
    assert.equal(r.ids, g.ids);
    assert.equal(r.ids, argmaxLoop(model, entry, g.prompt, g.steps, entry.window));
    assert.equal(r.promptIds, g.prompt);
    model.dispose();
  });

  test(`${entry.id}: the other mode`, async () => {
    const model = await loadModel(dir + entry.model);
    const g = entry.greedy;
    if (entry.mode === 'stream') {
      // a per-step model run as a sliding window of 3 tokens
      const r = generate(model, { prompt: g.prompt, steps: 8, temperature: 0, mode: 'window', window: 3 });
      assert.equal(r.ids, argmaxLoop(model, entry, g.prompt, 8, 3));
    } else {
      // a last-step model run with its state carried (the whole history, not a window)
      const r = generate(model, { prompt: g.prompt, steps: 8, temperature: 0, mode: 'stream' });
      const s = model.stream();
      let y = s.step(encode(entry, g.prompt, g.prompt.length));
      const want = [];
      for (let i = 0; i < 8; i++) {
        const t = argmax(y.data);
        want.push(t);
        y = s.step(encode(entry, [t], 1));
      }
      assert.equal(r.ids, want);
    }
    model.dispose();
  });

  test(`${entry.id}: seeded sampling reproduces the Python port's draws`, async () => {
    const model = await loadModel(dir + entry.model);
    const sm = entry.sampled;
    const opts = { prompt: entry.greedy.prompt, steps: 12, temperature: sm.temperature, seed: sm.seed, ...(sm.topK ? { topK: sm.topK } : {}), ...(sm.topP ? { topP: sm.topP } : {}) };
    const a = generate(model, opts);
    assert.equal(a.ids, sm.ids);
    assert.equal(generate(model, opts).ids, a.ids, 'same seed, same tokens');
    assert.is(a.seed, sm.seed);
    const other = generate(model, { ...opts, seed: sm.seed + 1000 });
    assert.ok(other.ids.join() !== a.ids.join(), 'another seed, other tokens');
    model.dispose();
  });
}

test('text prompts: char vocabulary (list or char_indices object), Keras tokenizer; stop tokens', async () => {
  const entry = manifest.models.find((m) => m.id === 'char_window_k2');
  const model = await loadModel(dir + entry.model);
  const chars = entry.vocabulary;
  const prompt = entry.greedy.prompt.map((i) => chars[i]).join('');
  const r = generate(model, { prompt, vocabulary: chars, steps: 12, temperature: 0 });
  assert.equal(r.ids, entry.greedy.ids);
  assert.is(r.text, entry.greedy.ids.map((i) => chars[i]).join(''));
  const indices = Object.fromEntries(chars.map((c, i) => [c, i]));
  assert.equal(generate(model, { prompt, vocabulary: indices, steps: 12, temperature: 0 }).ids, entry.greedy.ids);
  // stop at the first occurrence of the 4th generated token (excluded)
  const stopTok = entry.greedy.ids[3];
  const first = entry.greedy.ids.indexOf(stopTok);
  const stopped = generate(model, { prompt, vocabulary: chars, steps: 12, temperature: 0, stop: chars[stopTok] });
  assert.is(stopped.stoppedBy, 'stop');
  assert.equal(stopped.ids, entry.greedy.ids.slice(0, first));
  assert.throws(() => generate(model, { prompt: 'xyz', vocabulary: chars, steps: 1 }), (e) => e instanceof InputError && /"x"/.test(e.message));
  assert.throws(() => generate(model, { prompt: 'abc', steps: 1 }), (e) => e instanceof InputError && /tokenizer or vocabulary/.test(e.message));
  assert.throws(() => generate(model, { prompt: [1], steps: 1, temperature: -1 }), (e) => e instanceof InputError && /temperature/.test(e.message));
  model.dispose();

  const w = manifest.models.find((m) => m.id === 'word_window_tf');
  const wm = await loadModel(dir + w.model);
  // the vocabulary's "<oov>" is Keras' oov_token: "<OOV>" loses its <> to the filters and maps to it
  const wordIndex = JSON.stringify(Object.fromEntries(w.vocabulary.slice(1).map((t, i) => [t, i + 1])));
  const tok = loadTokenizer({ class_name: 'Tokenizer', config: { word_index: wordIndex, oov_token: '<oov>' } });
  const text = w.greedy.prompt.map((i) => w.vocabulary[i]).join(' ').toUpperCase() + '!';
  const tr = generate(wm, { prompt: text, tokenizer: tok, steps: 12, temperature: 0 });
  assert.equal(tr.ids, w.greedy.ids);
  assert.is(tr.text, w.greedy.ids.map((i) => w.vocabulary[i]).join(' '));
  wm.dispose();
});

test('Xoshiro128 (SplitMix64-seeded xoshiro128**) == the Python port', () => {
  for (const v of manifest.prng) {
    const g = new Xoshiro128(v.seed);
    assert.equal(Array.from({ length: 6 }, () => g.nextUint32()), v.uint32, `seed ${v.seed}`);
    assert.equal(Array.from({ length: 3 }, () => g.nextDouble()), v.double, `seed ${v.seed}`);
  }
});

test('pickToken: greedy ties go to the lowest id; topK 1 is greedy; logits rows', () => {
  const rng = new Xoshiro128(3);
  assert.is(pickToken([0.2, 0.4, 0.4], { temperature: 0 }, rng), 1);
  for (let i = 0; i < 20; i++) assert.is(pickToken([0.1, 0.2, 0.6, 0.1], { temperature: 1, topK: 1 }, rng), 2);
  for (let i = 0; i < 20; i++) assert.is(pickToken([0.05, 0.9, 0.05], { topP: 0.5 }, rng), 1);
  // a row of logits (not a distribution) at a low temperature is nearly greedy
  let twos = 0;
  for (let i = 0; i < 200; i++) twos += pickToken([1, -3, 4, 2], { temperature: 0.05 }, rng) === 2 ? 1 : 0;
  assert.ok(twos >= 199, String(twos));
});

test.run();
