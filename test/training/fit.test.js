// Training steps end to end (model.compile / trainOnBatch / fit) against PyTorch float64 autograd
// through Keras' LSTM and Dense with Keras' loss and optimizer formulas written out
// (scripts/fixtures/make_training_fixtures.py -> test/fixtures/training/training_steps.json), and
// refusals of what training does not support.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadModel, InputError, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { corpusPath, corpusManifest } from '../support/corpus.js';
import { checkTrainingSteps } from '../support/training-steps.js';

const steps = JSON.parse(readFileSync('test/fixtures/training/training_steps.json', 'utf8'));

test('20 training steps match the PyTorch reference (SGD momentum, RMSprop, Adam; LSTM -> Dense MSE; LSTM sequences -> softmax Dense, categorical cross-entropy, hard_sigmoid gates)', async () => {
  const worst = await checkTrainingSteps(steps.cases, 'test/fixtures/training/');
  console.log(`  training steps: worst weight error ${(worst * 100).toFixed(1)}% of the tolerance after 20 steps`);
});

test('predict uses the trained weights, save writes them, frozen layers do not change', async () => {
  const c = steps.cases.find((k) => k.optimizer.class_name === 'Adam' && k.loss === 'mse');
  const model = await loadModel(`test/fixtures/training/${c.model}`);
  model.layers.find((l) => l.className === 'LSTM').trainable = false;
  const lstmBefore = model.getWeights('lstm')[0].weights.map((w) => Array.from(w.data));
  model.compile({ optimizer: c.optimizer, loss: c.loss });
  const x = { data: Float32Array.from(c.x), shape: c.x_shape };
  const y = { data: Float32Array.from(c.y), shape: c.y_shape };
  const before = model.predict(x).data.slice();
  const { history } = await model.fit(x, y, { epochs: 5, batchSize: 2 });
  assert.is(history.loss.length, 5);
  assert.ok(history.loss[4] < history.loss[0], `loss goes down: ${history.loss}`);
  assert.equal(model.getWeights('lstm')[0].weights.map((w) => Array.from(w.data)), lstmBefore, 'the frozen LSTM kept its weights');
  const after = model.predict(x).data;
  assert.ok(after.some((v, i) => v !== before[i]), 'predict sees the new Dense weights');
  const again = await loadModel(await model.save({ format: 'keras' }));
  assert.equal(Array.from(again.predict(x).data), Array.from(after), 'the saved file holds the trained weights');
  // weights set after compile are the ones training continues from
  const dense = model.getWeights('dense')[0].weights;
  await model.setWeights({ dense: [new Float32Array(dense[0].data.length), dense[1].data] });
  await model.trainOnBatch(x, y);
  assert.ok(model.getWeights('dense')[0].weights[0].data.every((v) => Math.abs(v) < 0.1), 'training went on from the zeroed kernel');
});

test('a real Keras 3 model of the corpus (LSTM -> LSTM -> Dropout -> Dense) fine-tunes: loss decreases, saved and reloaded with the same predictions', async () => {
  if (!corpusManifest()) return console.log('  skipped: ../shared/corpus not found');
  const model = await loadModel(corpusPath('real/KeNKeNad__DIT5411-ProjectAssignment/lstm_model.keras'));
  model.compile({ optimizer: { class_name: 'Adam', config: { learning_rate: 0.01 } }, loss: 'mse', seed: 7 });
  const n = 16;
  const x = { data: Float32Array.from({ length: n * 30 }, (_, i) => Math.sin(i / 5) * 0.5 + 0.5), shape: [n, 30, 1] };
  const y = { data: Float32Array.from({ length: n }, (_, i) => Math.sin(((i + 1) * 30) / 5) * 0.5 + 0.5), shape: [n, 1] };
  const { history } = await model.fit(x, y, { epochs: 4, batchSize: 8 });
  assert.ok(history.loss[3] < history.loss[0], `loss goes down: ${history.loss}`);
  for (const format of ['keras', 'h5']) {
    const again = await loadModel(await model.save({ format }));
    assert.equal(Array.from(again.predict(x).data), Array.from(model.predict(x).data), format);
  }
});

