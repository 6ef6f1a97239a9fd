// Shared by the training-step references (test/training/fit.test.js, attention-gradients.test.js):
// runs 20 trainOnBatch steps of each case of a training_steps JSON written by
// scripts/fixtures/make_training_fixtures.py and compares every step's loss and the weights after
// steps 1 and 20 with the PyTorch float64 reference.
import * as assert from 'uvu/assert';
import { loadModel } from '../../dist/index.js';

// float32 training against a float64 reference: after 1 and 20 steps
export const W_ATOL = 2e-5;
export const W_RTOL = 2e-4;
export const LOSS_RTOL = 1e-4;

/** Runs the cases (models under `dir`); returns the worst weight error as a fraction of the tolerance. */
export async function checkTrainingSteps(cases, dir) {
  let worst = 0;
  for (const c of cases) {
    const model = await loadModel(`${dir}${c.model}`);
    model.compile({ optimizer: c.optimizer, loss: c.loss });
    const x = { data: Float32Array.from(c.x), shape: c.x_shape };
    const y = { data: Float32Array.from(c.y), shape: c.y_shape };
    const label = `${c.model} ${c.optimizer.class_name}`;
    for (let t = 1; t <= 20; t++) {
      const loss = await model.trainOnBatch(x, y);
      assert.ok(Math.abs(loss - c.losses[t - 1]) <= LOSS_RTOL * Math.abs(c.losses[t - 1]), `${label} step ${t}: loss ${loss} vs ${c.losses[t - 1]}`);
      if (t === 1 || t === 20) {
        const got = model.getWeights().flatMap((l) => l.weights.map((w) => w.data));
        assert.is(got.length, c.after[String(t)].length, `${label}: weight count`);
        c.after[String(t)].forEach((ref, v) =>
          ref.forEach((e, i) => {
            const err = Math.abs(got[v][i] - e);
            worst = Math.max(worst, err / (W_ATOL + W_RTOL * Math.abs(e)));
            assert.ok(err <= W_ATOL + W_RTOL * Math.abs(e), `${label} step ${t} weight ${v}[${i}]: ${got[v][i]} vs ${e}`);
          }),
        );
      }
    }
  }
  return worst;
}
