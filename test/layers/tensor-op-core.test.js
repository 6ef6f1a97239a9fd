// One tensor-op core (src/layers/tensor-op.ts) behind both front ends: the same data through a
// tf.keras op layer (TFOpLambda) and the equivalent Keras 3 op node gives bit-identical numbers,
// NaN, infinities and integer casts included; and the numeric rules decided once (casts as
// TensorFlow's x86 CPU kernels, NaN-propagating max / min, f64-accumulated sums) hold for both.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel } from '../../dist/index.js';
import { k2Input, k2Model } from '../support/functional-configs.js';
import { T, input, op, functional, kerasArchive } from '../support/keras3.js';

/**
 * A tf.keras save_weights() file for weightless layers `names` (empty groups, as Keras writes for
 * op layers), written with h5py; null when /usr/bin/python3 with h5py is not available.
 */
function emptyWeights(names) {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return null;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-ops-'));
  const file = path.join(dir, 'w.h5');
  const script = [
    'import h5py, sys, numpy as np',
    'f = h5py.File(sys.argv[1], "w")',
    'names = sys.argv[2:]',
    'f.attrs["layer_names"] = np.array([n.encode() for n in names])',
    'f.attrs["backend"] = b"tensorflow"',
    'f.attrs["keras_version"] = b"2.4.0"',
    'for n in names: f.create_group(n).attrs["weight_names"] = np.array([], dtype="S1")',
  ].join('\n');
  const run = spawnSync(py, ['-c', script, file, ...names], { encoding: 'utf8' });
  const bytes = run.status === 0 ? new Uint8Array(readFileSync(file)) : null;
  rmSync(dir, { recursive: true, force: true });
  return bytes;
}
const NO_WEIGHTS = emptyWeights(['x', 'y', 'o', 's']);
if (!NO_WEIGHTS) console.log('skipped: /usr/bin/python3 with h5py not found (tf.keras side of the tensor-op core tests)');
const SHAPE = [3, 4];
const B = 2;
/** Values with NaN, infinities, halves, large and out-of-int32-range numbers, zeros of both signs. */
const X = Float32Array.from([
  NaN, Infinity, -Infinity, 3e9, -3e9, 300.7, -1.5, 70000.2, 0, -0, 2.5, -2.5,
  0.1, -0.7, 1e-3, 127.9, -128.9, 255.5, 65535.9, -32768.5, 1, 2, 3, NaN,
]);
const Y = Float32Array.from({ length: X.length }, (_, i) => (i % 5) - 2 + 0.25 * (i % 3));

/** Output of a tf.keras TFOpLambda `fn` on inputs x (and y, when `kwargs` names it). */
async function viaTfKeras(fn, kwargs, withY = false) {
  const layers = [k2Input('x', SHAPE), ...(withY ? [k2Input('y', SHAPE)] : [])];
  const kw = withY ? { ...kwargs, y: ['y', 0, 0] } : kwargs;
  layers.push({ class_name: 'TFOpLambda', name: 'o', config: { name: 'o', trainable: true, dtype: 'float32', function: fn }, inbound_nodes: [['x', 0, 0, kw]] });
  const m = await loadModel({ config: k2Model(layers, withY ? ['x', 'y'] : ['x'], ['o'], '2.4.0'), weights: NO_WEIGHTS });
  const inputs = withY ? [{ data: X, shape: [B, ...SHAPE] }, { data: Y, shape: [B, ...SHAPE] }] : { data: X, shape: [B, ...SHAPE] };
  const out = m.predict(inputs);
  m.dispose();
  return out;
}

