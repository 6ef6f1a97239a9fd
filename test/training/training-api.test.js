// The training API around the trainer: compile defaults from the file's training configuration,
// learning-rate schedules and gradient clipping (against float64 references of Keras' formulas),
// sample / class weights, metrics, evaluate, validation, callbacks and early stop; references by
// scripts/fixtures/make_training_api_fixtures.py (test/fixtures/training/training_api.json).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadModel, earlyStopping, InputError, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { instantiateKernels } from '../../dist/wasm/wasm-module.js';
import { WasmMemory } from '../../dist/wasm/memory.js';
import { OptimizerState, optimizerFromConfig } from '../../dist/training/optimizers.js';
import { scheduleFromConfig } from '../../dist/training/lr-schedules.js';
import { generationFromVersion } from '../../dist/keras/generation.js';
import { corpusPath, corpusManifest } from '../support/corpus.js';

const ref = JSON.parse(readFileSync('test/fixtures/training/training_api.json', 'utf8'));
const dir = 'test/fixtures/training';
// float32 against float64 references (as test/training/fit.test.js)
const W_ATOL = 2e-5;
const W_RTOL = 2e-4;
const LOSS_RTOL = 1e-4;

const tensor = (data, shape) => ({ data: Float32Array.from(data), shape });

/** Checks a model's weights (Keras order, flattened) against a reference; returns the worst error / tolerance. */
function compareWeights(model, want, label) {
  const got = model.getWeights().flatMap((l) => l.weights.map((w) => w.data));
  let worst = 0;
  want.forEach((ref, v) =>
    ref.forEach((e, i) => {
      const err = Math.abs(got[v][i] - e);
      worst = Math.max(worst, err / (W_ATOL + W_RTOL * Math.abs(e)));
      assert.ok(err <= W_ATOL + W_RTOL * Math.abs(e), `${label} weight ${v}[${i}]: ${got[v][i]} vs ${e}`);
    }),
  );
  return worst;
}

test('learning-rate schedules match Keras\' formulas at steps 0..40 (float32 rounding)', () => {
  for (const c of ref.schedules) {
    const s = scheduleFromConfig(c.schedule);
    c.steps.forEach((step, i) => {
      const want = c.rates[i];
      assert.ok(Math.abs(s.at(step) - want) <= 1e-7 * Math.max(1, Math.abs(want)) + Math.abs(want) * 2e-7, `${c.schedule.class_name} step ${step}: ${s.at(step)} vs ${want}`);
    });
  }
  assert.is(ref.schedules.length, 11);
  assert.throws(() => scheduleFromConfig({ class_name: 'MyWarmup', config: {} }), (e) => e instanceof UnsupportedKerasConfigurationError && /MyWarmup/.test(e.message));
  assert.throws(() => scheduleFromConfig({ class_name: 'ExponentialDecay', config: { initial_learning_rate: 0.1, decay_steps: 0, decay_rate: 0.5 } }), (e) => /decay_steps/.test(e.message));
});

