import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { decodeUtf8, DEFAULT_MAX_JSON_DEPTH, parseJsonConfig } from '../../dist/formats/json-config.js';
import { ModelFileError, ResourceLimitError } from '../../dist/errors.js';
import { corpusFile, haveCorpus, manifest, thrown } from './helpers.js';

const nested = (depth) => '['.repeat(depth) + ']'.repeat(depth);

test('parses a Keras configuration', () => {
  const text = '{"class_name": "Sequential", "config": [{"class_name": "LSTM", "config": {"units": 4, "dropout": 0.0, "go_backwards": false, "name": "lstm_1"}}]}';
  assert.equal(parseJsonConfig(text, 'model.json'), JSON.parse(text));
  assert.equal(parseJsonConfig('\ufeff{"a": 1}', 'bom.json'), { a: 1 });
  assert.is(parseJsonConfig('"just a string"', 's.json'), 'just a string');
});

test('invalid JSON -> ModelFileError with file name, line, column and position', () => {
  const e = thrown(() => parseJsonConfig('{"a": 1,\n  "b": }', 'model.json'));
  assert.instance(e, ModelFileError);
  assert.match(e.message, /model\.json/);
  assert.match(e.message, /line 2, column 8 \(position 16\)/);
  assert.match(e.message, /unexpected character "}"/);
  const cases = [
    ['{"a": 1', /unexpected end of text/],
    ['{"a" 1}', /expected ':'/],
    ["{'a': 1}", /property name in double quotes/],
    ['[1, 2,]', /unexpected character "]"/],
    ['{"a": 1} x', /unexpected text after the JSON value/],
    ['{"a": "b\\q"}', /invalid escape/],
    ['{"a": "unterminated', /unterminated string/],
    ['{"a": NaN}', /unexpected character "N"/],
    ['{"a": 01}', /expected ',' or '}'/],
  ];
  for (const [text, reason] of cases) {
    const err = thrown(() => parseJsonConfig(text, 'bad.json'));
    assert.instance(err, ModelFileError, text);
    assert.match(err.message, reason, text);
    assert.match(err.message, /position \d+/, text);
  }
  const empty = thrown(() => parseJsonConfig('  \n', 'empty.json'));
  assert.instance(empty, ModelFileError);
  assert.match(empty.message, /empty/);
});

test('__proto__, constructor and prototype keys are dropped at any depth', () => {
  const text =
    '{"__proto__": {"polluted": 1}, "a": {"constructor": {"prototype": {"polluted": 2}}, "b": [{"__proto__": {"x": 1}, "c": 3}]}, "prototype": 4}';
  const value = parseJsonConfig(text, 'evil.json');
  assert.equal(value, { a: { b: [{ c: 3 }] } });
  assert.is(Object.getPrototypeOf(value), Object.prototype);
  assert.is(Object.getPrototypeOf(value.a.b[0]), Object.prototype);
  assert.not.ok(Object.hasOwn(value, '__proto__'));
  assert.is({}.polluted, undefined);
  assert.is(Object.prototype.polluted, undefined);
  const merged = Object.assign({}, value);
  assert.is(merged.polluted, undefined);
});

test('nesting depth is capped (default 64) with ResourceLimitError naming the cap', () => {
  assert.is(DEFAULT_MAX_JSON_DEPTH, 64);
  assert.ok(Array.isArray(parseJsonConfig(nested(64), 'ok.json')));
  const e = thrown(() => parseJsonConfig(nested(65), 'deep.json'));
  assert.instance(e, ResourceLimitError);
  assert.match(e.message, /cap of 64/);
  assert.match(e.message, /maxDepth/);
  assert.match(e.message, /deep\.json/);
  assert.ok(Array.isArray(parseJsonConfig(nested(100), 'deep.json', { maxDepth: 100 })));
  assert.instance(thrown(() => parseJsonConfig('{"a": {"b": {"c": 1}}}', 'x.json', { maxDepth: 2 })), ResourceLimitError);
  // brackets inside strings do not count
  assert.equal(parseJsonConfig(`{"s": "${'['.repeat(500)}\\"{{{"}`, 's.json'), { s: `${'['.repeat(500)}"{{{` });
  // a hostile depth fails fast instead of overflowing the stack
  const started = Date.now();
  assert.instance(thrown(() => parseJsonConfig(nested(1e6), 'hostile.json')), ResourceLimitError);
  assert.ok(Date.now() - started < 1000);
});

test('decodeUtf8: BOM dropped, invalid bytes replaced, a prefix cut mid-character is safe', () => {
  const bytes = new TextEncoder().encode('\ufeff{"name": "séq"}');
  assert.is(decodeUtf8(bytes), '{"name": "séq"}');
  assert.is(decodeUtf8(new Uint8Array([0x61, 0xff, 0x62])), 'a\ufffdb');
  const e = new TextEncoder().encode('é');
  assert.is(decodeUtf8(e.subarray(0, 1)), '\ufffd');
  assert.is(decodeUtf8(new Uint8Array(0)), '');
});

test('corpus: every JSON configuration parses', () => {
  if (!haveCorpus('json-config.test.js')) return;
  // The architecture files the manifest names as `config`; other .json files in the corpus are not
  // Keras configs (TF.js model.json, reference.json, the manifest itself).
  const files = [...new Set(manifest().cases.map((c) => c.config).filter(Boolean))].sort();
  assert.ok(files.length > 15);
  for (const rel of files) {
    const value = parseJsonConfig(decodeUtf8(corpusFile(rel)), rel);
    assert.type(value, 'object', rel);
    assert.type(value.class_name, 'string', rel);
  }
});

test.run();
