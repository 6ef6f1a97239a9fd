// IntegerLookup: int / count, mask token, floormod OOV ids, invert; num_oov_indices=0 errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync, strFromU8, strToU8 } from 'fflate';
import { loadModel, InputError } from '../../dist/index.js';
import { preprocessingCaseTests, PREPROCESSING_CASES, PREPROCESSING_DIR } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['integer_lookup_']);

test('num_oov_indices=0: a value outside the vocabulary is an InputError naming it; non-integers too', async () => {
  const c = PREPROCESSING_CASES.find((x) => x.id === 'integer_lookup_int_k3');
  const files = unzipSync(readFileSync(PREPROCESSING_DIR + c.model));
  const cfg = JSON.parse(strFromU8(files['config.json']));
  cfg.config.layers.find((l) => l.class_name === 'IntegerLookup').config.num_oov_indices = 0;
  files['config.json'] = strToU8(JSON.stringify(cfg));
  const model = await loadModel(zipSync(files, { level: 0 }));
  // vocabulary [12, 7, 100, -3, 42] -> ids 0..4 without OOV or mask slots
  assert.equal(Array.from(model.predict({ data: Float32Array.of(42, 12, 7), shape: [1, 3] }).data), [4, 0, 1]);
  assert.throws(() => model.predict({ data: Float32Array.of(42, 13, 7), shape: [1, 3] }), (e) => e instanceof InputError && /not in the vocabulary/.test(e.message) && /value 13/.test(e.message));
  assert.throws(() => model.predict({ data: Float32Array.of(42, 7.5, 7), shape: [1, 3] }), (e) => e instanceof InputError && /integer values/.test(e.message));
});

test.run();