test('gradient clipping (clipnorm, global_clipnorm, clipvalue; standalone Keras\' global clipnorm) and schedules drive 20 optimizer steps as Keras', async () => {
  const mem = new WasmMemory(await instantiateKernels());
  const { w0, grads, cases } = ref.clipping;
  let worst = 0;
  for (const c of cases) {
    const spec = optimizerFromConfig(c.optimizer, generationFromVersion(c.keras_version));
    const state = new OptimizerState(mem, spec, w0.map((w) => w.length));
    const ws = w0.map((w) => Float32Array.from(w));
    for (let t = 1; t <= 20; t++) {
      state.apply(ws, grads[t - 1].map((g) => Float32Array.from(g)));
      if (t === 1 || t === 20) {
        c.after[String(t)].forEach((want, v) =>
          want.forEach((e, i) => {
            const err = Math.abs(ws[v][i] - e);
            worst = Math.max(worst, err / (1e-5 + 1e-5 * Math.abs(e)));
            assert.ok(err <= 1e-5 + 1e-5 * Math.abs(e), `${c.optimizer.class_name} ${JSON.stringify(c.optimizer.config)} ${c.family} step ${t}: w${v}[${i}] ${ws[v][i]} vs ${e}`);
          }),
        );
      }
    }
  }
  console.log(`  clipping / schedules: ${cases.length} cases, worst ${(worst * 100).toFixed(1)}% of the tolerance`);
  const k3 = generationFromVersion('3.10.0');
  assert.throws(() => optimizerFromConfig({ class_name: 'Adam', config: { clipnorm: 1, clipvalue: 1 } }, k3), (e) => e instanceof UnsupportedKerasConfigurationError && /only one/.test(e.message));
  assert.throws(() => optimizerFromConfig({ class_name: 'Adam', config: { global_clipnorm: 1 } }, generationFromVersion('2.2.4')), (e) => /standalone/.test(e.message));
  // the clipping really acts in these cases: without it the weights differ
  const c = cases.find((k) => k.optimizer.config.clipnorm && k.family === 'keras3');
  const plain = new OptimizerState(mem, optimizerFromConfig({ class_name: c.optimizer.class_name, config: { ...c.optimizer.config, clipnorm: null } }, k3), w0.map((w) => w.length));
  const ws = w0.map((w) => Float32Array.from(w));
  plain.apply(ws, grads[0].map((g) => Float32Array.from(g)));
  assert.ok(ws[1].some((v, i) => Math.abs(v - c.after['1'][1][i]) > 1e-4), 'unclipped differs from the clipped reference');
});

test('training steps with sample weights, a schedule and clipping match PyTorch autograd after 1 and 20 steps; evaluate and metrics of the result', async () => {
  let worst = 0;
  for (const c of ref.training) {
    const model = await loadModel(`${dir}/${c.model}`);
    const metrics = c.loss === 'mse' ? ['mae', 'mse'] : ['accuracy', 'mae'];
    model.compile({ optimizer: c.optimizer, loss: c.loss, metrics });
    const x = tensor(c.x, c.x_shape);
    const y = tensor(c.y, c.y_shape);
    const label = `${c.model} ${c.optimizer.class_name} ${JSON.stringify(c.optimizer.config).slice(0, 60)}`;
    for (let t = 1; t <= 20; t++) {
      const [loss] = await model.trainOnBatch(x, y, c.sample_weight ? { sampleWeight: c.sample_weight } : {});
      assert.ok(Math.abs(loss - c.losses[t - 1]) <= LOSS_RTOL * Math.abs(c.losses[t - 1]), `${label} step ${t}: loss ${loss} vs ${c.losses[t - 1]}`);
      if (t === 1 || t === 20) worst = Math.max(worst, compareWeights(model, c.after[String(t)], `${label} step ${t}`));
    }
    const result = await model.evaluate(x, y, { returnDict: true });
    const close = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.abs(b) + 1e-6, `${label} ${what}: ${a} vs ${b}`);
    close(result.loss, c.final.loss, 'evaluate loss');
    close(result.mae, c.final.mae, 'mae');
    if (c.loss === 'mse') close(result.mse, c.final.mse, 'mse');
    else close(result.accuracy, c.final.categorical_accuracy, 'accuracy (categorical)');
    if (c.sample_weight) close(await model.evaluate(x, y, { sampleWeight: c.sample_weight }).then((r) => r[0]), c.final.weighted_loss, 'weighted evaluate');
  }
  console.log(`  weighted / scheduled / clipped training steps: worst weight error ${(worst * 100).toFixed(1)}% of the tolerance`);
});

