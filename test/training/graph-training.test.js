// Graph-level training end to end (model.compile / trainOnBatch / fit / evaluate): models with two
// inputs and two outputs, shared layers, per-output losses with loss_weights (from the file's
// training_config), and encoder-decoders whose encoder's returned states start the decoder (LSTM
// [h, c]; GRU h), against PyTorch float64 autograd through Keras' equations, losses and optimizer rules
// (scripts/fixtures/make_training_fixtures.py graph_training_cases ->
// test/fixtures/training/training_graph_steps.json), and truncated BPTT through a two-input,
// two-output DAG. The gradient checks of the same models are in
// layer-gradients.test.js.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { InputError, loadModel, UnsupportedKerasConfigurationError } from '../../dist/index.js';

const dir = 'test/fixtures/training';
const ref = JSON.parse(readFileSync(`${dir}/training_graph_steps.json`, 'utf8'));
// float32 training against a float64 reference: the tolerances of fit.test.js
const W_ATOL = 2e-5;
const W_RTOL = 2e-4;
const LOSS_RTOL = 1e-4;

const tensor = (data, shape) => ({ data: Float32Array.from(data), shape });
const shapes = (c) => (Array.isArray(c.x_shape[0]) ? c.x_shape : c.x.map(() => c.x_shape));
const close = (a, b, what) => assert.ok(Math.abs(a - b) <= LOSS_RTOL * Math.abs(b) + 1e-7, `${what}: ${a} vs ${b}`);

/** The weights of the reference's layers (Keras order, flattened) against it; returns the worst error / tolerance. */
function checkWeights(model, c, t) {
  const byLayer = new Map(model.getWeights().map((l) => [l.layer, l.weights.map((w) => w.data)]));
  const got = c.layers.flatMap((name) => byLayer.get(name));
  const want = c.after[String(t)];
  assert.is(got.length, want.length, 'one array per reference weight');
  let worst = 0;
  want.forEach((arr, v) =>
    arr.forEach((e, i) => {
      const err = Math.abs(got[v][i] - e);
      worst = Math.max(worst, err / (W_ATOL + W_RTOL * Math.abs(e)));
      assert.ok(err <= W_ATOL + W_RTOL * Math.abs(e), `step ${t} weight ${v}[${i}]: ${got[v][i]} vs ${e}`);
    }),
  );
  return worst;
}

for (const c of ref.cases) {
  test(`${c.model} with ${c.optimizer.class_name} (${c.losses.join(' + ')}, loss_weights ${c.loss_weights.join(', ')}${c.tbptt ? `, tbptt ${c.tbptt}` : ''}): 20 steps match the PyTorch reference`, async () => {
    const model = await loadModel(`${dir}/${c.model}`);
    const multi = model.outputs.length > 1;
    // the multi-output model's file holds its losses, loss_weights, metrics and Adam: compile() uses them
    if (multi && c.optimizer.class_name === 'Adam') model.compile();
    else model.compile({ optimizer: c.optimizer, loss: c.losses.length === 1 ? c.losses[0] : c.losses, lossWeights: c.loss_weights });
    const xs = c.x.map((x, i) => tensor(x, shapes(c)[i]));
    // x keyed by input name, y as a list in output order
    const x = Object.fromEntries(model.inputs.map((inp, i) => [inp.name, xs[i]]));
    const y = c.y.map((v, k) => tensor(v, c.y_shape[k]));
    let worst = 0;
    for (let t = 1; t <= 20; t++) {
      const logs = await model.trainOnBatch(x, multi ? y : y[0], { returnDict: true, ...(c.tbptt ? { tbptt: c.tbptt } : {}) });
      close(logs.loss, c.total[t - 1], `step ${t} total loss`);
      if (multi) model.outputs.forEach((o, k) => close(logs[`${o.name}_loss`], c.per_output[t - 1][k], `step ${t} ${o.name}_loss`));
      if (t === 1 || t === 20) worst = Math.max(worst, checkWeights(model, c, t));
    }
    console.log(`  ${c.model} ${c.optimizer.class_name}: worst weight error ${(worst * 100).toFixed(1)}% of the tolerance`);
  });
}

const multiCase = ref.cases.find((c) => c.model === 'train_multi_io_shared.h5');
const multiData = () => ({
  x: multiCase.x.map((x) => tensor(x, multiCase.x_shape)),
  y: multiCase.y.map((v, k) => tensor(v, multiCase.y_shape[k])),
});

test('multi-output history keys as Keras names them (loss, <output>_loss, <output>_<metric>, val_...); evaluate returns them in that order', async () => {
  const model = await loadModel(`${dir}/train_multi_io_shared.h5`);
  model.compile();
  const { x, y } = multiData();
  const { history } = await model.fit(x, y, { epochs: 2, batchSize: 2, validationSplit: 0.25, shuffle: false });
  assert.equal(Object.keys(history), [
    'loss', 'out_reg_loss', 'out_cls_loss', 'out_cls_accuracy',
    'val_loss', 'val_out_reg_loss', 'val_out_cls_loss', 'val_out_cls_accuracy',
  ]);
  for (const k of Object.keys(history)) assert.is(history[k].length, 2, k);
  // the total is the loss_weights' sum of the outputs' losses (0.7, 0.3 from the file)
  history.loss.forEach((l, e) => close(l, 0.7 * history.out_reg_loss[e] + 0.3 * history.out_cls_loss[e], `epoch ${e} loss`));
  history.val_loss.forEach((l, e) => close(l, 0.7 * history.val_out_reg_loss[e] + 0.3 * history.val_out_cls_loss[e], `epoch ${e} val_loss`));
  const result = await model.evaluate(x, y);
  assert.is(result.length, 4);
  const dict = await model.evaluate(x, y, { returnDict: true });
  assert.equal(Object.keys(dict), ['loss', 'out_reg_loss', 'out_cls_loss', 'out_cls_accuracy']);
  assert.equal(result, Object.values(dict));
  close(dict.loss, 0.7 * dict.out_reg_loss + 0.3 * dict.out_cls_loss, 'evaluate loss');
  // a single output keeps Keras' plain names
  const single = await loadModel(`${dir}/train_seq2seq_states.h5`);
  single.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
  const s = ref.cases.find((c) => c.model === 'train_seq2seq_states.h5');
  const sh = await single.fit(s.x.map((v, i) => tensor(v, s.x_shape[i])), tensor(s.y[0], s.y_shape[0]), { epochs: 1, validationSplit: 0.5 });
  assert.equal(Object.keys(sh.history), ['loss', 'mae', 'val_loss', 'val_mae']);
});

