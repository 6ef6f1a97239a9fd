// loadModel's `sequenceThreads`: one LSTM / GRU sequence split by unit groups over threads sharing the
// wasm memory (assembly/{lstm,gru}-sequence-parallel.ts, src/wasm/sequence-threads.ts). Every output
// bit must equal the one-thread kernel's, for batch 1 and small batches, odd unit counts (a last
// group with padding lanes, thread shares of unequal size), masks, go_backwards, sequences and
// streams; workers must end with the model and never keep the process alive.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadModel, InputError } from '../../dist/index.js';
import { rng } from '../formats/helpers.js';

const DIST = new URL('../../dist/index.js', import.meta.url).href;

/** A TF.js layers model: [Masking ->] LSTM or GRU (units) with seeded weights, as loadModel's TF.js source. */
function rnnSource({ units, features, steps, masking = false, goBackwards = false, returnSequences = false, seed = 1, cell = 'lstm', resetAfter = true }) {
  const gates = cell === 'lstm' ? 4 : 3;
  const r = rng(seed);
  const layers = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, steps, features], dtype: 'float32', name: 'input_1' } },
    ...(masking ? [{ class_name: 'Masking', config: { name: 'masking', mask_value: 0 } }] : []),
    {
      class_name: cell === 'lstm' ? 'LSTM' : 'GRU',
      config: {
        name: 'rnn', units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true,
        return_sequences: returnSequences, return_state: false, go_backwards: goBackwards, stateful: false, unroll: false,
        ...(cell === 'gru' ? { reset_after: resetAfter } : {}),
      },
    },
  ];
  const bias = cell === 'gru' && resetAfter ? [2, gates * units] : [gates * units];
  const shapes = [[features, gates * units], [units, gates * units], bias];
  const names = ['rnn/kernel', 'rnn/recurrent_kernel', 'rnn/bias'];
  const total = shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  // Scaled like Glorot so the gates are neither saturated nor all linear.
  const data = Float32Array.from({ length: total }, () => (r() * 2 - 1) * Math.sqrt(3 / units));
  return {
    modelJson: {
      format: 'layers-model',
      modelTopology: { class_name: 'Sequential', keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js', config: { name: 'seq', layers } },
      weightsManifest: [{ paths: ['w.bin'], weights: names.map((name, i) => ({ name, shape: shapes[i], dtype: 'float32' })) }],
    },
    weights: { 'w.bin': new Uint8Array(data.buffer) },
  };
}

function input(B, T, F, seed, zeroSteps = false) {
  const r = rng(seed);
  const data = Float32Array.from({ length: B * T * F }, () => r() * 2 - 1);
  // Masked steps: whole time steps of zeros, different per row (leading, inner and trailing).
  if (zeroSteps) for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if ((t + b) % 3 === 0 || t === T - 1 - b) data.fill(0, (b * T + t) * F, (b * T + t + 1) * F);
  return { data, shape: [B, T, F] };
}

function assertSameBits(a, b, what) {
  assert.equal(a.shape, b.shape, `${what}: shape`);
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) assert.unreachable(`${what}: element ${i} differs: ${a.data[i]} vs ${b.data[i]}`);
}

/**
 * The one-thread reference runs the threads build's arithmetic: plain SIMD (where relaxed SIMD is
 * on - Node 22+, or Node 20 with --experimental-wasm-relaxed-simd - 'auto' would pick the relaxed
 * build, whose FMA rounds differently; the threads build has no relaxed variant).
 */
const ONE_THREAD = { sequenceThreads: 1, kernels: 'simd' };

/** Loads one model twice: one thread, and `threads` threads splitting every call (threshold 0). */
async function pair(spec, threads = 2) {
  const one = await loadModel(rnnSource(spec), ONE_THREAD);
  const many = await loadModel(rnnSource(spec), { sequenceThreads: threads, sequenceMinStepFlops: 0 });
  return { one, many };
}

/** How many calls the model's sequence threads ran split (internal counter of the pool). */
const splitCalls = (model) => model.memory.threads?.splitCalls ?? 0;

const CASES = [
  { units: 1, features: 3, steps: 5 },
  { units: 7, features: 5, steps: 9 },
  { units: 37, features: 11, steps: 13 },
  { units: 64, features: 16, steps: 20 },
  { units: 130, features: 8, steps: 17 },
];

const CELLS = [{ cell: 'lstm' }, { cell: 'gru', resetAfter: true }, { cell: 'gru', resetAfter: false }];
const cellName = (c) => (c.cell === 'lstm' ? 'LSTM' : `GRU reset_after=${c.resetAfter}`);

for (const spec of CASES) for (const cell of CELLS) {
  test(`${cellName(cell)} ${spec.units} units: 2 and 3 threads give the one-thread bits (batch 1, 2, 5; last output and sequences)`, async () => {
    for (const returnSequences of [false, true]) {
      const s = { ...spec, ...cell, returnSequences };
      const one = await loadModel(rnnSource(s), ONE_THREAD);
      for (const threads of [2, 3]) {
        const many = await loadModel(rnnSource(s), { sequenceThreads: threads, sequenceMinStepFlops: 0 });
        assert.is(many.info.sequenceThreads.threads, threads);
        for (const B of [1, 2, 5]) {
          const x = input(B, spec.steps, spec.features, 7 + B);
          const before = splitCalls(many);
          assertSameBits(many.predict(x), one.predict(x), `units ${spec.units}, ${threads} threads, batch ${B}, sequences ${returnSequences}`);
          assert.is(splitCalls(many), before + 1, 'the call was split');
        }
        many.dispose();
      }
      one.dispose();
    }
  });
}

