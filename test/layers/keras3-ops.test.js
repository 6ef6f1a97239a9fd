// Keras 3 operation nodes (keras.ops calls recorded in Functional graphs): every supported op
// against a float64 JavaScript reference written from NumPy's definitions, shapes, constants,
// broadcasting, and the refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModel, UnsupportedKerasConfigurationError, InvalidKerasConfigurationError } from '../../dist/index.js';
import { SUPPORTED_OPS } from '../../dist/layers/keras3-ops.js';
import { SUPPORTED_KERAS3_OPS } from '../../dist/keras/keras3-calls.js';
import { assertClose } from '../support/tolerance.js';
import { T, input, op, layer, functional, kerasArchive } from '../support/keras3.js';

/** Deterministic values in [-2, 2) with exact zeros and ties mixed in. */
function values(n, seed = 1) {
  let s = seed;
  return Float32Array.from({ length: n }, (_, i) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    if (i % 7 === 3) return 0;
    if (i % 11 === 5) return 1.5;
    return (s / 2147483648) * 4 - 2;
  });
}

/** Loads a one-input model whose output is `node`'s output. */
async function model(nodes, inputShape, outName, extraInputs = []) {
  const cfg = functional([input('x', [null, ...inputShape]), ...extraInputs.map(([n, s]) => input(n, [null, ...s])), ...nodes], [['x', 0, 0], ...extraInputs.map(([n]) => [n, 0, 0])], [[outName, 0, 0]]);
  return loadModel(kerasArchive(cfg), { fileName: 'ops.keras' });
}

function idx(shape, flat) {
  const out = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    out.unshift(flat % shape[i]);
    flat = Math.floor(flat / shape[i]);
  }
  return out;
}

function at(data, shape, index) {
  // broadcasting read: index is in the output's (right-aligned) coordinates
  const off = index.length - shape.length;
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i] + (shape[i] === 1 ? 0 : index[i + off]);
  return data[flat];
}

function broadcastRef(a, as, b, bs, f) {
  const rank = Math.max(as.length, bs.length);
  const out = [];
  for (let i = 0; i < rank; i++) {
    const x = as[as.length - rank + i] ?? 1;
    const y = bs[bs.length - rank + i] ?? 1;
    out.push(Math.max(x, y));
  }
  const n = out.reduce((p, q) => p * q, 1);
  return { shape: out, data: Float64Array.from({ length: n }, (_, i) => f(at(a, as, idx(out, i)), at(b, bs, idx(out, i)))) };
}

const B = 2;
const BIN = {
  Add: (a, b) => a + b,
  Subtract: (a, b) => a - b,
  Multiply: (a, b) => a * b,
  Divide: (a, b) => a / b,
  TrueDivide: (a, b) => a / b,
  Maximum: (a, b) => Math.max(a, b),
  Minimum: (a, b) => Math.min(a, b),
  Power: (a, b) => Math.pow(Math.abs(a), b),
  Equal: (a, b) => +(a === b),
  NotEqual: (a, b) => +(a !== b),
  Greater: (a, b) => +(a > b),
  GreaterEqual: (a, b) => +(a >= b),
  Less: (a, b) => +(a < b),
  LessEqual: (a, b) => +(a <= b),
  LogicalAnd: (a, b) => +(a !== 0 && b !== 0),
  LogicalOr: (a, b) => +(a !== 0 || b !== 0),
  LogicalXor: (a, b) => +((a !== 0) !== (b !== 0)),
};