/** Output of a Keras 3 operation node `cls` (config `cfg`) on x (and y). */
async function viaKeras3(cls, cfg, withY = false, module = 'keras.src.ops.numpy') {
  const args = withY ? [T('x'), T('y')] : [T('x')];
  const inputs = [input('x', [null, ...SHAPE]), ...(withY ? [input('y', [null, ...SHAPE])] : [])];
  const config = functional([...inputs, op(cls, 'o', args, cfg, module)], [['x', 0, 0], ...(withY ? [['y', 0, 0]] : [])], [['o', 0, 0]]);
  const m = await loadModel(kerasArchive(config), { fileName: 'ops.keras' });
  const data = withY ? [{ data: X, shape: [B, ...SHAPE] }, { data: Y, shape: [B, ...SHAPE] }] : { data: X, shape: [B, ...SHAPE] };
  const out = m.predict(data);
  m.dispose();
  return out;
}

function assertIdentical(a, b, label) {
  assert.equal(a.shape, b.shape, `${label} shape`);
  const ab = new Uint32Array(Float32Array.from(a.data).buffer);
  const bb = new Uint32Array(Float32Array.from(b.data).buffer);
  for (let i = 0; i < ab.length; i++) {
    // NaN payloads may differ by path; any NaN equals any NaN, every other value bit for bit.
    if (Number.isNaN(a.data[i]) && Number.isNaN(b.data[i])) continue;
    assert.is(ab[i], bb[i], `${label}[${i}]: ${a.data[i]} vs ${b.data[i]}`);
  }
}

const PAIRS = [
  // [label, tf function, tf kwargs, keras 3 class, keras 3 config, two inputs?, keras 3 module]
  ['add', 'math.add', {}, 'Add', {}, true],
  ['subtract', 'math.subtract', {}, 'Subtract', {}, true],
  ['multiply', 'math.multiply', {}, 'Multiply', {}, true],
  ['divide', 'math.truediv', {}, 'Divide', {}, true],
  ['maximum', 'math.maximum', {}, 'Maximum', {}, true],
  ['minimum', 'math.minimum', {}, 'Minimum', {}, true],
  ['equal', 'math.equal', {}, 'Equal', {}, true],
  ['not_equal', 'math.not_equal', {}, 'NotEqual', {}, true],
  ['less', 'math.less', {}, 'Less', {}, true],
  ['greater_equal', 'math.greater_equal', {}, 'GreaterEqual', {}, true],
  ['negative', 'math.negative', {}, 'Negative', {}],
  ['tanh', 'math.tanh', {}, 'Tanh', {}, false, 'keras.src.ops.nn'],
  ['sigmoid', 'math.sigmoid', {}, 'Sigmoid', {}, false, 'keras.src.ops.nn'],
  ['softmax', 'nn.softmax', { axis: -1 }, 'Softmax', { axis: -1 }, false, 'keras.src.ops.nn'],
  ['softmax over time', 'nn.softmax', { axis: 1 }, 'Softmax', { axis: 1 }, false, 'keras.src.ops.nn'],
  ['cast int32', 'cast', { dtype: 'int32' }, 'Cast', { dtype: 'int32' }, false, 'keras.src.ops.core'],
  ['cast int8', 'cast', { dtype: 'int8' }, 'Cast', { dtype: 'int8' }, false, 'keras.src.ops.core'],
  ['cast uint8', 'cast', { dtype: 'uint8' }, 'Cast', { dtype: 'uint8' }, false, 'keras.src.ops.core'],
  ['cast int16', 'cast', { dtype: 'int16' }, 'Cast', { dtype: 'int16' }, false, 'keras.src.ops.core'],
  ['cast int64', 'cast', { dtype: 'int64' }, 'Cast', { dtype: 'int64' }, false, 'keras.src.ops.core'],
  ['cast bool', 'cast', { dtype: 'bool' }, 'Cast', { dtype: 'bool' }, false, 'keras.src.ops.core'],
  ['cast float16', 'cast', { dtype: 'float16' }, 'Cast', { dtype: 'float16' }, false, 'keras.src.ops.core'],
  ['reduce_sum', 'math.reduce_sum', { axis: 1 }, 'Sum', { axis: 1 }],
  ['reduce_mean', 'math.reduce_mean', { axis: [1, 2] }, 'Mean', { axis: [1, 2] }],
  ['reduce_max', 'math.reduce_max', { axis: -1, keepdims: true }, 'Max', { axis: -1, keepdims: true }],
  ['reduce_min', 'math.reduce_min', { axis: 2 }, 'Min', { axis: 2 }],
  ['expand_dims', 'expand_dims', { axis: -1 }, 'ExpandDims', { axis: -1 }],
  ['reshape', 'reshape', { shape: [-1, 12] }, 'Reshape', { newshape: [-1, 12] }],
];