/** Trains each reference case 20 steps (seed 1, as the references draw the masks); returns the worst weight error after steps 1 and 20. */
async function stepCases(cases) {
  let worst = 0;
  for (const c of cases) {
    const model = await loadModel(`${dir}/${c.model}`);
    model.compile({ optimizer: c.optimizer, loss: c.loss, seed: 1 });
    const x = tensor(c.x, c.x_shape);
    const y = tensor(c.y, c.y_shape);
    const label = `${c.model} ${c.optimizer.class_name} tbptt=${c.tbptt} dropout=${c.dropout}`;
    for (let t = 1; t <= 20; t++) {
      const loss = await model.trainOnBatch(x, y, c.tbptt ? { tbptt: c.tbptt } : {});
      assert.ok(Math.abs(loss - c.losses[t - 1]) <= LOSS_RTOL * Math.abs(c.losses[t - 1]), `${label} step ${t}: loss ${loss} vs ${c.losses[t - 1]}`);
      if (t === 1 || t === 20) worst = Math.max(worst, compareWeights(model, c.after[String(t)], `${label} step ${t}`));
    }
  }
  return worst;
}

test('truncated BPTT and LSTM dropout / recurrent_dropout (Keras\' per-sequence masks, fixed by seed): 20 training steps match PyTorch autograd after 1 and 20 steps (SGD momentum, RMSprop, Adam)', async () => {
  const worst = await stepCases(ref.tbptt_dropout);
  assert.is(ref.tbptt_dropout.length, 12);
  console.log(`  truncated BPTT / dropout training steps: worst weight error ${(worst * 100).toFixed(1)}% of the tolerance`);
  // truncation changes the result (the reference is not BPTT over the whole sequence in disguise)
  const c = ref.tbptt_dropout.find((k) => k.tbptt === 3);
  const whole = await loadModel(`${dir}/${c.model}`);
  whole.compile({ optimizer: c.optimizer, loss: c.loss });
  await whole.trainOnBatch(tensor(c.x, c.x_shape), tensor(c.y, c.y_shape));
  assert.ok(whole.getWeights()[0].weights[0].data.some((v, i) => Math.abs(v - c.after['1'][0][i]) > 1e-5), 'but the update differs from whole-sequence BPTT');
  // refusals by name: an LSTM without return_sequences cannot be truncated
  const last = await loadModel(`${dir}/train_lstm_dense_mse.h5`);
  last.compile({ optimizer: 'sgd', loss: 'mse' });
  const m = ref.training.find((k) => k.loss === 'mse');
  await last.trainOnBatch(tensor(m.x, m.x_shape), tensor(m.y, m.y_shape), { tbptt: 2 }).then(
    () => assert.unreachable(),
    (e) => assert.ok(e instanceof UnsupportedKerasConfigurationError && /return_sequences/.test(e.message) && /lstm/.test(e.message), e.message),
  );
  // a functional model is cut into chunks too (see graph-training.test.js), but not through a recurrent layer without return_sequences: refused by layer
  const dag = await loadModel(`${dir}/grad_dag_merges.h5`);
  dag.compile({ optimizer: 'sgd', loss: 'mse' });
  const xd = tensor(new Float32Array(2 * 5 * 3).fill(0.1), [2, 5, 3]);
  await dag.trainOnBatch(xd, tensor(new Float32Array(dag.predict(xd).data.length), dag.predict(xd).shape), { tbptt: 2 }).then(
    () => assert.unreachable(),
    (e) => assert.ok(e instanceof UnsupportedKerasConfigurationError && /truncated BPTT through a SimpleRNN that does not return sequences/.test(e.message) && e.context?.layer === 'simple_rnn', e.message),
  );
});

