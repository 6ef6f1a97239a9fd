// Masked losses: a time-step mask from Embedding(mask_zero) / Masking reaches the model output
// through LSTM(return_sequences) and TimeDistributed(Dense) / Dense, and each step's loss is
// weighted by it with the file's Keras version's divisor (src/keras/semantics.ts maskedLossRule):
// tf.keras 2.9 divides by every step, tf.keras 2.12 and standalone Keras 2.2.4 by the kept steps
// (both with sample weights), Keras 3.10 by (kept + 1e-7). References: PyTorch float64 autograd
// (scripts/fixtures/make_training_fixtures.py masked_loss_cases -> training_masked_loss.json).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadModel, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { maskedLossRule } from '../../dist/keras/semantics.js';
import { generationFromVersion, inferGeneration } from '../../dist/keras/generation.js';
import { maskedLossFactor } from '../../dist/training/losses.js';

const { cases } = JSON.parse(readFileSync('test/fixtures/training/training_masked_loss.json', 'utf8'));
// float32 training against a float64 reference
const ATOL = 2e-5;
const RTOL = 2e-4;
const close = (got, want) => Math.abs(got - want) <= ATOL + RTOL * Math.abs(want);
const tensors = (c) => [{ data: Float32Array.from(c.x), shape: c.x_shape }, { data: Float32Array.from(c.y), shape: c.y_shape }];
const options = (c) => (c.sample_weight ? { sampleWeight: Float32Array.from(c.sample_weight) } : {});

for (const c of cases) {
  test(`${c.model} (${c.loss}, divisor ${c.divisor}${c.sample_weight ? ', sample weights' : ''}): losses of 20 steps and weights after 1 and 20 match the PyTorch reference`, async () => {
    const model = await loadModel(`test/fixtures/training/${c.model}`);
    model.compile({ optimizer: c.optimizer, loss: c.loss });
    const [x, y] = tensors(c);
    let worst = 0;
    for (let t = 1; t <= 20; t++) {
      const loss = await model.trainOnBatch(x, y, options(c));
      assert.ok(close(loss, c.losses[t - 1]), `step ${t}: loss ${loss} vs ${c.losses[t - 1]}`);
      if (t === 1 || t === 20) {
        const got = model.getWeights().flatMap((l) => l.weights.map((w) => w.data));
        assert.is(got.length, c.after[String(t)].length, 'one array per reference weight');
        c.after[String(t)].forEach((ref, v) =>
          ref.forEach((e, i) => {
            worst = Math.max(worst, Math.abs(got[v][i] - e) / (ATOL + RTOL * Math.abs(e)));
            assert.ok(close(got[v][i], e), `step ${t} weight ${v}[${i}]: ${got[v][i]} vs ${e}`);
          }),
        );
      }
    }
    console.log(`  ${c.model}: worst weight error ${(worst * 100).toFixed(1)}% of the tolerance`);
  });

  test(`${c.model}: evaluate weighs the loss by the mask as training does (the reference loss before the first step)`, async () => {
    const model = await loadModel(`test/fixtures/training/${c.model}`);
    model.compile({ optimizer: c.optimizer, loss: c.loss });
    const [x, y] = tensors(c);
    const loss = await model.evaluate(x, y, options(c));
    assert.ok(close(loss, c.losses[0]), `evaluate ${loss} vs ${c.losses[0]}`);
  });
}

test('the reference divisors differ by version: the tf.keras 2.9 and Keras 3.10 files of the same model and data start from different losses', () => {
  const a = cases.find((c) => c.model === 'train_masked_scce_tfkeras29.h5');
  const b = cases.find((c) => c.model === 'train_masked_scce_k310.keras');
  const kept = a.mask.reduce((n, m) => n + m, 0);
  // same weights and data: sum / all vs sum / kept
  assert.ok(Math.abs(a.losses[0] * a.mask.length - b.losses[0] * kept) < 1e-5 * a.losses[0] * a.mask.length, `${a.losses[0]} * ${a.mask.length} vs ${b.losses[0]} * ${kept}`);
});

/** Accuracy of predictions [B, T, C] against class ids, over the steps `keep` selects. */
function accuracy(pred, ids, keep) {
  const C = pred.shape[2];
  let hit = 0;
  let count = 0;
  for (let r = 0; r < ids.length; r++) {
    if (!keep(r)) continue;
    const row = pred.data.subarray(r * C, (r + 1) * C);
    let best = 0;
    for (let k = 1; k < C; k++) if (row[k] > row[best]) best = k;
    hit += best === ids[r] ? 1 : 0;
    count++;
  }
  return hit / count;
}