for (const [cls, f] of Object.entries(BIN)) {
  test(`binary op ${cls}: (B, 3, 4) with (B, 3, 1) broadcasting, and with a constant`, async () => {
    const x = values(B * 12, 3);
    const y = values(B * 3, 5);
    if (cls === 'Power') x.forEach((v, i) => (x[i] = Math.abs(v)));
    if (cls.startsWith('Divide') || cls === 'TrueDivide') y.forEach((v, i) => (y[i] = v === 0 ? 0.5 : v));
    const nodes = [op(cls, 'o', [T('x'), T('y')]), op(cls, 'c', [T('x'), 1.5])];
    const m = await model(nodes, [3, 4], 'o', [['y', [3, 1]]]);
    assert.equal(m.layers.find((l) => l.name === 'o').outputShape, [null, 3, 4]);
    assert.is(m.layers.find((l) => l.name === 'o').className, `keras.ops.${cls}`);
    const got = m.predict([{ data: x, shape: [B, 3, 4] }, { data: y, shape: [B, 3, 1] }], { outputs: ['o', 'c'] });
    const ref = broadcastRef(x, [B, 3, 4], y, [B, 3, 1], f);
    assert.equal(got[0].shape, ref.shape);
    assertClose(got[0].data, ref.data, cls);
    const refC = broadcastRef(x, [B, 3, 4], [1.5], [], f);
    assertClose(got[1].data, refC.data, `${cls} with a constant`);
    m.dispose();
  });
}

test('Where: condition from a comparison, scalar fill value; broadcasting (B, 3, 1) operands against a (B, 1, 4) one', async () => {
  const x = values(B * 3, 7);
  const y = values(B * 4, 9);
  const nodes = [
    op('Greater', 'gt', [T('x'), 0]),
    op('Where', 'w', [T('gt'), T('x'), -1e9]),
    op('ExpandDims', 'ge', [T('gt')], { axis: -1 }),
    op('ExpandDims', 'xe', [T('x')], { axis: -1 }),
    op('Where', 'w2', [T('ge'), T('xe'), T('y')]),
  ];
  const m = await model(nodes, [3], 'w', [['y', [1, 4]]]);
  assert.equal(m.layers.find((l) => l.name === 'w2').outputShape, [null, 3, 4]);
  const [w, w2] = m.predict([{ data: x, shape: [B, 3] }, { data: y, shape: [B, 1, 4] }], { outputs: ['w', 'w2'] });
  assertClose(w.data, Array.from(x, (v) => (v > 0 ? v : -1e9)), 'where');
  assert.equal(w2.shape, [B, 3, 4]);
  const ref = [];
  for (let b = 0; b < B; b++) for (let t = 0; t < 3; t++) for (let k = 0; k < 4; k++) ref.push(x[b * 3 + t] > 0 ? x[b * 3 + t] : y[b * 4 + k]);
  assertClose(w2.data, ref, 'where broadcast');
  m.dispose();
});

test('where(condition) alone (the indices form) is refused', async () => {
  try {
    await model([op('Where', 'w', [T('x'), null, null])], [3], 'w');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsupportedKerasConfigurationError);
    assert.match(e.message, /indices form/);
  }
});

const UN = {
  LogicalNot: (v) => +(v === 0),
  Negative: (v) => -v,
  Absolute: (v) => Math.abs(v),
  Abs: (v) => Math.abs(v),
  Sqrt: (v) => Math.sqrt(Math.abs(v)),
  Square: (v) => v * v,
  Round: (v) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v)),
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sign: Math.sign,
};

for (const [cls, f] of Object.entries(UN)) {
  test(`unary op ${cls}`, async () => {
    const x = values(B * 6, 11);
    if (cls === 'Sqrt') x.forEach((v, i) => (x[i] = Math.abs(v)));
    if (cls === 'Round') [0.5, 1.5, 2.5, -0.5, -2.5].forEach((v, i) => (x[i] = v));
    const m = await model([op(cls, 'u', [T('x')])], [6], 'u');
    const y = m.predict({ data: x, shape: [B, 6] });
    assertClose(y.data, Array.from(x, f), cls);
    m.dispose();
  });
}

