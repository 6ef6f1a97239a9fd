// loadModel(src, { worker: true }) in Node.js: the model runs in a worker_threads Worker. Its
// results must be predict's bit for bit (same kernels), its errors the main thread's (class,
// message, context), its streams the main thread's streams, and the event loop must keep turning
// while it predicts. An idle worker model must not keep the process alive.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as kerasrnn from '../../dist/index.js';
import { loadModel, WorkerModel, InputError, ModelFileError, KerasRnnError } from '../../dist/index.js';
import { errorFromData, errorToData } from '../../dist/api/worker-messages.js';
import { expectError } from '../support/expect-error.js';

const fixture = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/sine_forecaster.h5', import.meta.url));

function randomInput(shape, seed = 11) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return { data, shape };
}

const bits = (t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
const concrete = (shape, batch, steps) => shape.map((d, i) => (i === 0 ? batch : d ?? steps));

test('predictAsync equals predict bit for bit (LSTM, GRU, SimpleRNN, Bidirectional, selected layer outputs)', async () => {
  for (const name of ['gru_go_backwards.h5', 'bidir_lstm_concat.h5', 'bidir_simplernn_mul.h5', 'functional_lstm.h5', 'cudnn_gru_k2.h5']) {
    const model = await loadModel(fixture(name));
    const worker = await loadModel(fixture(name), { worker: true });
    try {
      assert.instance(worker, WorkerModel);
      const x = model.inputs.map((inp, i) => randomInput(concrete(inp.shape, 3, 7), 5 + i));
      const input = x.length === 1 ? x[0] : x;
      const want = model.predict(input);
      const got = await worker.predictAsync(input);
      const list = (y) => (Array.isArray(y) ? y : [y]);
      assert.is(list(got).length, list(want).length, name);
      list(want).forEach((w, i) => {
        assert.equal(list(got)[i].shape, w.shape, name);
        assert.equal(bits(list(got)[i]), bits(w), `${name} output ${i}`);
      });
      const layer = model.layers.find((l) => /lstm|gru|rnn|bidirectional/i.test(l.className)).name;
      const [a] = model.predict(input, { outputs: [layer] });
      const [b] = await worker.predictAsync(input, { outputs: [layer] });
      assert.equal(bits(b), bits(a), `${name} layer ${layer}`);
    } finally {
      model.dispose();
      await worker.dispose();
    }
  }
});

test('the main thread has the model\'s description: inputs, outputs, layers, counts, summary', async () => {
  const model = await loadModel(EXAMPLE);
  const worker = await loadModel(EXAMPLE, { worker: true });
  for (const k of ['name', 'className', 'generation', 'inputs', 'outputs', 'fileName', 'hasWeights', 'format', 'formatDetails', 'numParams', 'nonTrainableParams', 'memoryBytes', 'info']) {
    assert.equal(worker[k], model[k], k);
  }
  assert.equal(worker.layers.map((l) => ({ ...l })), model.layers.map((l) => ({ ...l })));
  assert.is(worker.summary(), model.summary());
  model.dispose();
  await worker.dispose();
});

test('errors from the worker are the main thread\'s: class, message, context', async () => {
  const model = await loadModel(EXAMPLE);
  const worker = await loadModel(EXAMPLE, { worker: true });
  for (const bad of [{ data: new Float32Array(6), shape: [1, 3, 2] }, { data: [1, NaN], shape: [1, 2] }, { shape: [1, 50, 1] }]) {
    let main;
    try {
      model.predict(bad);
    } catch (e) {
      main = e;
    }
    assert.instance(main, InputError);
    const e = await expectError(() => worker.predictAsync(bad), InputError);
    assert.is(e.name, main.name);
    assert.is(e.message, main.message);
    assert.equal(e.context, main.context);
    assert.ok(e.stack.includes('kerasrnn worker'), 'the stack says where it was thrown');
  }
  const e = await expectError(() => worker.predictAsync(randomInput([1, 50, 1]), { outputs: ['nope'] }), InputError, /no such layer output/);
  assert.is(e.context.value, 'nope');
  model.dispose();
  await worker.dispose();

  // Load errors too: a missing file is the same ModelFileError as on the main thread.
  const missing = fixture('no-such-model.h5');
  const here = await expectError(() => loadModel(missing), ModelFileError);
  const there = await expectError(() => loadModel(missing, { worker: true }), ModelFileError);
  assert.is(there.message, here.message);
  assert.equal(there.context, here.context);
});

test('every kerasrnn error class survives the trip as data (class, message, context); other errors keep name and message', () => {
  const classes = Object.values(kerasrnn).filter((v) => typeof v === 'function' && (v === KerasRnnError || v.prototype instanceof KerasRnnError));
  assert.ok(classes.length >= 7, `error classes: ${classes.map((c) => c.name)}`);
  for (const C of classes) {
    const original = new C('something failed', { file: 'm.h5', layer: 'lstm', className: 'LSTM', field: 'units', value: [1, 2] });
    const back = errorFromData(structuredClone(errorToData(original)));
    assert.ok(back instanceof C && back.constructor === C, `${C.name} comes back as ${back.constructor.name}`);
    assert.is(back.name, original.name);
    assert.is(back.message, original.message);
    assert.equal(back.context, original.context);
  }
  const unclonable = errorFromData(structuredClone(errorToData(new InputError('bad', { field: 'x', value: () => 1 }))));
  assert.is(typeof unclonable.context.value, 'string');
  const other = errorFromData(structuredClone(errorToData(new TypeError('nope'))));
  assert.ok(!(other instanceof KerasRnnError));
  assert.is(other.name, 'TypeError');
  assert.is(other.message, 'nope');
});

test('options: worker must be a boolean; customLayers cannot go to a worker; a bad workerUrl fails to start', async () => {
  await expectError(() => loadModel(EXAMPLE, { worker: 'yes' }), InputError, /worker must be true or false/);
  const e = await expectError(() => loadModel(EXAMPLE, { worker: true, customLayers: { Foo: { call: (x) => x } } }), InputError, /customLayers/);
  assert.is(e.context.field, 'customLayers');
  await expectError(() => loadModel(EXAMPLE, { worker: true, workerUrl: new URL('./no-such-worker.js', import.meta.url) }), KerasRnnError, /worker/);
});

test('the event loop keeps turning while predictAsync runs; predict blocks it', async () => {
  const model = await loadModel(EXAMPLE);
  const worker = await loadModel(EXAMPLE, { worker: true });
  const x = randomInput([3000, 50, 1]);
  const watch = async (work) => {
    let last = performance.now();
    let longest = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      ticks++;
    }, 1);
    await new Promise((r) => setTimeout(r, 20));
    longest = 0;
    ticks = 0;
    last = performance.now();
    const t0 = performance.now();
    const y = await work();
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5));
    clearInterval(timer);
    return { y, ms, longest, ticks };
  };
  const sync = await watch(async () => model.predict(x));
  const async = await watch(() => worker.predictAsync(x));
  assert.equal(bits(async.y), bits(sync.y));
  assert.ok(sync.longest >= 0.8 * sync.ms, `predict blocks: ${sync.longest} ms gap in ${sync.ms} ms`);
  // Relative bound: on a loaded machine the main thread itself is descheduled for tens of ms.
  assert.ok(sync.ms > 150, `the predict is long enough to tell: ${sync.ms} ms`);
  assert.ok(async.longest < sync.longest / 4, `predictAsync does not: longest gap ${async.longest} ms (sync ${sync.longest} ms)`);
  assert.ok(async.ticks > 5, `ticks: ${async.ticks}`);
  model.dispose();
  await worker.dispose();
});

