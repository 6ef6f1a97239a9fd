// String inputs of models with preprocessing layers: the forms predict takes, the errors it gives,
// and the layer setups refused by name. (Each layer's fixture cases run in test/layers/<layer>.test.js.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel, InputError, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { PREPROCESSING_CASES, PREPROCESSING_DIR } from '../support/preprocessing-cases.js';

const dir = PREPROCESSING_DIR;
const manifest = { cases: PREPROCESSING_CASES };

test('string inputs: a plain list of texts, and errors that name the input and what it takes', async () => {
  const c = manifest.cases.find((x) => x.id === 'sentiment_assets_k3');
  const model = await loadModel(dir + c.model);
  const a = model.predict(c.inputs);
  const b = model.predict({ data: c.inputs, shape: [c.inputs.length, 1] });
  assert.equal(Array.from(a.data), Array.from(b.data));
  assert.throws(() => model.predict({ data: new Float32Array(3), shape: [3, 1] }), (e) => e instanceof InputError && /"text"/.test(e.message) && /takes texts/.test(e.message));
  assert.throws(() => model.predict(['ok', 3]), (e) => e instanceof InputError && /item 1 is not a string/.test(e.message));
  assert.throws(() => model.predict({ data: ['a', 'b'], shape: [3] }), (e) => e instanceof InputError && /does not fit 2 texts/.test(e.message));
  model.dispose();
});

test('StringLookup(invert=True) is refused by name (it outputs strings)', async () => {
  const { readFileSync: rf } = await import('node:fs');
  const { unzipSync, zipSync, strFromU8, strToU8 } = await import('fflate');
  const files2 = unzipSync(rf(dir + 'string_lookup_int_k3.keras'));
  const cfg2 = JSON.parse(strFromU8(files2['config.json']));
  cfg2.config.layers[1].config.invert = true;
  files2['config.json'] = strToU8(JSON.stringify(cfg2));
  try {
    await loadModel(zipSync(files2, { level: 0 }));
    assert.unreachable('invert loaded');
  } catch (e) {
    assert.ok(e instanceof UnsupportedKerasConfigurationError && /invert/.test(e.message), String(e));
  }
});

test.run();
