// Training on several threads (loadModel's `threads`, training/parallel-trainer.ts): each batch is
// split into contiguous slices of samples whose gradients are summed before one optimizer step.
// The reference is the same training on one thread, which the other training tests check against
// PyTorch / finite differences: threads may change only the order of float32 sums. Two runs with
// the same thread count must give the same bits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../../dist/index.js';

// float32 sums in another order, over 2-3 epochs of updates: weights within 1e-6 absolute (values
// of order 0.1-1; one float32 ulp near 1 is 1.2e-7) and history values within 1e-5 relative
const W_ATOL = 1e-6;
const H_RTOL = 1e-5;

let s = 7;
const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const tensor = (shape, fill = rnd) => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, fill), shape });
const oneHot = (rows, cols) => {
  const t = tensor([...rows, cols], () => 0);
  for (let i = 0; i < t.data.length / cols; i++) t.data[i * cols + ((i * 7) % cols)] = 1;
  return t;
};

/** fit on `threads` threads; the history and every weight value after it. */
async function fitWith(file, threads, compile, x, y, options) {
  const model = await loadModel(file, { threads });
  try {
    model.compile(compile);
    const { history } = await model.fit(x, y, options);
    return { history, weights: model.getWeights().flatMap((l) => l.weights.flatMap((w) => Array.from(w.data))) };
  } finally {
    model.dispose();
  }
}

function assertClose(a, b, what) {
  assert.is(a.weights.length, b.weights.length);
  let worst = 0;
  a.weights.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - b.weights[i]));
    assert.ok(Math.abs(v - b.weights[i]) <= W_ATOL, `${what}: weight ${i} ${v} vs ${b.weights[i]}`);
  });
  assert.equal(Object.keys(a.history), Object.keys(b.history));
  for (const [key, values] of Object.entries(a.history)) {
    values.forEach((v, e) => assert.ok(Math.abs(v - b.history[key][e]) <= H_RTOL * Math.abs(v), `${what}: ${key}[${e}] ${v} vs ${b.history[key][e]}`));
  }
  return worst;
}

const MASKED = 'test/fixtures/training/train_masked_mse_tfkeras212.h5';
const N = 21;
const x = tensor([N, 6, 3]);
const CASES = [
  // LSTM -> Dense, Adam, MSE + MAE, validation split; 17 training samples in batches of 8, 8, 1
  ['LSTM -> Dense (Adam, mse, validationSplit)', 'test/fixtures/training/train_lstm_dense_mse.h5', { optimizer: 'adam', loss: 'mse', metrics: ['mae'] }, tensor([N, 2]), { epochs: 3, batchSize: 8, validationSplit: 0.2 }],
  // GRU sequences -> softmax Dense, categorical cross-entropy, accuracy, sample weights, shuffling
  ['GRU -> softmax Dense (Adam, categorical cross-entropy, sampleWeight)', 'test/fixtures/training/train_gru_seq_softmax_cce.h5', { optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] }, oneHot([N, 6], 3), { epochs: 2, batchSize: 6, sampleWeight: Array.from({ length: N }, (_, i) => 0.5 + (i % 4) * 0.25) }],
  // LSTM with dropout and recurrent_dropout, truncated BPTT in chunks of 4 steps (state and masks carried per slice)
  ['LSTM(dropout, recurrent_dropout) sequences (RMSprop, tbptt 4)', 'test/fixtures/training/train_lstm8_seq_dropout.h5', { optimizer: 'rmsprop', loss: 'mse', metrics: ['mae'], seed: 3 }, tensor([N, 6, 2]), { epochs: 2, batchSize: 5, tbptt: 4 }],
  ['SimpleRNN -> Dense (SGD momentum)', 'test/fixtures/training/train_simple_rnn_mse.h5', { optimizer: { class_name: 'SGD', config: { learning_rate: 0.1, momentum: 0.9 } }, loss: 'mse' }, null, { epochs: 2, batchSize: 7 }],
];

for (const [label, file, compile, yGiven, options] of CASES) {
  test(`${label}: threads 2 and 3 equal one thread within float32 summation order; threads 2 twice bit-identical`, async () => {
    let y = yGiven;
    if (!y) {
      const probe = await loadModel(file);
      y = tensor([N, ...probe.outputs[0].shape.slice(1)]);
      probe.dispose();
    }
    const one = await fitWith(file, 1, compile, x, y, options);
    const two = await fitWith(file, 2, compile, x, y, options);
    const again = await fitWith(file, 2, compile, x, y, options);
    const three = await fitWith(file, 3, compile, x, y, options);
    assert.equal(again.weights, two.weights, 'the same thread count gives the same weights');
    assert.equal(again.history, two.history, 'the same thread count gives the same history');
    // the split did happen: some weight differs in its last bits (a run that stayed on one thread would not)
    assert.ok(two.weights.some((v, i) => v !== one.weights[i]) || three.weights.some((v, i) => v !== one.weights[i]), 'threads changed nothing: was the batch split?');
    const worst = Math.max(assertClose(one, two, '1 vs 2 threads'), assertClose(one, three, '1 vs 3 threads'));
    console.log(`  ${label}: largest weight difference to one thread ${worst.toExponential(2)}`);
  });
}