test('GRU dropout / recurrent_dropout (tf.keras implementation 2) and truncated BPTT through GRU, SimpleRNN, CuDNNGRU and LSTM\'s general kernels: 20 training steps match PyTorch autograd after 1 and 20 steps (SGD momentum, RMSprop, Adam)', async () => {
  assert.is(ref.gru_rules.length, 12);
  const worst = await stepCases(ref.gru_rules);
  console.log(`  GRU dropout / tbptt training steps: worst weight error ${(worst * 100).toFixed(1)}% of the tolerance`);
  // the masks matter: the same model without them trains differently
  const c = ref.gru_rules.find((k) => k.dropout[0] > 0 && !k.tbptt);
  const plain = await loadModel(`${dir}/train_gru8_seq.h5`);
  plain.compile({ optimizer: c.optimizer, loss: c.loss, seed: 1 });
  const loss = await plain.trainOnBatch(tensor(c.x, c.x_shape), tensor(c.y, c.y_shape));
  assert.ok(Math.abs(loss - c.losses[0]) > 1e-3 * Math.abs(c.losses[0]), 'dropout changes the first step');
  // refused by name: a reversed direction has no state to carry from chunk to chunk
  const xs = tensor(new Float32Array(3 * 5 * 3).fill(0.1), [3, 5, 3]);
  for (const [file, pattern] of [['grad_gru_dropout_impl1_backwards.h5', /go_backwards/], ['grad_bidir_cudnn_gru.h5', /Bidirectional/]]) {
    const m = await loadModel(`${dir}/${file}`);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const out = m.predict(xs);
    await m.trainOnBatch(xs, tensor(new Float32Array(out.data.length), out.shape), { tbptt: 2 }).then(
      () => assert.unreachable(),
      (e) => assert.ok(e instanceof UnsupportedKerasConfigurationError && pattern.test(e.message) && /truncated BPTT/.test(e.message), e.message),
    );
  }
});

test('class weights equal the sample weights they stand for; Keras\' return shapes of trainOnBatch / evaluate', async () => {
  const c = ref.training.find((k) => k.loss === 'categorical_crossentropy');
  const x = tensor(c.x, c.x_shape);
  // class weights need one class per sample: the LSTM -> Dense model (rank-2 targets, one-hot)
  const m = ref.training.find((k) => k.loss === 'mse');
  const xm = tensor(m.x, m.x_shape);
  const labels = [0, 1, 1, 0];
  const ym = tensor(labels.flatMap((l) => (l ? [0, 1] : [1, 0])), [4, 2]);
  const a = await loadModel(`${dir}/${m.model}`);
  const b = await loadModel(`${dir}/${m.model}`);
  a.compile({ optimizer: 'sgd', loss: 'mse' });
  b.compile({ optimizer: 'sgd', loss: 'mse' });
  const la = await a.trainOnBatch(xm, ym, { classWeight: { 0: 0.5, 1: 3 } });
  const lb = await b.trainOnBatch(xm, ym, { sampleWeight: labels.map((l) => (l ? 3 : 0.5)) });
  assert.is(la, lb);
  assert.equal(a.getWeights()[1].weights[0].data, b.getWeights()[1].weights[0].data);
  assert.is(typeof la, 'number', 'no metrics: the loss alone');
  const seqModel = await loadModel(`${dir}/${c.model}`);
  seqModel.compile({ optimizer: 'adam', loss: c.loss, metrics: ['accuracy'] });
  const y = tensor(c.y, c.y_shape);
  try {
    await seqModel.trainOnBatch(x, y, { classWeight: { 0: 2 } });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof UnsupportedKerasConfigurationError && /rank 3/.test(e.message), e.message);
  }
  const r = await seqModel.trainOnBatch(x, y);
  assert.ok(Array.isArray(r) && r.length === 2, 'with metrics: [loss, accuracy]');
  const d = await seqModel.evaluate(x, y, { returnDict: true });
  assert.equal(Object.keys(d), ['loss', 'accuracy']);
});