test('metrics follow the version: tf.keras 2.9 averages accuracy over the kept steps, Keras 3.10 (mask only with sample weights) over every step', async () => {
  for (const [file, masked] of [['train_masked_scce_tfkeras29.h5', true], ['train_masked_scce_k310.keras', false]]) {
    const c = cases.find((k) => k.model === file);
    const model = await loadModel(`test/fixtures/training/${file}`);
    model.compile({ optimizer: c.optimizer, loss: c.loss, metrics: ['accuracy'] });
    const [x, y] = tensors(c);
    const pred = await model.predict(x);
    const want = accuracy(pred, c.y, (r) => !masked || c.mask[r] === 1);
    const [, acc] = await model.evaluate(x, y);
    assert.ok(Math.abs(acc - want) < 1e-6, `${file}: accuracy ${acc} vs ${want}`);
  }
});

test('Keras 2.2.4 metrics: each batch\'s accuracy over its kept steps, averaged over batches by sample count', async () => {
  const c = cases.find((k) => k.model === 'train_masked_scce_k224.h5');
  const model = await loadModel(`test/fixtures/training/${c.model}`);
  model.compile({ optimizer: c.optimizer, loss: c.loss, metrics: ['accuracy'] });
  const [x, y] = tensors(c);
  const pred = await model.predict(x);
  const [B, T] = c.x_shape;
  // batches of 3 and 1 samples
  const batchAcc = (from, to) => accuracy(pred, c.y, (r) => r >= from * T && r < to * T && c.mask[r] === 1);
  const want = (3 * batchAcc(0, 3) + 1 * batchAcc(3, B)) / B;
  const kept = accuracy(pred, c.y, (r) => c.mask[r] === 1);
  assert.ok(Math.abs(want - kept) > 1e-3, `the test data tells the rules apart (${want} vs ${kept})`);
  const [, acc] = await model.evaluate(x, y, { batchSize: 3 });
  assert.ok(Math.abs(acc - want) < 1e-6, `accuracy ${acc} vs ${want}`);
});

test('a mask reaching the loss of a tf.keras "2.2.4-tf" file (rule not pinned) is refused by name, naming the version and the layer', async () => {
  const model = await loadModel('test/fixtures/training/train_masked_refused_tf224.h5');
  try {
    model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    assert.unreachable('compile of a 2.2.4-tf masked model');
  } catch (e) {
    assert.ok(e instanceof UnsupportedKerasConfigurationError && /2\.2\.4-tf/.test(e.message) && /masked loss/.test(e.message) && /time_distributed/.test(e.message), String(e));
  }
});

test('truncated BPTT with a mask reaching the loss is refused by name', async () => {
  const c = cases[0];
  const model = await loadModel(`test/fixtures/training/${c.model}`);
  model.compile({ optimizer: c.optimizer, loss: c.loss });
  const [x, y] = tensors(c);
  try {
    await model.trainOnBatch(x, y, { tbptt: 3 });
    assert.unreachable('tbptt with a masked loss');
  } catch (e) {
    assert.ok(e instanceof UnsupportedKerasConfigurationError && /truncated BPTT/.test(e.message) && /mask/.test(e.message), String(e));
  }
});

test('the masked-loss rule by version (pinned from Keras source, see docs/training.md); unpinned versions get none', () => {
  const rule = (v) => maskedLossRule(generationFromVersion(v));
  const table = [
    ['1.2.2', 'kept', 'all'], ['2.0.8', 'kept', 'batch-kept'], ['2.2.4', 'kept', 'batch-kept'], ['2.2.5', 'kept-fraction-epsilon', 'batch-kept'],
    ['2.3.1', 'all', 'kept'], ['2.6.0', 'all', 'kept'], ['2.10.0', 'all', 'kept'], ['2.11.0', 'kept', 'kept'], ['2.15.0', 'kept', 'kept'],
    ['3.0.0', 'kept-count-epsilon', 'all'], ['3.11.3', 'kept-count-epsilon', 'all'], ['3.12.0', 'kept-count-epsilon', 'kept'], ['3.13.0', 'kept-no-nan', 'kept'],
  ];
  for (const [v, loss, metrics] of table) assert.equal(rule(v), { loss, metrics }, v);
  for (const v of ['2.2.4-tf', '2.1.6-tf', '2.4.0', '2.5.0']) assert.is(rule(v), null, v);
  assert.is(maskedLossRule(inferGeneration({ class_name: 'Sequential', config: { layers: [] } })), null, 'no version stated');
  // 6 of 24 steps kept: the factor on the masked mean over all 24
  assert.is(maskedLossFactor('all', 6, 24), 1);
  assert.is(maskedLossFactor('kept', 6, 24), 4);
  assert.ok(Math.abs(maskedLossFactor('kept-count-epsilon', 6, 24) - 24 / (6 + 1e-7)) < 1e-12);
  assert.ok(Math.abs(maskedLossFactor('kept-fraction-epsilon', 6, 24) - 1 / (0.25 + 1e-7)) < 1e-12);
  assert.is(maskedLossFactor('kept-no-nan', 0, 24), 0);
});

test.run();