test('x / y as lists or keyed by name give the same update; per-output compile entries and sample weights', async () => {
  const { x, y } = multiData();
  const run = async (xi, yi, compile, options = {}) => {
    const model = await loadModel(`${dir}/train_multi_io_shared.h5`);
    model.compile(compile);
    const r = await model.trainOnBatch(xi, yi, { ...options, returnDict: true });
    return { r, w: model.getWeights().flatMap((l) => l.weights.flatMap((w) => Array.from(w.data))) };
  };
  const base = { optimizer: 'sgd', loss: ['mse', 'categorical_crossentropy'], lossWeights: [0.7, 0.3], metrics: [] };
  const a = await run(x, y, base);
  const b = await run({ in_b: x[1], in_a: x[0] }, { out_cls: y[1], out_reg: y[0] }, { ...base, loss: { out_cls: 'categorical_crossentropy', out_reg: 'mse' }, lossWeights: { out_reg: 0.7, out_cls: 0.3 } });
  assert.equal(b.w, a.w);
  assert.equal(b.r, a.r);
  // loss_weights scale each output's gradient: weight 0 on out_cls leaves the GRU and out_cls unchanged
  const model = await loadModel(`${dir}/train_multi_io_shared.h5`);
  const before = model.getWeights().find((l) => l.layer === 'gru').weights[0].data.slice();
  model.compile({ ...base, lossWeights: [1, 0] });
  const r0 = await model.trainOnBatch(x, y, { returnDict: true });
  assert.equal(Array.from(model.getWeights().find((l) => l.layer === 'gru').weights[0].data), Array.from(before));
  close(r0.loss, r0.out_reg_loss, 'loss with weights [1, 0]');
  // one sample-weight list applies to every output; per output, by name, zero weights drop that output's samples
  const ones = [1, 1, 1, 1];
  const sw = await run(x, y, base, { sampleWeight: ones });
  assert.equal(sw.w, a.w);
  const perOut = await run(x, y, base, { sampleWeight: { out_reg: ones, out_cls: [0, 0, 0, 0] } });
  close(perOut.r.out_cls_loss, 0, 'out_cls loss with zero weights');
  close(perOut.r.out_reg_loss, a.r.out_reg_loss, 'out_reg loss with unit weights');
});

test('multi-output refusals and input errors name the field', async () => {
  const model = await loadModel(`${dir}/train_multi_io_shared.h5`);
  assert.throws(() => model.compile({ optimizer: 'sgd', loss: { out_reg: 'mse' } }), (e) => e instanceof UnsupportedKerasConfigurationError && /out_cls/.test(e.message));
  assert.throws(() => model.compile({ optimizer: 'sgd', loss: { out_reg: 'mse', nope: 'mse' } }), (e) => e instanceof UnsupportedKerasConfigurationError && /nope/.test(e.message));
  assert.throws(() => model.compile({ optimizer: 'sgd', loss: ['mse'] }), (e) => e instanceof UnsupportedKerasConfigurationError && /1 entries for 2 outputs/.test(e.message));
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const { x, y } = multiData();
  await model.trainOnBatch(x, y, { classWeight: { 0: 1, 1: 2 } }).then(
    () => assert.unreachable('class weights with two outputs'),
    (e) => assert.ok(e instanceof UnsupportedKerasConfigurationError && /single output/.test(e.message), e.message),
  );
  await model.trainOnBatch(x, y[0]).then(
    () => assert.unreachable('one target for two outputs'),
    (e) => assert.ok(e instanceof InputError && e.context.field === 'y', e.message),
  );
  await model.trainOnBatch({ in_a: x[0] }, y).then(
    () => assert.unreachable('a missing input'),
    (e) => assert.ok(e instanceof InputError && /in_b/.test(e.message), e.message),
  );
});

test('truncated BPTT through initial states / return_state is refused by name', async () => {
  const model = await loadModel(`${dir}/train_gru_seq2seq_states.h5`);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const c = ref.cases.find((k) => k.model === 'train_gru_seq2seq_states.h5');
  const x = Object.fromEntries(model.inputs.map((inp, i) => [inp.name, tensor(c.x[i], c.x_shape[i])]));
  try {
    await model.trainOnBatch(x, tensor(c.y[0], c.y_shape[0]), { tbptt: 2 });
    assert.unreachable('tbptt with states trains');
  } catch (e) {
    assert.ok(e instanceof UnsupportedKerasConfigurationError && /truncated BPTT with initial states/.test(e.message), String(e));
  }
});

test.run();