test('CuDNNLSTM / CuDNNGRU fine-tune in their own weight layout and save as .h5 with the same predictions', async () => {
  for (const file of ['cudnn_lstm_k2.h5', 'cudnn_gru_k2.h5', 'cudnn_lstm_tf.h5']) {
    const model = await loadModel(`test/fixtures/${file}`);
    const [s, o, B] = [model.inputs[0].shape, model.outputs[0].shape, 3];
    const size = (shape) => B * shape.slice(1).reduce((a, b) => a * b, 1);
    const x = { data: Float32Array.from({ length: size(s) }, (_, i) => Math.sin(i)), shape: [B, ...s.slice(1)] };
    const y = { data: Float32Array.from({ length: size(o) }, (_, i) => Math.cos(i)), shape: [B, ...o.slice(1)] };
    const before = model.getWeights();
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const { history } = await model.fit(x, y, { epochs: 4, batchSize: B });
    assert.ok(history.loss[3] < history.loss[0], `${file}: loss goes down: ${history.loss}`);
    const after = model.getWeights();
    // the stored arrays keep cuDNN's shapes (CuDNNLSTM's bias is the two 4·units halves) and all move
    after.forEach((l, i) => l.weights.forEach((w, j) => {
      assert.equal(w.shape, before[i].weights[j].shape, `${file} ${l.layer} ${w.name}`);
      assert.ok(w.data.some((v, k) => v !== before[i].weights[j].data[k]), `${file} ${l.layer} ${w.name} trained`);
    }));
    const again = await loadModel(await model.save({ format: 'h5' }));
    assert.equal(Array.from(again.predict(x).data), Array.from(model.predict(x).data), file);
  }
  // re-initialised, a CuDNNLSTM (unit_forget_bias, zeros) has its ones in the recurrent half's forget block, as Keras 2 builds it
  const lstm = await loadModel('test/fixtures/cudnn_lstm_k2.h5');
  await lstm.reinitializeLayer('cu_dnnlstm_1', { seed: 1 });
  const U = 4;
  assert.equal(Array.from(lstm.getWeights('cu_dnnlstm_1')[0].weights[2].data), Array.from({ length: 8 * U }, (_, i) => (i >= 5 * U && i < 6 * U ? 1 : 0)));
});

test('training refuses what it does not support, by layer and option', async () => {
  const orthogonal = await loadModel('test/fixtures/training/refuse_orthogonal_regularizer_tf.h5');
  assert.throws(() => orthogonal.compile({ optimizer: 'adam', loss: 'mse' }), (e) => e instanceof UnsupportedKerasConfigurationError && /OrthogonalRegularizer/.test(e.message) && /layer "/.test(e.message));
  const model = await loadModel(`test/fixtures/training/${steps.cases[0].model}`);
  assert.throws(() => model.compile({ optimizer: 'nadam', loss: 'mse' }), (e) => e instanceof UnsupportedKerasConfigurationError && /nadam/.test(e.message));
  assert.throws(() => model.compile({ optimizer: 'adam', loss: 'kl_divergence' }), (e) => e instanceof UnsupportedKerasConfigurationError && /kl_divergence/.test(e.message));
  await model.trainOnBatch({ data: new Float32Array(18), shape: [1, 6, 3] }, { data: new Float32Array(2), shape: [1, 2] }).then(
    () => assert.unreachable('trainOnBatch before compile'),
    (e) => assert.ok(e instanceof InputError && /compile/.test(e.message)),
  );
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  await model.trainOnBatch({ data: new Float32Array(15), shape: [1, 5, 3] }, { data: new Float32Array(2), shape: [1, 2] }).then(
    () => assert.unreachable('wrong steps'),
    (e) => assert.ok(e instanceof InputError && /dimension 1 must be 6/.test(e.message)),
  );
  await model.trainOnBatch({ data: new Float32Array(18).fill(NaN), shape: [1, 6, 3] }, { data: new Float32Array(2), shape: [1, 2] }).then(
    () => assert.unreachable('NaN input'),
    (e) => assert.ok(e instanceof InputError && /NaN/.test(e.message)),
  );
  await model.trainOnBatch({ data: new Float32Array(18), shape: [1, 6, 3] }, { data: new Float32Array(3), shape: [1, 3] }).then(
    () => assert.unreachable('wrong targets'),
    (e) => assert.ok(e instanceof InputError && /needs 2/.test(e.message)),
  );
});

test.run();