test('Cast: to float is the identity, to an integer type truncates toward zero, to bool tests != 0', async () => {
  const x = Float32Array.from([-1.7, -0.2, 0, 0.9, 2.5, -3]);
  const nodes = [
    op('Cast', 'f', [T('x')], { dtype: 'float32' }, 'keras.src.ops.core'),
    op('Cast', 'i', [T('x')], { dtype: 'int32' }, 'keras.src.ops.core'),
    op('Cast', 'b', [T('x')], { dtype: 'bool' }, 'keras.src.ops.core'),
  ];
  const m = await model(nodes, [3], 'f');
  const [f, i, b] = m.predict({ data: x, shape: [2, 3] }, { outputs: ['f', 'i', 'b'] });
  assert.equal(Array.from(f.data), Array.from(x));
  assert.equal(Array.from(i.data), [-1, -0, 0, 0, 2, -3]);
  assert.equal(Array.from(b.data), [1, 1, 0, 1, 1, 1]);
  m.dispose();
  try {
    await model([op('Cast', 'c', [T('x')], { dtype: 'complex64' }, 'keras.src.ops.core')], [3], 'c');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsupportedKerasConfigurationError);
    assert.match(e.message, /complex64/);
  }
});

function reduceRef(x, shape, axes, f, init) {
  const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const n = keep.reduce((a, b) => a * b, 1);
  const acc = Array.from({ length: n }, () => ({ v: init, count: 0 }));
  for (let flat = 0; flat < x.length; flat++) {
    const ix = idx(shape, flat).map((v, i) => (axes.includes(i) ? 0 : v));
    let o = 0;
    for (let i = 0; i < keep.length; i++) o = o * keep[i] + ix[i];
    acc[o].v = f(acc[o].v, x[flat]);
    acc[o].count++;
  }
  return { keep, acc };
}

const RED = {
  Sum: [(a, b) => a + b, 0, (r) => r.v],
  Mean: [(a, b) => a + b, 0, (r) => r.v / r.count],
  Max: [Math.max, -Infinity, (r) => r.v],
  Min: [Math.min, Infinity, (r) => r.v],
  Any: [(a, b) => +(a || b !== 0), 0, (r) => r.v],
  All: [(a, b) => +(a && b !== 0), 1, (r) => r.v],
  Prod: [(a, b) => a * b, 1, (r) => r.v],
};

for (const [cls, [f, init, fin]] of Object.entries(RED)) {
  test(`reduction ${cls}: axis int, list, None; keepdims`, async () => {
    const x = values(B * 3 * 4, 13);
    const cases = [
      ['a1', 1, false],
      ['a2', -1, true],
      ['a12', [1, 2], false],
      ['all', null, false],
    ];
    const nodes = cases.map(([name, axis, keepdims]) => op(cls, name, [T('x')], { axis, keepdims }));
    const m = await model(nodes, [3, 4], 'a1');
    const got = m.predict({ data: x, shape: [B, 3, 4] }, { outputs: cases.map((c) => c[0]) });
    cases.forEach(([name, axis, keepdims], k) => {
      const axes = axis === null ? [0, 1, 2] : (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + 3 : a));
      const { keep, acc } = reduceRef(x, [B, 3, 4], axes, f, init);
      const shape = keepdims ? keep : keep.filter((_, i) => !axes.includes(i));
      assert.equal(got[k].shape, shape, `${cls} ${name} shape`);
      assertClose(got[k].data, acc.map(fin), `${cls} ${name}`);
    });
    const l = m.layers.find((x) => x.name === 'a2');
    assert.equal(l.outputShape, [null, 3, 1]);
    m.dispose();
  });
}

