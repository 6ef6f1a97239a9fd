// What model.save() writes of training: the compile configuration used (`compile_config` of a
// .keras, `training_config` of a .h5), the optimizer's state (`optimizer/vars`,
// `optimizer_weights`) read back by compile so that training resumes bit for bit, and CuDNN layers
// written to .keras as the LSTM / GRU Keras 3 has. Layouts are checked with h5py against real
// Keras files of the corpus and Keras' source (keras/src/optimizers/*.py build order).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { loadModel, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { optimizerFromConfig } from '../../dist/training/optimizers.js';
import { restoreOptimizerState, standaloneLayouts } from '../../dist/training/optimizer-variables.js';
import { corpusManifest, corpusPath } from '../support/corpus.js';
import { expectError } from '../support/expect-error.js';
import { hasH5py, h5Layout as layout } from '../support/h5py-layout.js';

const K3 = 'test/fixtures/keras3/k3_lstm_sequential.keras';
const TFK = 'test/fixtures/lstm_stacked.h5'; // tf.keras 2.4
const PY = '/usr/bin/python3';

const OPTIMIZERS = [
  { class_name: 'SGD', config: { learning_rate: 0.01, momentum: 0.9, nesterov: true } },
  { class_name: 'RMSprop', config: { learning_rate: 0.001, momentum: 0.5, centered: true } },
  { class_name: 'Adam', config: { learning_rate: 0.002, amsgrad: true } },
  { class_name: 'AdamW', config: { learning_rate: 0.002, weight_decay: 0.01 } },
  { class_name: 'Adagrad', config: { learning_rate: 0.01 } },
  { class_name: 'Adam', config: { learning_rate: { class_name: 'ExponentialDecay', config: { initial_learning_rate: 0.01, decay_steps: 2, decay_rate: 0.5 } } } },
];

/** A batch for the model: sine inputs, targets of the output's shape. */
async function batchFor(file) {
  const model = await loadModel(file);
  const shape = model.inputs[0].shape.map((d, i) => (d === null ? (i === 0 ? 4 : 5) : d));
  const x = { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37)), shape };
  const out = model.predict(x);
  return { x, y: { data: Float32Array.from(out.data, (_, i) => Math.cos(i)), shape: out.shape } };
}

function sameWeights(a, b) {
  const wa = a.getWeights();
  const wb = b.getWeights();
  return wa.length === wb.length && wa.every((l, i) => l.weights.every((w, j) => w.data.every((v, k) => Object.is(v, wb[i].weights[j].data[k]))));
}

test('save -> load -> compile -> trainOnBatch continues bit for bit as training without saving (SGD, RMSprop, Adam, AdamW, Adagrad, a schedule; .keras and .h5)', async () => {
  const cases = [
    [K3, ['keras', 'h5']],
    [TFK, ['h5']], // tf.keras 2.x as .keras becomes Keras 3, whose RMSprop / Adagrad rules differ
  ];
  let count = 0;
  for (const [file, formats] of cases) {
    const { x, y } = await batchFor(file);
    for (const optimizer of OPTIMIZERS) {
      if (optimizer.class_name === 'AdamW' && file === TFK) continue; // tf.keras 2.4 has no AdamW
      for (const format of formats) {
        const key = `${file} ${format} ${optimizer.class_name}`;
        const a = await loadModel(file);
        a.compile({ optimizer, loss: 'mse' });
        await a.trainOnBatch(x, y);
        await a.trainOnBatch(x, y);
        const bytes = await a.save({ format });
        const lossA = await a.trainOnBatch(x, y);
        const b = await loadModel(bytes, { fileName: `resumed.${format}` });
        assert.ok(b.stored.optimizerState, `${key}: the file holds the optimizer state`);
        b.compile(); // optimizer and loss from the file's own compile / training config
        const lossB = await b.trainOnBatch(x, y);
        assert.ok(Object.is(lossA, lossB), `${key}: loss ${lossA} vs ${lossB}`);
        assert.ok(sameWeights(a, b), `${key}: weights after the resumed step`);
        // starting fresh instead gives other weights: the state is what made them equal
        const c = await loadModel(bytes, { fileName: `fresh.${format}` });
        c.compile({ optimizerState: 'fresh' });
        await c.trainOnBatch(x, y);
        assert.not.ok(sameWeights(a, c), `${key}: a fresh optimizer differs`);
        count++;
      }
    }
  }
  console.log(`  resumed training: ${count} optimizer/format cases bit-identical`);
});