test('transfer: true hands input buffers over; concurrent calls resolve in order with their own results', async () => {
  const model = await loadModel(EXAMPLE);
  const worker = await loadModel(EXAMPLE, { worker: true });
  const xs = [1, 2, 3, 4].map((s) => randomInput([s, 50, 1], s));
  const want = xs.map((x) => bits(model.predict(x)));
  const moved = xs.map((x) => ({ data: x.data.slice(), shape: x.shape }));
  const got = await Promise.all(moved.map((x) => worker.predictAsync(x, { transfer: true })));
  assert.equal(got.map(bits), want);
  assert.ok(moved.every((x) => x.data.length === 0), 'the sent arrays are detached');
  // Without transfer the caller's array stays usable.
  const kept = await worker.predictAsync(xs[0]);
  assert.is(xs[0].data.length, 50);
  assert.equal(bits(kept), want[0]);
  model.dispose();
  await worker.dispose();
});

test('streamAsync: chunks give the main thread stream\'s outputs and states; reset, setState, close', async () => {
  const model = await loadModel(fixture('gru_go_backwards.h5'));
  const worker = await loadModel(fixture('gru_go_backwards.h5'), { worker: true });
  const name = fixture('lstm_long_t400.h5');
  const lstm = await loadModel(name);
  const lstmWorker = await loadModel(name, { worker: true });
  const F = lstm.inputs[0].shape[2];
  const a = randomInput([2, 5, F], 3);
  const b = randomInput([2, 4, F], 4);
  const s = lstm.stream();
  const ws = await lstmWorker.streamAsync();
  assert.equal(bits(await ws.step(a)), bits(s.step(a)));
  assert.equal(bits(await ws.step(b)), bits(s.step(b)));
  const state = await ws.getState();
  assert.equal(Object.keys(state), Object.keys(s.getState()));
  for (const k of Object.keys(state)) assert.equal(bits(state[k]), bits(s.getState()[k]), k);
  await ws.reset();
  s.reset();
  assert.equal(bits(await ws.step(a)), bits(s.step(a)));
  await ws.setState(state);
  s.setState(state);
  assert.equal(bits(await ws.step(b)), bits(s.step(b)));
  await expectError(() => ws.step(randomInput([3, 1, F])), InputError, /batch 2/);
  await ws.close();
  await expectError(() => ws.step(a), InputError, /closed/);
  // A model that cannot be streamed (go_backwards) is refused as stream() refuses it.
  let main;
  try {
    model.stream();
  } catch (e) {
    main = e;
  }
  const e = await expectError(() => worker.streamAsync(), main.constructor);
  assert.is(e.message, main.message);
  for (const m of [model, lstm]) m.dispose();
  await Promise.all([worker.dispose(), lstmWorker.dispose()]);
});

test('dispose rejects calls in flight and later calls', async () => {
  const worker = await loadModel(EXAMPLE, { worker: true });
  const pending = worker.predictAsync(randomInput([3000, 50, 1])).then(() => null, (e) => e);
  await worker.dispose();
  const e = await pending;
  assert.instance(e, InputError);
  assert.match(e.message, /disposed/);
  assert.is(e.context.file, EXAMPLE);
  await expectError(() => worker.predictAsync(randomInput([1, 50, 1])), InputError, /disposed/);
  await expectError(() => worker.streamAsync(), InputError, /disposed/);
});

test('an idle worker model does not keep Node.js running; a pending predict does', () => {
  const url = new URL('../../dist/index.js', import.meta.url).href;
  const script = `
    import { loadModel } from ${JSON.stringify(url)};
    const m = await loadModel(${JSON.stringify(EXAMPLE)}, { worker: true });
    m.predictAsync({ data: new Float32Array(50), shape: [1, 50, 1] }).then((y) => console.log('done', y.shape.join('x')));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout.trim(), 'done 1x1');
});

test.run();
