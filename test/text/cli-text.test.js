// kerasrnn predict --tokenizer --text, and kerasrnn generate, as a user runs them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../dist/index.js';
import { runCli, tempDir, FIXTURES, close } from '../cli/helpers.js';

const dir = `${FIXTURES}/text/`;
const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8'));
const entry = (id) => manifest.models.find((m) => m.id === id);

test('predict --tokenizer --text: Keras tokenization, pre-padding to the input length', async () => {
  const t = tempDir();
  try {
    const words = entry('word_window_tf').vocabulary;
    const wordIndex = Object.fromEntries(words.slice(1).map((w, i) => [w, i + 1]));
    fs.writeFileSync(t.file('tok.json'), JSON.stringify(wordIndex));
    const r = runCli(['predict', dir + 'word_window_tf.h5', '--tokenizer', t.file('tok.json'), '--text', 'The cat, sat on!', '--text', 'a dog ran to the park and saw it', '--json']);
    assert.is(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    const rows = Array.isArray(got[0]) ? got : got[Object.keys(got)[0]];
    // "the cat sat on" -> [1, 2, 3, 4], pre-padded to 5; "a dog ran to the park and saw it" ->
    // [6, 7, 8, 9, 1, 10, 11, 12, 13], truncated 'pre' to its last 5 ids
    const model = await loadModel(dir + 'word_window_tf.h5');
    const y = model.predict({ data: Float32Array.from([0, 1, 2, 3, 4, 1, 10, 11, 12, 13]), shape: [2, 5] });
    const flat = rows.flat();
    assert.is(flat.length, y.data.length);
    flat.forEach((v, i) => assert.ok(close(v, y.data[i]), `value ${i}: ${v} vs ${y.data[i]}`));
  } finally {
    t.remove();
  }
});


test('predict --text on a model that takes strings (TextVectorization inside)', () => {
  const pre = JSON.parse(readFileSync(`${dir}preprocessing/manifest.json`, 'utf8')).cases.find((c) => c.id === 'sentiment_assets_k3');
  const r = runCli(['predict', `${dir}preprocessing/${pre.model}`, '--text', pre.inputs[0], '--text', pre.inputs[1], '--json']);
  assert.is(r.code, 0, r.stderr);
  const flat = JSON.stringify(JSON.parse(r.stdout)).match(/-?\d+(\.\d+)?(e-?\d+)?/g).map(Number);
  assert.is(flat.length, 2);
  flat.forEach((v, i) => assert.ok(close(v, pre.expected[i][0]), `${v} vs ${pre.expected[i][0]}`));
  const numeric = runCli(['predict', dir + 'word_window_tf.h5', '--text', 'x']);
  assert.is(numeric.code, 1);
  assert.match(numeric.stderr, /--text needs --tokenizer/);
});

test('generate --tokenizer (a Keras Tokenizer file): text prompt in, greedy words out', () => {
  const e = entry('word_window_tf');
  // "SAW <OOV> AND!": Keras lowercases, the filters drop "<>", and the unknown "oov" maps to oov_token
  const prompt = `${e.greedy.prompt.map((i) => e.vocabulary[i]).join(' ').toUpperCase()}!`;
  const r = runCli(['generate', dir + e.model, '--tokenizer', dir + 'word_tokenizer.json', '--prompt', prompt, '-n', '12', '-t', '0', '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.promptIds, e.greedy.prompt);
  assert.equal(out.ids, e.greedy.ids);
  assert.is(out.text, e.greedy.ids.map((i) => e.vocabulary[i]).join(' '));
});

test('generate: greedy and seeded runs as the library; seq2seq beam search; usage errors', () => {
  const t = tempDir();
  try {
    const e = entry('char_window_k2');
    fs.writeFileSync(t.file('chars.json'), JSON.stringify(e.vocabulary));
    const text = (ids) => ids.map((i) => e.vocabulary[i]).join('');
    const prompt = text(e.greedy.prompt);
    const g = runCli(['generate', dir + e.model, '--vocabulary', t.file('chars.json'), '--prompt', prompt, '--steps', '12', '--temperature', '0']);
    assert.is(g.code, 0, g.stderr);
    assert.is(g.stdout, `${text(e.greedy.ids)}\n`);
    const s = e.sampled;
    const args = ['generate', dir + e.model, '--prompt', e.greedy.prompt.join(','), '-n', '12', '-t', String(s.temperature), '--top-k', String(s.topK), '--seed', String(s.seed), '--json'];
    const a = runCli(args);
    assert.is(a.code, 0, a.stderr);
    assert.equal(JSON.parse(a.stdout).ids, s.ids);
    assert.is(runCli(args).stdout, a.stdout);
    const s2s = manifest.seq2seq[0];
    const c = s2s.cases[0];
    const b = runCli(['generate', dir + s2s.encoder, '--decoder', dir + s2s.decoder, '--prompt', c.source.join(','), '--start', String(s2s.start), '--stop', String(s2s.stop), '--beam-width', String(c.beam_width), '-n', String(s2s.max_length)]);
    assert.is(b.code, 0, b.stderr);
    assert.is(b.stdout, `${c.beam.join(' ')}\n`);
    const bad = runCli(['generate', dir + e.model, '--prompt', '1', '--temperature', '-1']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /--temperature must be a number >= 0/);
    const noVocab = runCli(['generate', dir + e.model, '--prompt', 'hello']);
    assert.is(noVocab.code, 1);
    assert.match(noVocab.stderr, /no --tokenizer or --vocabulary/);
  } finally {
    t.remove();
  }
});

test.run();
