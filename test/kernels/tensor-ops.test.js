// stridedCopy4 (assembly/strided-copy-4d.ts), reductions (reduce-axis-f32.ts), division and
// comparisons (broadcast-binary-f32.ts) and casts (unary-math-f32.ts) against plain JavaScript
// index arithmetic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels, rng, assertClose } from './harness.js';

const K = loadKernels();
const code = (name) => K.k[name].value;
const reduceAxis = (src, outer, len, inner, dst, op) => K.k.reduceAxisF32(src, outer, len, inner, dst, op);
const divF32 = (a, b, out, n) => K.k.binaryF32(a, b, out, n, code('BIN_DIV'));
const COMPARISONS = ['BIN_EQ', 'BIN_NE', 'BIN_LT', 'BIN_LE', 'BIN_GT', 'BIN_GE'];
const compareF32 = (a, b, out, n, op) => K.k.binaryF32(a, b, out, n, code(COMPARISONS[op]));

test('stridedCopy4: slice with steps, transpose, broadcast (stride 0)', () => {
  K.reset();
  const [A, Bd, C] = [2, 5, 3];
  const x = Float32Array.from({ length: A * Bd * C }, (_, i) => i);
  const p = K.putF32(x);
  // x[:, 1:5:2, ::-... ] -> dims (2, 2, 3), strides (15, 6, 1), offset 3
  let out = K.alloc(12 * 4);
  K.k.stridedCopy4(p + 3 * 4, out, 1, A, 2, C, 0, Bd * C, 2 * C, 1);
  const want = [];
  for (let a = 0; a < A; a++) for (let b = 1; b < 5; b += 2) for (let c = 0; c < C; c++) want.push(x[a * 15 + b * 3 + c]);
  assert.equal(Array.from(K.getF32(out, 12)), want);
  // transpose (A, B, C) -> (A, C, B)
  out = K.alloc(30 * 4);
  K.k.stridedCopy4(p, out, 1, A, C, Bd, 0, Bd * C, 1, C);
  const t = [];
  for (let a = 0; a < A; a++) for (let c = 0; c < C; c++) for (let b = 0; b < Bd; b++) t.push(x[a * 15 + b * 3 + c]);
  assert.equal(Array.from(K.getF32(out, 30)), t);
  // broadcast a row of 3 over (2, 4, 3)
  out = K.alloc(24 * 4);
  K.k.stridedCopy4(p, out, 1, 2, 4, 3, 0, 0, 0, 1);
  assert.equal(Array.from(K.getF32(out, 24)), Array.from({ length: 24 }, (_, i) => i % 3));
});

test('reduceAxis: sum, mean, max, min over the middle axis (vector body and tail)', () => {
  for (const inner of [1, 3, 4, 9]) {
    K.reset();
    const outer = 2, len = 5;
    const x = rng(inner).array(outer * len * inner, -3, 3);
    const p = K.putF32(x);
    for (let op = 0; op < 4; op++) {
      const out = K.alloc(outer * inner * 4);
      reduceAxis(p, outer, len, inner, out, op);
      const want = [];
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const v = Array.from({ length: len }, (_, a) => x[(o * len + a) * inner + i]);
          want.push(op === 0 ? v.reduce((s, c) => s + c) : op === 1 ? v.reduce((s, c) => s + c) / len : op === 2 ? Math.max(...v) : Math.min(...v));
        }
      }
      assertClose(K.getF32(out, outer * inner), want, { label: `op ${op} inner ${inner}` });
    }
  }
});

test('divF32, compareF32 (all six comparisons, NaN), casts to int32 and bool', () => {
  K.reset();
  const a = Float32Array.from([1, 2, 3, NaN, -1, 0, 5, 2.5, -2.5]);
  const b = Float32Array.from([1, 3, 2, NaN, -1, 1, 4, 1, 1]);
  const pa = K.putF32(a);
  const pb = K.putF32(b);
  const out = K.alloc(a.length * 4);
  divF32(pa, pb, out, a.length);
  assert.equal(Array.from(K.getF32(out, a.length)), Array.from(a, (x, i) => Math.fround(x / b[i])));
  const ops = [(x, y) => x === y, (x, y) => x !== y, (x, y) => x < y, (x, y) => x <= y, (x, y) => x > y, (x, y) => x >= y];
  ops.forEach((f, op) => {
    compareF32(pa, pb, out, a.length, op);
    assert.equal(Array.from(K.getF32(out, a.length)), Array.from(a, (x, i) => (f(x, b[i]) ? 1 : 0)), `op ${op}`);
  });
  const c = K.putF32(a);
  K.k.castToIntegerF32(c, c, a.length, code('INT32'));
  // Truncation toward zero; NaN becomes INT32_MIN, as TensorFlow's x86 CPU cast and NumPy give
  // (this assertion was Math.trunc(NaN) = NaN before the tensor-op core decided the rule once).
  assert.equal(Array.from(K.getF32(c, a.length)), Array.from(a, (x) => (Number.isNaN(x) ? -2147483648 : Math.trunc(x))));
  const d = K.putF32(a);
  K.k.unaryMathF32(d, d, a.length, code('UN_BOOL'));
  assert.equal(Array.from(K.getF32(d, a.length)), Array.from(a, (x) => (x !== 0 ? 1 : 0)));
});

test.run();