test('compile takes its defaults from the file: training_config of a Keras 2 .h5, compile_config of a Keras 3 .keras; compile options override; refusals name the entry', async () => {
  if (!corpusManifest()) return console.log('  skipped: ../shared/corpus not found');
  const h5 = await loadModel(corpusPath('dl4j/weights/lstm_tensorflow_2.h5'));
  assert.is(h5.trainingConfig.source, 'training_config');
  assert.is(h5.trainingConfig.loss, 'mse');
  assert.is(h5.trainingConfig.optimizer.class_name, 'Adam');
  const k3 = await loadModel(corpusPath('real/KeNKeNad__DIT5411-ProjectAssignment/lstm_model.keras'));
  assert.is(k3.trainingConfig.source, 'compile_config');
  assert.is(k3.trainingConfig.optimizer.class_name, 'Adam');
  k3.compile();
  const n = 8;
  const x = tensor(Array.from({ length: n * 30 }, (_, i) => Math.sin(i / 5)), [n, 30, 1]);
  const y = tensor(Array.from({ length: n }, (_, i) => Math.cos(i)), [n, 1]);
  const loss = await k3.trainOnBatch(x, y);
  assert.is(typeof loss, 'number');
  // the file's Adam (learning_rate 0.001 as stored) is the one used: same as passing it explicitly
  const explicit = await loadModel(corpusPath('real/KeNKeNad__DIT5411-ProjectAssignment/lstm_model.keras'));
  explicit.compile({ optimizer: k3.trainingConfig.optimizer, loss: 'mse' });
  await explicit.trainOnBatch(x, y);
  assert.equal(explicit.getWeights()[0].weights[0].data, k3.getWeights()[0].weights[0].data);
  const other = await loadModel(corpusPath('real/KeNKeNad__DIT5411-ProjectAssignment/lstm_model.keras'));
  other.compile({ optimizer: { class_name: 'SGD', config: { learning_rate: 0.5 } } });
  await other.trainOnBatch(x, y);
  assert.ok(other.getWeights()[0].weights[0].data.some((v, i) => v !== k3.getWeights()[0].weights[0].data[i]), 'the override is used');
  // a Keras 2.0.8 functional model whose file says categorical_crossentropy + ["accuracy"]
  const fn = await loadModel(corpusPath('dl4j/examples/functional_lstm/lstm_functional_tf_keras_2.h5'));
  assert.equal(fn.trainingConfig.metrics, ['accuracy']);
  fn.compile();
  const xf = tensor(Array.from({ length: 6 * 40 }, (_, i) => Math.sin(i * 0.3)), [6, 10, 4]);
  const yf = tensor(Array.from({ length: 30 }, (_, i) => (i % 5 === Math.floor(i / 5) % 5 ? 1 : 0)), [6, 5]);
  const hf = await fn.fit(xf, yf, { epochs: 2, batchSize: 3 });
  assert.equal(Object.keys(hf.history), ['loss', 'accuracy']);
  assert.ok(hf.history.accuracy.every((a) => a >= 0 && a <= 1 && Number.isInteger(a * 6)), `accuracy counts samples: ${hf.history.accuracy}`);
  // no configuration at all
  const plain = await loadModel(`${dir}/train_lstm_dense_mse.h5`);
  assert.is(plain.trainingConfig, null);
  assert.throws(() => plain.compile({ loss: 'mse' }), (e) => e instanceof InputError && /optimizer/.test(e.message));
  assert.throws(() => plain.compile({ optimizer: 'adam', loss: 'mse', metrics: ['auc'] }), (e) => e instanceof UnsupportedKerasConfigurationError && /auc/.test(e.message));
});