for (const [label, fn, tfKw, cls, k3Cfg, withY = false, module] of PAIRS) {
  test(`${label}: tf.keras ${fn} and Keras 3 ${cls} give identical numbers`, async () => {
    if (!NO_WEIGHTS) return;
    const a = await viaTfKeras(fn, tfKw, withY);
    const b = await viaKeras3(cls, k3Cfg, withY, module);
    assertIdentical(a, b, label);
  });
}

/** x86's truncating conversion, as TensorFlow's CPU cast and NumPy compile it. */
function x86Int32(v) {
  return Number.isNaN(v) || v >= 2 ** 31 || v < -(2 ** 31) ? -(2 ** 31) : Math.trunc(v);
}
const wrap = (v, bits, signed) => {
  const m = 2 ** bits;
  const u = ((v % m) + m) % m;
  return signed && u >= m / 2 ? u - m : u;
};

test('casts to integer types follow the x86 conversion TensorFlow CPU kernels use (NaN, inf, overflow)', async () => {
  const rules = {
    int32: (v) => x86Int32(v),
    int8: (v) => wrap(x86Int32(v), 8, true),
    uint8: (v) => wrap(x86Int32(v), 8, false),
    int16: (v) => wrap(x86Int32(v), 16, true),
  };
  for (const [dtype, rule] of Object.entries(rules)) {
    const y = await viaKeras3('Cast', { dtype }, false, 'keras.src.ops.core');
    const want = Array.from(X, (v) => Math.fround(rule(Math.fround(v))));
    // -0 and 0 are the same integer
    assert.equal(Array.from(y.data, (v) => v + 0), want.map((v) => v + 0), dtype);
  }
});

test('max / min propagate NaN in element-wise ops and reductions of both front ends', async () => {
  if (!NO_WEIGHTS) return;
  const mx = await viaTfKeras('math.maximum', {}, true);
  assert.ok(Number.isNaN(mx.data[0]) && Number.isNaN(mx.data[23]));
  const rmax = await viaKeras3('Max', { axis: -1 }, false);
  assert.ok(Number.isNaN(rmax.data[0]), 'row with NaN');
  assert.is(rmax.data[3], Math.fround(127.9), 'row without NaN: max(0.1, -0.7, 1e-3, 127.9)');
});

test('sums accumulate in f64 and round once: 1 + 2^-24 * 8 is not lost to f32 ordering', async () => {
  if (!NO_WEIGHTS) return;
  // A float32 running sum of [1, e, e, ..., e] with e = 2^-24 stays at 1 (each e is half an ulp
  // of 1, rounded to even); the exact sum 1 + 8e rounds to 1 + 2^-21.
  const cfg = k2Model(
    [k2Input('x', [9]), { class_name: 'TFOpLambda', name: 's', config: { name: 's', function: 'math.reduce_sum' }, inbound_nodes: [['x', 0, 0, { axis: 1 }]] }],
    ['x'],
    ['s'],
    '2.4.0',
  );
  const m = await loadModel({ config: cfg, weights: NO_WEIGHTS });
  const e = 2 ** -24;
  const y = m.predict({ data: Float32Array.from([1, e, e, e, e, e, e, e, e]), shape: [1, 9] });
  assert.is(y.data[0], Math.fround(1 + 8 * e));
  m.dispose();
});

test.run();