test('dropout masks and noise do not depend on the thread count (whole-batch draws, sliced)', async () => {
  for (const [file, B] of [['test/fixtures/dropout_flatten.h5', 5], ['test/fixtures/training/grad_spatial_dropout.h5', 5], ['test/fixtures/training/grad_gaussian_noise.h5', 5], ['test/fixtures/training/train_lstm8_seq_dropout.h5', 5]]) {
    const losses = [];
    for (const [threads, seed] of [[1, 5], [3, 5], [1, 6]]) {
      const model = await loadModel(file, { threads });
      const inShape = model.inputs[0].shape.map((d, i) => (i === 0 ? B : d));
      const outShape = model.outputs[0].shape.map((d, i) => (i === 0 ? B : d));
      s = 11;
      const bx = tensor(inShape);
      const by = tensor(outShape);
      model.compile({ optimizer: 'sgd', loss: 'mse', seed });
      losses.push([await model.trainOnBatch(bx, by), await model.trainOnBatch(bx, by)]);
      model.dispose();
    }
    const [one, three, otherSeed] = losses;
    one.forEach((v, i) => assert.ok(Math.abs(v - three[i]) <= 1e-6 * Math.abs(v), `${file}: loss ${i} ${v} on one thread, ${three[i]} on three`));
    // the masks matter: another seed gives another loss (so equal losses above mean equal masks)
    assert.ok(Math.abs(one[0] - otherSeed[0]) > 1e-4 * Math.abs(one[0]), `${file}: the seed does not change the loss`);
  }
});

test('BatchNormalization is refused by name with threads > 1 (its batch statistics need the whole batch)', async () => {
  const model = await loadModel('test/fixtures/layers/batchnorm_k3.keras', { threads: 2 });
  try {
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    assert.unreachable('compiled');
  } catch (e) {
    assert.is(e.name, 'UnsupportedKerasConfigurationError');
    assert.match(e.message, /BatchNormalization/);
    assert.match(e.message, /threads/);
  } finally {
    model.dispose();
  }
  const single = await loadModel('test/fixtures/layers/batchnorm_k3.keras');
  single.compile({ optimizer: 'sgd', loss: 'mse' });
  single.dispose();
});

test('a batch smaller than the thread count, and trainOnBatch / evaluate after fit, on threads', async () => {
  const file = 'test/fixtures/training/train_lstm_dense_mse.h5';
  const y = tensor([N, 2]);
  const results = [];
  for (const threads of [1, 4]) {
    const model = await loadModel(file, { threads });
    model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['mae'] });
    const bx = { data: x.data.slice(0, 2 * 18), shape: [2, 6, 3] };
    const by = { data: y.data.slice(0, 4), shape: [2, 2] };
    const r = [await model.trainOnBatch(bx, by), await model.trainOnBatch(bx, by)];
    await model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false });
    r.push(await model.evaluate(x, y));
    results.push(r.flat());
    model.dispose();
  }
  results[0].forEach((v, i) => assert.ok(Math.abs(v - results[1][i]) <= H_RTOL * Math.abs(v), `value ${i}: ${v} vs ${results[1][i]}`));
});

test('a bad target in a worker\'s slice is the caller\'s InputError, and the next step is unaffected', async () => {
  const file = 'test/fixtures/training/train_gru_seq_softmax_cce.h5';
  const bx = { data: x.data.slice(0, 4 * 18), shape: [4, 6, 3] };
  const good = { data: Float32Array.from({ length: 24 }, (_, i) => i % 3), shape: [4, 6] };
  const bad = { data: good.data.slice(), shape: [4, 6] };
  bad.data[20] = 7; // sample 3: the second slice on two threads
  const losses = [];
  for (const threads of [1, 2]) {
    const model = await loadModel(file, { threads });
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    try {
      await model.trainOnBatch(bx, bad);
      assert.unreachable('trained on class 7 of 3');
    } catch (e) {
      assert.is(e.name, 'InputError', e.message);
      assert.match(e.message, /class index 7/);
    }
    losses.push([await model.trainOnBatch(bx, good), await model.trainOnBatch(bx, good)]);
    model.dispose();
  }
  losses[0].forEach((v, i) => assert.ok(Math.abs(v - losses[1][i]) <= H_RTOL * Math.abs(v), `step ${i}: ${v} vs ${losses[1][i]}`));
});

test('two inputs, two outputs with shared layers (loss_weights and metrics from the file): threads 2 equal one thread within float32 summation order', async () => {
  const file = 'test/fixtures/training/train_multi_io_shared.h5';
  const xs = [tensor([N, 5, 3]), tensor([N, 5, 3])];
  const ys = [tensor([N, 2]), oneHot([N], 3)];
  const one = await fitWith(file, 1, undefined, xs, ys, { epochs: 2, batchSize: 8 });
  const two = await fitWith(file, 2, undefined, xs, ys, { epochs: 2, batchSize: 8 });
  assert.ok(Object.keys(two.history).includes('out_cls_loss'), `per-output history keys: ${Object.keys(two.history)}`);
  assert.ok(two.weights.some((v, i) => v !== one.weights[i]), 'threads changed nothing: was the batch split?');
  const worst = assertClose(one, two, '1 vs 2 threads');
  console.log(`  two inputs / two outputs: largest weight difference to one thread ${worst.toExponential(2)}`);
});

test('regularizers and a masked loss are refused by name with threads > 1 (their penalty / divisor is the whole batch\'s)', async () => {
  for (const [file, pattern] of [['test/fixtures/training/grad_regularizers_k3.keras', /regularizers/], [MASKED, /mask reaching the loss/]]) {
    const model = await loadModel(file, { threads: 2 });
    try {
      assert.throws(() => model.compile({ optimizer: 'sgd', loss: 'mse' }), (e) => e.name === 'UnsupportedKerasConfigurationError' && pattern.test(e.message) && /threads/.test(e.message), file);
    } finally {
      model.dispose();
    }
    const single = await loadModel(file);
    single.compile({ optimizer: 'sgd', loss: 'mse' });
    single.dispose();
  }
});

test.run();