test('fit: validationSplit holds out the last samples before shuffling; history has loss, metrics and val_ values; sample weights; callbacks and early stop', async () => {
  const c = ref.training.find((k) => k.loss === 'mse');
  const B = 12;
  const x = tensor(Array.from({ length: B * 18 }, (_, i) => Math.sin(i * 0.37)), [B, 6, 3]);
  const y = tensor(Array.from({ length: B * 2 }, (_, i) => Math.cos(i * 0.5)), [B, 2]);
  const a = await loadModel(`${dir}/${c.model}`);
  a.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'], seed: 3 });
  const ha = await a.fit(x, y, { epochs: 3, batchSize: 4, validationSplit: 0.25 });
  assert.equal(Object.keys(ha.history).sort(), ['loss', 'mae', 'val_loss', 'val_mae']);
  assert.equal(ha.epoch, [0, 1, 2]);
  // the same fit on the first 9 samples with validationData = the last 3 gives the same numbers
  const head = { data: x.data.slice(0, 9 * 18), shape: [9, 6, 3] };
  const tail = { data: x.data.slice(9 * 18), shape: [3, 6, 3] };
  const b = await loadModel(`${dir}/${c.model}`);
  b.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'], seed: 3 });
  const hb = await b.fit(head, { data: y.data.slice(0, 18), shape: [9, 2] }, { epochs: 3, batchSize: 4, validationData: [tail, { data: y.data.slice(18), shape: [3, 2] }] });
  assert.equal(hb.history, ha.history);
  // val_loss is evaluate's loss on the held-out samples after the last epoch
  const ev = await b.evaluate(tail, { data: y.data.slice(18), shape: [3, 2] });
  assert.ok(Math.abs(ev[0] - ha.history.val_loss[2]) < 1e-7, `${ev[0]} vs ${ha.history.val_loss[2]}`);
  await a.fit(x, y, { validationSplit: 0.95 }).then(() => assert.unreachable(), (e) => assert.ok(e instanceof InputError && /validation/.test(e.message), e.message));
  // sample weight 0 = the sample is left out (one batch, no shuffle)
  const w = Array.from({ length: B }, (_, i) => (i < 6 ? 1 : 0));
  const s1 = await loadModel(`${dir}/${c.model}`);
  s1.compile({ optimizer: 'sgd', loss: 'mse' });
  await s1.fit(x, y, { batchSize: B, shuffle: false, sampleWeight: w });
  const s2 = await loadModel(`${dir}/${c.model}`);
  s2.compile({ optimizer: { class_name: 'SGD', config: { learning_rate: 0.005 } }, loss: 'mse' });
  // half the samples with weight 1 and a mean over all 12: the same gradient as the first 6 at half the rate
  await s2.fit({ data: x.data.slice(0, 6 * 18), shape: [6, 6, 3] }, { data: y.data.slice(0, 12), shape: [6, 2] }, { batchSize: 6, shuffle: false });
  const d1 = s1.getWeights()[1].weights[0].data;
  const d2 = s2.getWeights()[1].weights[0].data;
  d1.forEach((v, i) => assert.ok(Math.abs(v - d2[i]) < 1e-6, `weight ${i}: ${v} vs ${d2[i]}`));
  // callbacks: order of hooks, logs, stop from a return value and from model.stopTraining
  const calls = [];
  const m = await loadModel(`${dir}/${c.model}`);
  m.compile({ optimizer: 'adam', loss: 'mse' });
  const h = await m.fit(x, y, {
    epochs: 10,
    batchSize: 6,
    callbacks: [
      {
        onTrainBegin: () => calls.push('train'),
        onEpochBegin: (e) => calls.push(`epoch${e}`),
        onBatchEnd: (b, logs) => calls.push(`batch${b}:${typeof logs.loss}`),
        onEpochEnd: (e, logs) => {
          calls.push(`end${e}`);
          return e === 1 ? false : undefined;
        },
        onTrainEnd: () => calls.push('done'),
      },
    ],
  });
  assert.equal(calls, ['train', 'epoch0', 'batch0:number', 'batch1:number', 'end0', 'epoch1', 'batch0:number', 'batch1:number', 'end1', 'done']);
  assert.is(h.history.loss.length, 2);
  const h2 = await m.fit(x, y, { epochs: 10, batchSize: 6, callbacks: { onEpochEnd: async (e) => { if (e === 2) m.stopTraining = true; } } });
  assert.is(h2.history.loss.length, 3);
  // earlyStopping as Keras': "loss" watched in max mode never improves after epoch 0, so with
  // patience 2 training stops after epoch 2 and the weights of epoch 0 come back
  const e1 = await loadModel(`${dir}/${c.model}`);
  e1.compile({ optimizer: 'adam', loss: 'mse', seed: 9 });
  const stopper = earlyStopping(e1, { monitor: 'loss', mode: 'max', patience: 2, restoreBestWeights: true });
  const he = await e1.fit(x, y, { epochs: 10, batchSize: 6, callbacks: [stopper] });
  assert.is(he.history.loss.length, 3);
  assert.is(stopper.stoppedEpoch, 2);
  assert.is(stopper.bestEpoch, 0);
  const e2 = await loadModel(`${dir}/${c.model}`);
  e2.compile({ optimizer: 'adam', loss: 'mse', seed: 9 });
  await e2.fit(x, y, { epochs: 1, batchSize: 6 });
  assert.equal(e1.getWeights(), e2.getWeights(), 'the best epoch\'s weights are restored');
  assert.equal(Array.from(e1.predict(x).data), Array.from(e2.predict(x).data));
  await e1.fit(x, y, { epochs: 1, callbacks: [earlyStopping(e1, { monitor: 'val_auc' })] }).then(
    () => assert.unreachable(),
    (e) => assert.ok(e instanceof InputError && /val_auc/.test(e.message), e.message),
  );
});