test('activation ops: Relu, Sigmoid, Tanh, Softmax (last axis), LeakyRelu(negative_slope), Exp', async () => {
  const x = values(B * 5, 17);
  const nodes = [
    op('Relu', 'relu', [T('x')], {}, 'keras.src.ops.nn'),
    op('Sigmoid', 'sig', [T('x')], {}, 'keras.src.ops.nn'),
    op('Tanh', 'tanh', [T('x')]),
    op('Softmax', 'sm', [T('x')], { axis: -1 }, 'keras.src.ops.nn'),
    op('LeakyRelu', 'lr', [T('x')], { negative_slope: 0.1 }, 'keras.src.ops.nn'),
    op('Exp', 'exp', [T('x')]),
  ];
  const m = await model(nodes, [5], 'relu');
  const [relu, sig, tanh, sm, lr, exp] = m.predict({ data: x, shape: [B, 5] }, { outputs: ['relu', 'sig', 'tanh', 'sm', 'lr', 'exp'] });
  assertClose(relu.data, Array.from(x, (v) => Math.max(v, 0)), 'relu');
  assertClose(sig.data, Array.from(x, (v) => 1 / (1 + Math.exp(-v))), 'sigmoid');
  assertClose(tanh.data, Array.from(x, Math.tanh), 'tanh');
  assertClose(lr.data, Array.from(x, (v) => (v > 0 ? v : 0.1 * v)), 'leaky relu');
  assertClose(exp.data, Array.from(x, Math.exp), 'exp');
  const ref = [];
  for (let b = 0; b < B; b++) {
    const row = Array.from(x.subarray(b * 5, b * 5 + 5));
    const mx = Math.max(...row);
    const e = row.map((v) => Math.exp(v - mx));
    const s = e.reduce((p, q) => p + q, 0);
    ref.push(...e.map((v) => v / s));
  }
  assertClose(sm.data, ref, 'softmax');
  m.dispose();
});

test('shape ops: ExpandDims, Squeeze (axis and None), Reshape with -1; data shared, shapes right', async () => {
  const x = values(B * 6, 19);
  const nodes = [
    op('ExpandDims', 'e', [T('x')], { axis: -1 }),
    op('ExpandDims', 'e1', [T('x')], { axis: 1 }),
    op('Squeeze', 's', [T('e')], { axis: -1 }),
    op('Squeeze', 'sa', [T('e1')], { axis: null }),
    op('Reshape', 'r', [T('x')], { newshape: [-1, 3, 2] }),
  ];
  const m = await model(nodes, [6], 'e');
  const shapes = Object.fromEntries(m.layers.map((l) => [l.name, l.outputShape]));
  assert.equal(shapes.e, [null, 6, 1]);
  assert.equal(shapes.e1, [null, 1, 6]);
  assert.equal(shapes.s, [null, 6]);
  assert.equal(shapes.sa, [null, 6]);
  assert.equal(shapes.r, [null, 3, 2]);
  const got = m.predict({ data: x, shape: [B, 6] }, { outputs: ['e', 'e1', 's', 'sa', 'r'] });
  assert.equal(got.map((t) => t.shape), [[B, 6, 1], [B, 1, 6], [B, 6], [B, 6], [B, 3, 2]]);
  for (const t of got) assert.equal(Array.from(t.data), Array.from(x));
  m.dispose();
});

test('squeezing an axis that is not 1 is an invalid configuration', async () => {
  try {
    await model([op('Squeeze', 's', [T('x')], { axis: 1 })], [6], 's');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InvalidKerasConfigurationError);
    assert.match(e.message, /squeeze axis 1/);
  }
});

test('an unsupported operation is refused by name, listing the supported ones', async () => {
  try {
    await model([op('GetItem', 'get_item', [T('x'), { class_name: '__tuple__', config: { value: [] } }], {}, 'keras.src.ops.core')], [6], 'get_item');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsupportedKerasConfigurationError);
    assert.match(e.message, /Keras 3 operation GetItem/);
    assert.match(e.message, /keras\.ops\.get_item/);
    assert.match(e.message, /NotEqual/);
    assert.is(e.context.layer, 'get_item');
  }
});

test('every operation keras3-calls accepts has an importer, and no importer is unreachable', () => {
  assert.equal([...SUPPORTED_OPS].sort(), [...SUPPORTED_KERAS3_OPS].sort());
});