test('.keras: compile_config and optimizer/vars laid out as in a real Keras 3 archive (h5py), iteration counted on from the file', async () => {
  if (!corpusManifest()) return console.log('  skipped: ../shared/corpus not found');
  if (!hasH5py) return console.log('  skipped: /usr/bin/python3 has no h5py');
  const src = corpusPath('real/KeNKeNad__DIT5411-ProjectAssignment/lstm_model.keras');
  const model = await loadModel(src);
  const stored = model.stored.optimizerState;
  assert.is(stored.source, 'optimizer/vars');
  const fileIterations = stored.variables[0].read()[0];
  model.compile(); // the file's Adam: its state is resumed
  const x = { data: Float32Array.from({ length: 4 * 30 }, (_, i) => Math.sin(i / 5)), shape: [4, 30, 1] };
  const y = { data: Float32Array.from({ length: 4 }, (_, i) => Math.cos(i)), shape: [4, 1] };
  await model.trainOnBatch(x, y);
  await model.trainOnBatch(x, y);
  const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-opt-'));
  try {
    const out = join(dir, 'tuned.keras');
    await model.save(out);
    const only = (objects) => Object.fromEntries(Object.entries(objects).filter(([k]) => k.startsWith('optimizer')).map(([k, v]) => [k, { ...v, sum: undefined }]));
    assert.equal(only(layout(out).objects), only(layout(src).objects));
    const iterations = JSON.parse(execFileSync(PY, ['-c', `import h5py, io, zipfile, json; f = h5py.File(io.BytesIO(zipfile.ZipFile(${JSON.stringify(out)}).read('model.weights.h5')), 'r'); print(json.dumps(int(f['optimizer/vars/0'][()])))`], { encoding: 'utf8' }));
    assert.is(iterations, fileIterations + 2);
    const config = (bytes) => JSON.parse(new TextDecoder().decode(unzipSync(bytes)['config.json']));
    const { readFileSync } = await import('node:fs');
    const original = config(readFileSync(src)).compile_config;
    const written = config(readFileSync(out)).compile_config;
    assert.equal(Object.keys(written), Object.keys(original));
    assert.equal(Object.keys(written.optimizer), Object.keys(original.optimizer));
    assert.equal(Object.keys(written.optimizer.config), Object.keys(original.optimizer.config));
    assert.equal({ ...written, optimizer: undefined }, { ...original, optimizer: undefined });
    assert.is(written.optimizer.config.learning_rate, original.optimizer.config.learning_rate);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.h5: training_config in the Keras version\'s form, optimizer_weights as tf.keras 2 / Keras 3 name and order them (h5py)', async () => {
  if (!hasH5py) return console.log('  skipped: /usr/bin/python3 has no h5py');
  const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-opt-'));
  try {
    const { x, y } = await batchFor(TFK);
    const tfk = await loadModel(TFK);
    tfk.compile({ optimizer: { class_name: 'Adam', config: { learning_rate: 0.002 } }, loss: 'mse', metrics: ['mae'] });
    await tfk.trainOnBatch(x, y);
    const out = join(dir, 'tfk.h5');
    await tfk.save(out);
    const objects = layout(out).objects;
    assert.equal(objects['optimizer_weights/Adam/iter:0'].dtype, 'int64');
    assert.equal(objects['optimizer_weights/Adam/iter:0'].shape, []);
    assert.equal(objects['optimizer_weights/Adam/iter:0'].sum, 1);
    const names = JSON.parse(execFileSync(PY, ['-c', `import h5py, json; f = h5py.File(${JSON.stringify(out)}, 'r'); print(json.dumps([n.decode() if isinstance(n, bytes) else n for n in f['optimizer_weights'].attrs['weight_names']])); print(f.attrs['training_config'])`], { encoding: 'utf8' }).split('\n')[0]);
    // tf.keras 2.0-2.10 _create_slots: every m, then every v; slot names by variable name
    const weights = tfk.getWeights().flatMap((l) => l.weights.map((w) => w.name));
    assert.is(names.length, 1 + 2 * weights.length);
    assert.is(names[0], 'Adam/iter:0');
    assert.is(names[1], 'Adam/lstm/lstm_cell/kernel/m:0');
    assert.is(names[1 + weights.length], 'Adam/lstm/lstm_cell/kernel/v:0');
    for (const n of names) assert.ok(objects[`optimizer_weights/${n}`]?.kind === 'dataset', n);
    const tc = JSON.parse(execFileSync(PY, ['-c', `import h5py; print(h5py.File(${JSON.stringify(out)}, 'r').attrs['training_config'])`], { encoding: 'utf8' }));
    assert.equal(Object.keys(tc), ['loss', 'metrics', 'weighted_metrics', 'loss_weights', 'optimizer_config']);
    assert.equal(tc.optimizer_config, { class_name: 'Adam', config: { name: 'Adam', learning_rate: 0.002, decay: 0, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false } });
    assert.equal([tc.loss, tc.metrics], ['mse', ['mae']]);
    // Keras 3's legacy .h5: the key order of the corpus' Keras 3.1 file; variables by path, Keras 3 order
    const k3 = await loadModel(K3);
    k3.compile({ optimizer: 'adam', loss: 'mse' });
    await k3.trainOnBatch(x.shape[2] === k3.inputs[0].shape[2] ? x : (await batchFor(K3)).x, (await batchFor(K3)).y);
    const out3 = join(dir, 'k3.h5');
    await k3.save(out3);
    const tc3 = JSON.parse(execFileSync(PY, ['-c', `import h5py; print(h5py.File(${JSON.stringify(out3)}, 'r').attrs['training_config'])`], { encoding: 'utf8' }));
    if (corpusManifest()) {
      const real = JSON.parse(execFileSync(PY, ['-c', `import h5py; print(h5py.File(${JSON.stringify(corpusPath('real/oshinrastogi__Praali_Alert_System/bilstm_model.h5'))}, 'r').attrs['training_config'])`], { encoding: 'utf8' }));
      assert.equal(Object.keys(tc3), Object.keys(real));
      assert.equal(Object.keys(tc3.optimizer_config.config), Object.keys(real.optimizer_config.config));
    }
    const o3 = layout(out3).objects;
    assert.is(o3['optimizer_weights/adam/iteration'].dtype, 'int64');
    assert.is(o3['optimizer_weights/adam/learning_rate'].dtype, 'float32');
    assert.ok(o3['optimizer_weights/adam/lstm_lstm_cell_kernel_momentum'], 'Keras 3 names slots by variable path');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an optimizer state that does not fit the compiled optimizer is refused by name; another optimizer class or optimizerState "fresh" starts fresh', async () => {
  const { x, y } = await batchFor(K3);
  const a = await loadModel(K3);
  a.compile({ optimizer: 'adam', loss: 'mse' });
  await a.trainOnBatch(x, y);
  const bytes = await a.save({ format: 'keras' });
  const b = await loadModel(bytes, { fileName: 'adam.keras' });
  const err = await expectError(() => b.compile({ optimizer: { class_name: 'Adam', config: { amsgrad: true } } }), UnsupportedKerasConfigurationError);
  assert.match(err.message, /optimizer state \(optimizer\/vars, 18 variables\) does not fit the compiled adam optimizer over 8 trainable variables: it expects 26 variables/);
  assert.match(err.message, /optimizerState: 'fresh'/);
  b.compile({ optimizer: { class_name: 'Adam', config: { amsgrad: true } }, optimizerState: 'fresh' });
  b.compile({ optimizer: 'sgd' }); // a new optimizer class: nothing to resume
  assert.is(b.trainingForSaving.resumed, null);
  b.layers[1].trainable = false; // fewer trainable variables than the state was saved for
  const frozen = await expectError(() => b.compile(), UnsupportedKerasConfigurationError);
  assert.match(frozen.message, /over 5 trainable variables: it expects 12 variables/);
  await expectError(() => b.compile({ optimizerState: 'later' }), Error, /optimizerState must be/);
});

test('a standalone Keras 2 optimizer state of the corpus is resumed by shape (Adam 2.1.1: iterations, ms, vs)', async () => {
  if (!corpusManifest()) return console.log('  skipped: ../shared/corpus not found');
  const model = await loadModel(corpusPath('dl4j/examples/reshape_to_rnn/reshape_model.h5'));
  const stored = model.stored.optimizerState;
  assert.is(stored.variables.length, 11);
  model.compile(); // the file's Adam
  const resumed = model.trainingForSaving.resumed;
  assert.is(resumed.iterations, stored.variables[0].read()[0]);
  assert.is(resumed.slots.size, 10);
  // m of the first variable is the file's second array, v its seventh (Keras 2.1: [iterations] + ms + vs)
  assert.equal(Array.from(resumed.slots.get('0:0')), Array.from(stored.variables[1].read()));
  assert.equal(Array.from(resumed.slots.get('0:1')), Array.from(stored.variables[6].read()));
});

test('a standalone Keras 2.0 RMSprop state (accumulators without iterations) matches its layout by shape', async () => {
  if (!corpusManifest()) return console.log('  skipped: ../shared/corpus not found');
  // the model itself is not trainable here (LSTM dropout with implementation 0), its state is readable
  const model = await loadModel(corpusPath('dl4j/examples/simple_lstm/simple_lstm_tf_keras_2_model.h5'));
  const spec = optimizerFromConfig(model.trainingConfig.optimizer, model.generation);
  const targets = model.getWeights().flatMap((l) => l.weights.map((w) => ({ path: `${l.layer}/${w.name}`, shape: w.shape })));
  const stored = model.stored.optimizerState;
  const restored = restoreOptimizerState(stored, standaloneLayouts(spec, targets), 'rmsprop', 'simple_lstm');
  assert.is(restored.iterations, 0);
  assert.is(restored.slots.size, 5);
  targets.forEach((_, i) => assert.equal(Array.from(restored.slots.get(`${i}:0`)), Array.from(stored.variables[i].read())));
});

test('CuDNNLSTM / CuDNNGRU models saved as .keras hold LSTM / GRU(reset_after) with Keras\' converted weights (NumPy), and reload with identical predictions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-cudnn-'));
  try {
    for (const name of ['cudnn_lstm_k2', 'cudnn_gru_k2', 'cudnn_lstm_tf']) {
      const src = `test/fixtures/${name}.h5`;
      const model = await loadModel(src);
      const { x } = await batchFor(src);
      const out = join(dir, `${name}.keras`);
      writeFileSync(out, await model.save({ format: 'keras' }));
      const again = await loadModel(out);
      assert.equal(Array.from(again.predict(x).data), Array.from(model.predict(x).data), name);
      assert.ok(again.layers.every((l) => !l.className.startsWith('CuDNN')), `${name}: no CuDNN class left`);
      if (!hasH5py) continue;
      const check = JSON.parse(execFileSync(PY, [new URL('./cudnn_to_keras3.py', import.meta.url).pathname, src, out], { encoding: 'utf8' }));
      const recurrent = Object.values(check).find((l) => l.class === 'LSTM' || l.class === 'GRU');
      assert.ok(recurrent, `${name}: a recurrent layer`);
      assert.equal(recurrent.config, { activation: 'tanh', recurrent_activation: 'sigmoid', reset_after: recurrent.class === 'GRU' ? true : null, use_bias: true }, name);
      for (const [layer, v] of Object.entries(check)) assert.ok(v.max_abs_diff === 0, `${name} ${layer}: ${v.max_abs_diff} from Keras' conversion`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