test('a real Keras 3 model of the corpus fine-tuned with its own compile_config: saved as .keras and .h5, h5py reads the trained weights where Keras expects them, kerasrnn reloads the same predictions', async () => {
  if (!corpusManifest()) return console.log('  skipped: ../shared/corpus not found');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { hasH5py, h5Layout: layout } = await import('../support/h5py-layout.js');
  if (!hasH5py) return console.log('  skipped: /usr/bin/python3 has no h5py');
  const src = corpusPath('real/KeNKeNad__DIT5411-ProjectAssignment/lstm_model.keras');
  const model = await loadModel(src);
  model.compile({ metrics: ['mae'], seed: 5 }); // Adam + mse from the file's compile_config
  const n = 20;
  const x = tensor(Array.from({ length: n * 30 }, (_, i) => Math.sin(i / 5) * 0.5 + 0.5), [n, 30, 1]);
  const y = tensor(Array.from({ length: n }, (_, i) => Math.sin(((i + 1) * 30) / 5) * 0.5 + 0.5), [n, 1]);
  const { history } = await model.fit(x, y, { epochs: 3, batchSize: 8, validationSplit: 0.2 });
  assert.equal(Object.keys(history), ['loss', 'mae', 'val_loss', 'val_mae']);
  const trained = model.getWeights();
  const before = layout(src).objects;
  const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-tune-'));
  try {
    // .keras: the original's groups and datasets (names, shapes, dtypes, attribute types), holding the trained values
    await model.save(join(dir, 'tuned.keras'));
    const after = layout(join(dir, 'tuned.keras')).objects;
    const strip = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('optimizer')).map(([k, v]) => [k, { ...v, sum: undefined }]));
    assert.equal(strip(after), strip(before));
    // Keras 3 names the weight groups by class in layer order: lstm, lstm_1, dense
    const seen = {};
    const pathOf = new Map(trained.map((l) => {
      const base = l.className.toLowerCase();
      const i = (seen[base] = (seen[base] ?? -1) + 1);
      return [i ? `${base}_${i}` : base, l];
    }));
    // the layers' datasets (the optimizer's variables are checked in test/saving/optimizer-state.test.js)
    const datasets = Object.entries(after).filter(([k, v]) => v.kind === 'dataset' && !k.startsWith('optimizer'));
    assert.is(datasets.length, trained.reduce((a, l) => a + l.weights.length, 0));
    for (const [path, v] of datasets) {
      const l = pathOf.get(path.split('/')[1]);
      const w = l.weights[Number(path.split('/').pop())];
      assert.ok(Math.abs(v.sum - w.data.reduce((a, b) => a + b, 0)) < 1e-3, `${path}: h5py sum ${v.sum}`);
      assert.equal(v.shape, w.shape, path);
      assert.ok(Math.abs(v.sum - before[path].sum) > 1e-5, `${path}: the saved weights are the trained ones`);
    }
    // .h5: Keras' legacy layout (model_weights/<layer>/..., layer_names, weight_names), trained values
    await model.save(join(dir, 'tuned.h5'));
    const h5 = layout(join(dir, 'tuned.h5')).objects;
    assert.equal(Object.keys(h5['/'].attrs).sort(), ['backend', 'keras_version', 'model_config', 'training_config']);
    assert.equal(Object.keys(h5.model_weights.attrs).sort(), ['backend', 'keras_version', 'layer_names']);
    for (const l of trained) {
      const group = h5[`model_weights/${l.layer}`];
      assert.ok(group?.attrs.weight_names, `${l.layer}: weight_names`);
      const data = Object.entries(h5).filter(([k, v]) => k.startsWith(`model_weights/${l.layer}/`) && v.kind === 'dataset');
      assert.is(data.length, l.weights.length, `${l.layer}: datasets`);
      const total = l.weights.reduce((a, w) => a + w.data.reduce((p, q) => p + q, 0), 0);
      assert.ok(Math.abs(data.reduce((a, [, v]) => a + v.sum, 0) - total) < 1e-3, `${l.layer}: trained values`);
    }
    for (const file of ['tuned.keras', 'tuned.h5']) {
      const again = await loadModel(join(dir, file));
      assert.equal(Array.from(again.predict(x).data), Array.from(model.predict(x).data), file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reinitializeLayer draws fresh weights from the layer\'s initializers (seeded); an LSTM with unit_forget_bias gets ones in its forget-gate bias', async () => {
  const model = await loadModel(`${dir}/train_lstm8_seq_dropout.h5`);
  const [D, U] = [3, 8];
  const before = model.predict(tensor(ref.tbptt_dropout[0].x, ref.tbptt_dropout[0].x_shape)).data.slice();
  await model.reinitializeLayer('lstm', { seed: 4 });
  const [kernel, recurrent, bias] = model.getWeights('lstm')[0].weights.map((w) => w.data);
  // the config's initializers: glorot_uniform, orthogonal, zeros; unit_forget_bias true
  assert.equal(Array.from(bias), Array.from({ length: 4 * U }, (_, i) => (i >= U && i < 2 * U ? 1 : 0)));
  const limit = Math.sqrt(6 / (D + 4 * U));
  assert.ok(kernel.every((v) => Math.abs(v) <= limit) && kernel.some((v) => Math.abs(v) > limit / 2), 'glorot_uniform range');
  // orthogonal [U, 4U]: orthonormal rows, R R^T = I
  for (let a = 0; a < U; a++) {
    for (let b = 0; b < U; b++) {
      let dot = 0;
      for (let j = 0; j < 4 * U; j++) dot += recurrent[a * 4 * U + j] * recurrent[b * 4 * U + j];
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `R R^T [${a}][${b}] = ${dot}`);
    }
  }
  assert.ok(model.predict(tensor(ref.tbptt_dropout[0].x, ref.tbptt_dropout[0].x_shape)).data.some((v, i) => v !== before[i]), 'predict sees the new weights');
  const again = await loadModel(`${dir}/train_lstm8_seq_dropout.h5`);
  await again.reinitializeLayer('lstm', { seed: 4 });
  assert.equal(again.getWeights('lstm'), model.getWeights('lstm'), 'the same seed gives the same weights');
  await again.reinitializeLayer('lstm', { seed: 5 });
  assert.ok(again.getWeights('lstm')[0].weights[0].data.some((v, i) => v !== kernel[i]), 'another seed, other weights');
  // without unit_forget_bias the bias is the bias initializer's alone
  const layer = again.graphForSaving.layers.find((l) => l.spec.name === 'lstm');
  layer.spec.config.unit_forget_bias = false;
  await again.reinitializeLayer('lstm');
  assert.ok(again.getWeights('lstm')[0].weights[2].data.every((v) => v === 0));
  layer.spec.config.kernel_initializer = { class_name: 'Identity', config: {} };
  await again.reinitializeLayer('lstm').then(
    () => assert.unreachable(),
    (e) => assert.ok(e instanceof UnsupportedKerasConfigurationError && /Identity/.test(e.message), e.message),
  );
  await again.reinitializeLayer('nope').then(() => assert.unreachable(), (e) => assert.ok(e instanceof InputError));
  // training goes on from the new weights
  again.compile({ optimizer: 'adam', loss: 'mse' });
  await again.reinitializeLayer('dense', { seed: 2 });
  const c = ref.tbptt_dropout[0];
  const h = await again.fit(tensor(c.x, c.x_shape), tensor(c.y, c.y_shape), { epochs: 3, batchSize: 4 });
  assert.ok(h.history.loss.every(Number.isFinite));
});

test.run();
