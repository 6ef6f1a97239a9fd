// Training steps end to end (model.compile / trainOnBatch) for GRU (reset_after true and false),
// SimpleRNN and Embedding(mask_zero) -> GRU models, and SeparableConv1D(swish) -> Flatten ->
// Dense(gelu) with weight regularizers (their losses in the loss, as Keras reports it), against
// PyTorch float64 autograd through Keras' equations, loss and optimizer rules written out
// (scripts/fixtures/make_training_fixtures.py, rnn_training_step_cases ->
// training_rnn_steps.json, conv_training_step_cases -> training_conv_steps.json).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadModel, UnsupportedKerasConfigurationError } from '../../dist/index.js';

const cases = ['training_rnn_steps.json', 'training_conv_steps.json'].flatMap((f) => JSON.parse(readFileSync(`test/fixtures/training/${f}`, 'utf8')).cases);
// float32 training against a float64 reference: the tolerances of fit.test.js
const W_ATOL = 2e-5;
const W_RTOL = 2e-4;
const LOSS_RTOL = 1e-4;

for (const c of cases) {
  test(`${c.model} with ${c.optimizer.class_name} (${c.loss}): losses of 20 steps and weights after 1 and 20 match the PyTorch reference`, async () => {
    const model = await loadModel(`test/fixtures/training/${c.model}`);
    model.compile({ optimizer: c.optimizer, loss: c.loss });
    const x = { data: Float32Array.from(c.x), shape: c.x_shape };
    const y = { data: Float32Array.from(c.y), shape: c.y_shape };
    let worst = 0;
    for (let t = 1; t <= 20; t++) {
      const loss = await model.trainOnBatch(x, y);
      assert.ok(Math.abs(loss - c.losses[t - 1]) <= LOSS_RTOL * Math.abs(c.losses[t - 1]), `step ${t}: loss ${loss} vs ${c.losses[t - 1]}`);
      if (t === 1 || t === 20) {
        const got = model.getWeights().flatMap((l) => l.weights.map((w) => w.data));
        assert.is(got.length, c.after[String(t)].length, 'one array per reference weight');
        c.after[String(t)].forEach((ref, v) =>
          ref.forEach((e, i) => {
            const err = Math.abs(got[v][i] - e);
            worst = Math.max(worst, err / (W_ATOL + W_RTOL * Math.abs(e)));
            assert.ok(err <= W_ATOL + W_RTOL * Math.abs(e), `step ${t} weight ${v}[${i}]: ${got[v][i]} vs ${e}`);
          }),
        );
      }
    }
    console.log(`  ${c.model} ${c.optimizer.class_name}: worst weight error ${(worst * 100).toFixed(1)}% of the tolerance`);
  });
}

test('evaluate adds the weight regularizers\' loss as Keras does (the reference loss before the first step); activity regularization is refused there by name', async () => {
  const c = cases.find((k) => k.model === 'train_separable_conv_gelu.h5');
  const model = await loadModel(`test/fixtures/training/${c.model}`);
  model.compile({ optimizer: c.optimizer, loss: c.loss });
  const loss = await model.evaluate({ data: Float32Array.from(c.x), shape: c.x_shape }, { data: Float32Array.from(c.y), shape: c.y_shape });
  assert.ok(Math.abs(loss - c.losses[0]) <= LOSS_RTOL * Math.abs(c.losses[0]), `evaluate ${loss} vs ${c.losses[0]}`);
  const activity = await loadModel('test/fixtures/training/grad_regularizers_k3.keras');
  activity.compile({ optimizer: 'sgd', loss: 'mse' });
  try {
    await activity.evaluate({ data: new Float32Array(2 * 4 * 3), shape: [2, 4, 3] }, { data: new Float32Array(2 * 4 * 3), shape: [2, 4, 3] });
    assert.unreachable('evaluate with activity regularization');
  } catch (e) {
    assert.ok(e instanceof UnsupportedKerasConfigurationError && /activity/.test(e.message) && /dense/.test(e.message), String(e));
  }
});

test.run();
