// CategoryEncoding: one_hot / multi_hot / count vs NumPy; TF 2.3-2.5 field names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync, strFromU8, strToU8 } from 'fflate';
import { loadModel } from '../../dist/index.js';
import { preprocessingCaseTests, PREPROCESSING_CASES, PREPROCESSING_DIR, feedOf } from '../support/preprocessing-cases.js';

preprocessingCaseTests(['category_encoding_']);

test('TF 2.3-2.5 configs: max_tokens for num_tokens, output_mode "binary" for multi_hot', async () => {
  const c = PREPROCESSING_CASES.find((x) => x.id === 'category_encoding_multi_hot_k3');
  const files = unzipSync(readFileSync(PREPROCESSING_DIR + c.model));
  const cfg = JSON.parse(strFromU8(files['config.json']));
  const layer = cfg.config.layers.find((l) => l.class_name === 'CategoryEncoding').config;
  layer.max_tokens = layer.num_tokens;
  delete layer.num_tokens;
  layer.output_mode = 'binary';
  files['config.json'] = strToU8(JSON.stringify(cfg));
  const model = await loadModel(zipSync(files, { level: 0 }));
  assert.equal(Array.from(model.predict(feedOf(c.inputs)).data), c.expected.flat());
});

test.run();
