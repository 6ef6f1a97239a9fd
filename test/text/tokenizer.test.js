// Keras Tokenizer JSON and pad_sequences against the Python port of Keras' rules
// (scripts/fixtures/make_text_fixtures.py: str.lower / str.translate / str.split, NumPy padding).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadTokenizer, padSequences, textToWordSequence, InvalidKerasConfigurationError, InputError } from '../../dist/index.js';

const cases = JSON.parse(readFileSync(new URL('../fixtures/text/tokenizers.json', import.meta.url), 'utf8'));

for (const c of cases.tokenizers) {
  test(`tokenizer (${c.what}): textsToSequences and sequencesToTexts as Keras`, () => {
    const tok = loadTokenizer(c.json);
    assert.equal(tok.textsToSequences(c.texts), c.sequences);
    assert.equal(tok.sequencesToTexts(c.to_texts_input), c.to_texts);
    // the parsed object loads the same
    if (c.form !== 'json-string') assert.equal(loadTokenizer(JSON.parse(c.json)).textsToSequences(c.texts), c.sequences);
    assert.ok(tok.wordIndex.size > 5);
  });
}

test('textToWordSequence: Keras defaults and Unicode lowercasing', () => {
  assert.equal(textToWordSequence('Hello, World!\tNew\nline'), ['hello', 'world', 'new', 'line']);
  // Python and JavaScript both lowercase U+0130 to "i" + U+0307, and final sigma to ς
  assert.equal(textToWordSequence('İ ΟΔΟΣ'), ['i\u0307', 'οδος']);
  assert.equal(textToWordSequence('a--b', { filters: '', split: '-' }), ['a', 'b']);
  assert.throws(() => textToWordSequence('x', { split: '' }), (e) => e instanceof InputError);
});

test('bad tokenizer JSON gives typed errors naming the field', () => {
  assert.throws(() => loadTokenizer('{not json'), (e) => e instanceof InvalidKerasConfigurationError && /not JSON/.test(e.message));
  assert.throws(() => loadTokenizer({ class_name: 'Tokenizer', config: {} }), (e) => e instanceof InvalidKerasConfigurationError && /word_index/.test(e.message));
  assert.throws(() => loadTokenizer({ the: 'x' }), (e) => e instanceof InvalidKerasConfigurationError && /the/.test(e.message));
  assert.throws(() => loadTokenizer({ class_name: 'Vocab', config: { word_index: '{}' } }), (e) => e instanceof InvalidKerasConfigurationError && /class_name/.test(e.message));
  assert.throws(() => loadTokenizer(JSON.stringify(JSON.stringify(JSON.stringify({ a: 1 })))), (e) => e instanceof InvalidKerasConfigurationError);
});

for (const p of cases.pad_sequences) {
  test(`padSequences ${JSON.stringify(p.options)}`, () => {
    const y = padSequences(p.sequences, p.options);
    const rows = p.expected.length;
    const cols = rows ? p.expected[0].length : 0;
    assert.equal(y.shape, [rows, cols]);
    assert.equal(Array.from(y.data), p.expected.flat());
  });
}

test('padSequences refuses bad options', () => {
  assert.throws(() => padSequences([[1]], { padding: 'middle' }), (e) => e instanceof InputError && /padding/.test(e.message));
  assert.throws(() => padSequences([[1]], { maxlen: -1 }), (e) => e instanceof InputError);
  assert.throws(() => padSequences([[1, NaN]]), (e) => e instanceof InputError && /sequences\[0\]\[1\]/.test(e.message));
});

test.run();