test('operation vs layer of the same class name: an op Add (no module, no trainable) and an Add merge layer in one graph', async () => {
  const x = values(B * 4, 23);
  const nodes = [
    { class_name: 'Add', config: { name: 'add_op' }, name: 'add_op', inbound_nodes: [{ args: [T('x'), 2], kwargs: {} }] },
    { class_name: 'Add', config: { name: 'add_layer', trainable: true, dtype: 'float32' }, name: 'add_layer', inbound_nodes: [{ args: [[T('x'), T('add_op')]], kwargs: {} }] },
    { class_name: 'NotEqual', config: { name: 'ne' }, name: 'ne', inbound_nodes: [{ args: [T('x'), 0], kwargs: {} }] },
  ];
  const m = await model(nodes, [4], 'add_layer');
  assert.is(m.layers.find((l) => l.name === 'add_op').className, 'keras.ops.Add');
  assert.is(m.layers.find((l) => l.name === 'add_layer').className, 'Add');
  assert.is(m.layers.find((l) => l.name === 'ne').className, 'keras.ops.NotEqual');
  const y = m.predict({ data: x, shape: [B, 4] });
  assertClose(y.data, Array.from(x, (v) => 2 * v + 2), 'x + (x + 2)');
  m.dispose();
});

test('a mask= tensor becomes the mask of the call input (SetMask); with initial_state it is refused', async () => {
  const cfg = (kwargs) =>
    functional(
      [
        input('x', [null, 4, 2]),
        input('h', [null, 3]),
        op('NotEqual', 'ne', [T('x'), 0]),
        op('Any', 'any', [T('ne')], { axis: -1, keepdims: false }),
        layer('SimpleRNN', 'rnn', { units: 3, return_sequences: true, activation: 'tanh', use_bias: false }, [T('x')], kwargs),
      ],
      [['x', 0, 0], ['h', 0, 0]],
      [['rnn', 0, 0]],
    );
  const m = await loadModel({ config: cfg({ training: false, mask: T('any') }) }, { fileName: 'mask.json' });
  // The SetMask node runs but is kerasrnn's own plumbing: not listed as a layer, and the summary's
  // "Connected to" names the tensor it masks.
  assert.ok(!m.layers.some((l) => l.className === 'kerasrnn.SetMask' || l.name === 'rnn/mask'));
  assert.equal(m.layers.find((l) => l.name === 'rnn').inbound, [['x[0][0]']]);
  assert.not.match(m.summary(), /SetMask|rnn\/mask/);
  try {
    await loadModel({ config: cfg({ initial_state: [T('h')], training: false, mask: T('any') }) }, { fileName: 'mask.json' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsupportedKerasConfigurationError);
    assert.match(e.message, /mask= tensor together with initial_state/);
    assert.is(e.context.layer, 'rnn');
  }
});

test('details.perStep: true only for ops that treat every time step on its own', async () => {
  const nodes = [
    op('NotEqual', 'ne', [T('x'), 0]),
    op('Sum', 'sum_t', [T('x')], { axis: 1, keepdims: false }),
    op('Sum', 'sum_f', [T('x')], { axis: -1, keepdims: false }),
    op('Softmax', 'sm', [T('x')], { axis: -1 }, 'keras.src.ops.nn'),
    op('Softmax', 'sm_t', [T('sum_f')], { axis: -1 }, 'keras.src.ops.nn'),
    op('ExpandDims', 'e2', [T('x')], { axis: -1 }),
    op('ExpandDims', 'e0', [T('x')], { axis: 0 }),
    op('Reshape', 'r', [T('x')], { newshape: [-1, 12] }),
    op('Multiply', 'mv', [T('x'), T('v')]),
    op('Multiply', 'mb', [T('x'), T('b')]),
  ];
  const m = await model(nodes, [3, 4], 'ne', [['v', [4]], ['b', [3, 1]]]);
  const per = Object.fromEntries(m.layers.filter((l) => l.className.startsWith('keras.ops.')).map((l) => [l.name, l.details.perStep]));
  assert.equal(per, { ne: true, sum_t: false, sum_f: true, sm: true, sm_t: false, e2: true, e0: false, r: false, mv: false, mb: true });
  m.dispose();
});

test.run();
