// The check loop of the preprocessing-layer fixtures (test/fixtures/text/preprocessing/, made by
// scripts/fixtures/make_preprocessing_fixtures.py): each layer's test file runs the cases of its
// class; token ids and other integer outputs must match exactly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../../dist/index.js';
import { assertClose } from './tolerance.js';

export const PREPROCESSING_DIR = fileURLToPath(new URL('../fixtures/text/preprocessing/', import.meta.url));
export const PREPROCESSING_CASES = JSON.parse(readFileSync(PREPROCESSING_DIR + 'manifest.json', 'utf8')).cases;

function shapeOf(v) {
  return Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : [];
}

/** A case's inputs as predict takes them: texts stay strings, numbers become float32. */
export function feedOf(inputs) {
  const flat = inputs.flat(8);
  const shape = shapeOf(inputs);
  return typeof flat[0] === 'string' ? { data: flat, shape } : { data: Float32Array.from(flat), shape };
}

/** Registers one uvu test per case whose id starts with one of `prefixes`. */
export function preprocessingCaseTests(prefixes) {
  const cases = PREPROCESSING_CASES.filter((c) => prefixes.some((p) => c.id.startsWith(p)));
  assert.ok(cases.length > 0, `fixtures for ${prefixes.join(', ')}`);
  for (const c of cases) {
    test(`${c.id}: ${c.what}`, async () => {
      const model = await loadModel(PREPROCESSING_DIR + c.model);
      const y = model.predict(feedOf(c.inputs));
      assert.equal(y.shape, c.shape, `${c.id}: output shape`);
      const want = Float32Array.from(c.expected.flat(8));
      if (c.exact) assert.equal(Array.from(y.data), Array.from(want), `${c.id}: exact values`);
      else assertClose(y.data, want, c.id);
      if (c.ids) {
        const [ids] = model.predict(feedOf(c.inputs), { outputs: ['text_vectorization'] });
        assert.equal(Array.from(ids.data), c.ids.flat(), `${c.id}: token ids`);
      }
      model.dispose();
    });
  }
}