test('masks (Masking layer), go_backwards: same bits on two threads', async () => {
  for (const cell of CELLS) for (const goBackwards of [false, true]) {
    for (const returnSequences of [false, true]) {
      const { one, many } = await pair({ units: 41, features: 6, steps: 12, masking: true, goBackwards, returnSequences, seed: 3, ...cell });
      for (const B of [1, 4]) {
        const x = input(B, 12, 6, 11 + B, true);
        const before = splitCalls(many);
        assertSameBits(many.predict(x), one.predict(x), `${cellName(cell)}, mask, backwards ${goBackwards}, sequences ${returnSequences}, batch ${B}`);
        assert.is(splitCalls(many), before + 1);
      }
      one.dispose();
      many.dispose();
    }
  }
});

for (const cell of CELLS) test(`${cellName(cell)} streams: chunked masked input gives the same bits on two threads (mask history reaches the workers)`, async () => {
  const { one, many } = await pair({ units: 29, features: 4, steps: 12, masking: true, returnSequences: true, seed: 5, ...cell });
  const x = input(3, 12, 4, 21, true);
  const chunk = (t0, t1) => {
    const d = new Float32Array(3 * (t1 - t0) * 4);
    for (let b = 0; b < 3; b++) d.set(x.data.subarray((b * 12 + t0) * 4, (b * 12 + t1) * 4), b * (t1 - t0) * 4);
    return { data: d, shape: [3, t1 - t0, 4] };
  };
  const s1 = one.stream(), s2 = many.stream();
  for (const [t0, t1] of [[0, 4], [4, 5], [5, 12]]) {
    const before = splitCalls(many);
    assertSameBits(s2.step(chunk(t0, t1)), s1.step(chunk(t0, t1)), `stream chunk ${t0}..${t1}`);
    if (t1 - t0 >= 2) assert.is(splitCalls(many), before + 1);
  }
  one.dispose();
  many.dispose();
});

test('the default threshold keeps small layers on one thread; info and summary tell the thread count', async () => {
  const model = await loadModel(rnnSource({ units: 300, features: 4, steps: 6 }), { sequenceThreads: 2 });
  assert.equal(model.info.sequenceThreads, { threads: 2, fallback: null, splittable: true, minStepFlops: 8 * 256 * 256 });
  assert.match(model.summary(), /Sequence threads: 2 \(LSTM \/ GRU calls with at least 524288 flops per step\)/);
  model.predict(input(1, 6, 4, 1));
  assert.is(splitCalls(model), 1, '300 units at batch 1 is split');
  model.dispose();
  const small = await loadModel(rnnSource({ units: 40, features: 4, steps: 6 }), { sequenceThreads: 2 });
  assert.is(small.info.sequenceThreads.threads, 1);
  assert.match(small.info.sequenceThreads.fallback, /no LSTM or GRU layer is large enough/);
  assert.not.match(small.summary(), /Sequence threads/, 'no line for a model with nothing to split');
  small.dispose();
  const off = await loadModel(rnnSource({ units: 300, features: 4, steps: 6 }), { sequenceThreads: 1 });
  assert.equal(off.info.sequenceThreads.fallback, 'sequenceThreads: 1');
  assert.match(off.summary(), /Sequence threads: 1 \(sequenceThreads: 1\)/);
  off.dispose();
});

test('sequenceThreads is checked', async () => {
  for (const bad of [0, 1.5, -2, '2', 1000]) {
    try {
      await loadModel(rnnSource({ units: 4, features: 2, steps: 2 }), { sequenceThreads: bad });
      assert.unreachable(`accepted ${bad}`);
    } catch (e) {
      assert.instance(e, InputError);
      assert.match(e.message, /sequenceThreads/);
    }
  }
});

/** Runs `code` (an ES module body) in a fresh Node; returns its exit status, output and time. */
function node(code, timeout = 60_000) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  return { ...r, ms: Date.now() - t0 };
}

const SOURCE_FN = `${rng.toString()}\n${rnnSource.toString()}\n${input.toString()}`;

test('workers never keep the process alive, disposed or not', () => {
  for (const dispose of [true, false]) {
    const r = node(`import { loadModel } from ${JSON.stringify(DIST)};\n${SOURCE_FN}
      const m = await loadModel(rnnSource({ units: 64, features: 3, steps: 5 }), { sequenceThreads: 2, sequenceMinStepFlops: 0 });
      m.predict(input(1, 5, 3, 1));
      if (m.memory.threads.splitCalls !== 1) throw new Error('not split');
      ${dispose ? 'm.dispose();' : ''}
      console.log('ok');`);
    assert.is(r.status, 0, `${r.stderr}${r.error ?? ''}`);
    assert.is(r.stdout.trim(), 'ok');
  }
});

test('without SharedArrayBuffer the model runs on one thread and says why', () => {
  const r = node(`delete globalThis.SharedArrayBuffer;
    const { loadModel } = await import(${JSON.stringify(DIST)});\n${SOURCE_FN}
    const m = await loadModel(rnnSource({ units: 300, features: 3, steps: 5 }), { sequenceThreads: 2 });
    const y = m.predict(input(1, 5, 3, 1));
    console.log(JSON.stringify({ info: m.info.sequenceThreads, line: m.summary().split('\\n').find((l) => l.startsWith('Sequence threads')), n: y.data.length }));`);
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.info.threads, 1);
  assert.match(out.info.fallback, /SharedArrayBuffer is not available/);
  assert.match(out.line, /^Sequence threads: 1 \(SharedArrayBuffer is not available/);
  assert.is(out.n, 300);
});

test.run();
