// loadModel's `threads` option: a large batch is split across worker threads; the rows must come
// back in order and equal both the single-thread result and the PyTorch reference of the fixture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadModel, InputError } from '../../dist/index.js';
import { readHdf5 } from '../../dist/formats/h5.js';
import { splitRows, MIN_SPLIT_FLOPS } from '../../dist/engine/batch-workers.js';
import { assertClose } from '../support/tolerance.js';

const DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
const MODEL = join(DIR, 'lstm_stacked.h5'); // LSTM(5, sequences) -> LSTM(4) -> Dense(3), torch reference
const io = readHdf5(readFileSync(join(DIR, 'lstm_stacked.io.h5')), 'lstm_stacked.io.h5');
const ds = (p) => ({ data: io.dataset(p).readFloat32(), shape: io.dataset(p).shape });

/** The fixture's rows repeated `times` times along the batch axis. */
function tile(t, times) {
  const data = new Float32Array(t.data.length * times);
  for (let i = 0; i < times; i++) data.set(t.data, i * t.data.length);
  return { data, shape: [t.shape[0] * times, ...t.shape.slice(1)] };
}

test('splitRows covers the batch in contiguous, balanced ranges', () => {
  assert.equal(splitRows(10, 2), [[0, 5], [5, 10]]);
  assert.equal(splitRows(7, 3), [[0, 3], [3, 5], [5, 7]]);
  assert.equal(splitRows(1, 4), [[0, 1]]);
});

test('threads: 2 splits a large batch; outputs equal single-thread and the torch reference', async () => {
  const x = ds('inputs/lstm_input');
  const single = await loadModel(MODEL);
  const threaded = await loadModel(MODEL, { threads: 2 });
  // enough rows to pass the split threshold (2 * params * steps flops per row)
  const rowsNeeded = Math.ceil((3 * MIN_SPLIT_FLOPS) / (2 * single.numParams * x.shape[1]));
  const times = Math.ceil(rowsNeeded / x.shape[0]);
  const big = tile(x, times);
  const a = single.predict(big);
  const b = threaded.predict(big);
  assert.is(threaded.batchWorkers.lastSplit, 2, 'the predict was split across two threads');
  assert.equal(b.shape, a.shape);
  assert.ok(a.data.every((v, i) => v === b.data[i]), 'bit-identical to the single-thread result');
  assertClose(b.data, tile(ds('predictions/dense'), times).data, 'threaded lstm_stacked');

  // several outputs by name keep their order and batch alignment
  const [s1, d1] = threaded.predict(big, { outputs: ['lstm', 'dense'] });
  assert.is(threaded.batchWorkers.lastSplit, 2);
  assertClose(s1.data, tile(ds('activations/lstm'), times).data, 'threaded lstm sequences');
  assertClose(d1.data, tile(ds('activations/dense'), times).data, 'threaded dense');

  // a small batch stays on the calling thread
  const small = threaded.predict(x);
  assert.is(threaded.batchWorkers.lastSplit, 1);
  assertClose(small.data, ds('predictions/dense').data, 'small batch');
  single.dispose();
  threaded.dispose();
});

test('threads: after setWeights the workers predict with the new weights (still split, equal to one thread)', async () => {
  const x = ds('inputs/lstm_input');
  const single = await loadModel(MODEL);
  const threaded = await loadModel(MODEL, { threads: 2 });
  const rowsNeeded = Math.ceil((3 * MIN_SPLIT_FLOPS) / (2 * single.numParams * x.shape[1]));
  const big = tile(x, Math.ceil(rowsNeeded / x.shape[0]));
  const before = single.predict(big);
  const scaled = single.getWeights().map((l) => ({ layer: l.layer, weights: l.weights.map((w) => ({ data: w.data.map((v) => v * 0.5), shape: w.shape })) }));
  await single.setWeights(scaled);
  await threaded.setWeights(scaled);
  const a = single.predict(big);
  const b = threaded.predict(big);
  assert.is(threaded.batchWorkers.lastSplit, 2, 'still split across two threads');
  assert.ok(a.data.some((v, i) => v !== before.data[i]), 'the new weights change the predictions');
  assert.ok(a.data.every((v, i) => v === b.data[i]), 'bit-identical to the single-thread result with the new weights');
  single.dispose();
  threaded.dispose();
});

test('threads: input errors name the caller\'s shape; bad thread counts are refused', async () => {
  const threaded = await loadModel(MODEL, { threads: 2 });
  const rows = 20000;
  try {
    threaded.predict({ data: new Float32Array(rows * 6 * 5), shape: [rows, 6, 5] });
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match(e.message, `[${rows},6,5]`);
  }
  threaded.dispose();
  for (const bad of [0, 1.5, -2, 1000]) {
    try {
      await loadModel(MODEL, { threads: bad });
      assert.unreachable(`threads ${bad} accepted`);
    } catch (e) {
      assert.instance(e, InputError);
      assert.match(e.message, 'threads');
    }
  }
});

test.run();
