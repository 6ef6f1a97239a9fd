// Training losses and optimizers (assembly/losses.ts, assembly/optimizers.ts through
// src/training/) against references made without kerasrnn: PyTorch float64 autograd over Keras'
// loss formulas, NumPy float64 over each Keras version's optimizer rule
// (scripts/fixtures/make_training_fixtures.py -> test/fixtures/training/).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { instantiateKernels } from '../../dist/wasm/wasm-module.js';
import { WasmMemory } from '../../dist/wasm/memory.js';
import { computeLoss, lossFromConfig } from '../../dist/training/losses.js';
import { OptimizerState, optimizerFromConfig, optimizerFamily } from '../../dist/training/optimizers.js';
import { generationFromVersion } from '../../dist/keras/generation.js';
import { InputError, UnsupportedKerasConfigurationError } from '../../dist/index.js';

const losses = JSON.parse(readFileSync('test/fixtures/training/losses.json', 'utf8'));
const optimizers = JSON.parse(readFileSync('test/fixtures/training/optimizers.json', 'utf8'));

// float32 kernels against float64 references
const LOSS_RTOL = 2e-5;
const GRAD_ATOL = 1e-7;
const GRAD_RTOL = 1e-4;
const OPT_RTOL = 1e-5;
const OPT_ATOL = 1e-5;

async function memory() {
  return new WasmMemory(await instantiateKernels());
}

test('losses: value and gradient match PyTorch autograd of Keras\' formulas (every loss, from_logits, label smoothing, delta)', async () => {
  const mem = await memory();
  for (const c of losses.cases) {
    const label = `${c.name} logits=${c.fromLogits} ls=${c.labelSmoothing} delta=${c.delta}`;
    const spec = lossFromConfig({ class_name: c.name, config: { from_logits: c.fromLogits, label_smoothing: c.labelSmoothing, delta: c.delta } });
    const r = computeLoss(mem, spec, { data: Float32Array.from(c.pred), shape: c.shape }, Float32Array.from(c.target));
    assert.ok(Math.abs(r.loss - c.loss) <= LOSS_RTOL * Math.abs(c.loss), `${label}: loss ${r.loss} vs ${c.loss}`);
    assert.is(r.grad.length, c.grad.length);
    c.grad.forEach((g, i) => assert.ok(Math.abs(r.grad[i] - g) <= GRAD_ATOL + GRAD_RTOL * Math.abs(g), `${label}: grad[${i}] ${r.grad[i]} vs ${g}`));
  }
  assert.is(losses.cases.length, 14);
});

test('loss configs: names and objects; unknown losses, reductions and bad targets are refused', async () => {
  assert.is(lossFromConfig('mse').name, 'mean_squared_error');
  assert.is(lossFromConfig({ class_name: 'Huber', config: { delta: 2 } }).delta, 2);
  assert.throws(() => lossFromConfig('kl_divergence'), (e) => e instanceof UnsupportedKerasConfigurationError && /kl_divergence/.test(e.message));
  assert.throws(() => lossFromConfig({ class_name: 'MeanSquaredError', config: { reduction: 'sum' } }), (e) => e instanceof UnsupportedKerasConfigurationError && /reduction/.test(e.message));
  const mem = await memory();
  const spec = lossFromConfig('sparse_categorical_crossentropy');
  assert.throws(() => computeLoss(mem, spec, { data: new Float32Array(6), shape: [2, 3] }, Float32Array.from([0, 3])), (e) => e instanceof InputError && /class index 3/.test(e.message));
  assert.throws(() => computeLoss(mem, lossFromConfig('mse'), { data: new Float32Array(6), shape: [2, 3] }, new Float32Array(5)), (e) => e instanceof InputError && /needs 6/.test(e.message));
});

test('optimizers: weights after 1 and 20 steps match each Keras version\'s rule (SGD, momentum, Nesterov, decay, RMSprop plain / momentum / centered, Adam, AMSGrad, AdamW, Adagrad)', async () => {
  const mem = await memory();
  for (const c of optimizers.cases) {
    const generation = generationFromVersion(c.keras_version);
    assert.is(optimizerFamily(generation), c.family, c.keras_version);
    const spec = optimizerFromConfig(c.optimizer, generation);
    const weights = optimizers.w0.map((w) => Float32Array.from(w));
    const state = new OptimizerState(mem, spec, weights.map((w) => w.length));
    for (let t = 1; t <= 20; t++) {
      state.apply(weights, optimizers.grads[t - 1].map((g) => Float32Array.from(g)));
      if (t === 1 || t === 20) {
        const label = `${c.optimizer.class_name} ${JSON.stringify(c.optimizer.config)} ${c.family} step ${t}`;
        c.after[String(t)].forEach((ref, v) =>
          ref.forEach((x, i) => assert.ok(Math.abs(weights[v][i] - x) <= OPT_ATOL + OPT_RTOL * Math.abs(x), `${label}: w${v}[${i}] ${weights[v][i]} vs ${x}`)),
        );
      }
    }
    assert.is(state.iterations, 20);
  }
  assert.ok(optimizers.cases.length >= 30);
});

test('the RMSprop and Adagrad forms differ between versions, so the references check which one each version gets', () => {
  const find = (kind, config, family) => optimizers.cases.find((c) => c.optimizer.class_name === kind && JSON.stringify(c.optimizer.config) === JSON.stringify(config) && c.family === family);
  const differ = (a, b) => a.after['20'][0].some((x, i) => Math.abs(x - b.after['20'][0][i]) > 10 * (OPT_ATOL + OPT_RTOL * Math.abs(x)));
  const rms = { learning_rate: 0.01, rho: 0.9, epsilon: 0.1 };
  assert.ok(differ(find('RMSprop', rms, 'keras3'), find('RMSprop', rms, 'standalone')), 'RMSprop: Keras 3 vs standalone Keras 2');
  assert.ok(differ(find('RMSprop', rms, 'keras3'), find('RMSprop', rms, 'tf-keras-v2')), 'RMSprop without momentum: Keras 3 vs tf.keras 2.4');
  const ada = { learning_rate: 0.1, epsilon: 0.1 };
  assert.ok(differ(find('Adagrad', ada, 'keras3'), find('Adagrad', ada, 'tf-keras-v2')), 'Adagrad: Keras 3 vs tf.keras 2.4');
});

test('optimizer configs that are not implemented are refused by name', () => {
  const k3 = generationFromVersion('3.10.0');
  assert.throws(() => optimizerFromConfig('nadam', k3), (e) => e instanceof UnsupportedKerasConfigurationError && /nadam/.test(e.message));
  assert.throws(() => optimizerFromConfig({ class_name: 'Adam', config: { gradient_accumulation_steps: 4 } }, k3), (e) => /gradient_accumulation_steps/.test(e.message));
  assert.throws(() => optimizerFromConfig({ class_name: 'Adam', config: { learning_rate: { class_name: 'ExponentialDecay', config: {} } } }, k3), (e) => /ExponentialDecay needs a number initial_learning_rate/.test(e.message));
  assert.throws(() => optimizerFromConfig({ class_name: 'SGD', config: { weight_decay: 0.1 } }, generationFromVersion('2.4.0')), (e) => /Keras 3 \/ tf.keras 2.11\+/.test(e.message));
});

test.run();
