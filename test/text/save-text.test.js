// Saving models whose vocabularies came from a .keras archive's assets: the saved .keras and .h5
// carry the vocabulary in the layer config (where Keras reads it too), so the copies predict the
// same token ids and outputs as the original.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../../dist/index.js';
import { PREPROCESSING_CASES, PREPROCESSING_DIR, feedOf } from '../support/preprocessing-cases.js';

for (const id of ['sentiment_assets_k3', 'string_lookup_count_k3', 'tv_chars_k3']) {
  test(`${id}: saved as .keras and .h5, the copy predicts the same`, async () => {
    const c = PREPROCESSING_CASES.find((x) => x.id === id);
    const model = await loadModel(PREPROCESSING_DIR + c.model);
    const want = Array.from(model.predict(feedOf(c.inputs)).data);
    for (const format of ['keras', 'h5']) {
      const copy = await loadModel(await model.save({ format }));
      assert.equal(Array.from(copy.predict(feedOf(c.inputs)).data), want, `${id} as ${format}`);
      copy.dispose();
    }
    model.dispose();
  });
}

test.run();
