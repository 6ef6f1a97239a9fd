import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels, rng, assertClose } from './harness.js';

const K = loadKernels();
// The element-wise arithmetic kernels are one binaryF32 with an op code (assembly/broadcast-binary-f32.ts).
const binary = (code) => (a, b, out, n) => K.k.binaryF32(a, b, out, n, K.k[code].value);
const ops = { addF32: binary('BIN_ADD'), mulF32: binary('BIN_MUL'), subF32: binary('BIN_SUB'), maxF32: binary('BIN_MAX'), minF32: binary('BIN_MIN') };

test('addF32 / mulF32 for lengths 0..11 (tail) and in-place aliasing', () => {
  for (let n = 0; n < 12; n++) {
    K.reset();
    const r = rng(n + 1);
    const a = r.array(n);
    const b = r.array(n);
    const pa = K.putF32(a, 4);
    const pb = K.putF32(b, 4);
    const out = K.putF32(new Float32Array(n + 4).fill(9));
    ops.addF32(pa, pb, out, n);
    const got = K.getF32(out, n + 4);
    assert.equal(Array.from(got.subarray(0, n)), Array.from(a, (x, i) => Math.fround(x + b[i])));
    assert.equal(Array.from(got.subarray(n)), [9, 9, 9, 9]);
    ops.mulF32(pa, pb, pa, n);
    assert.equal(Array.from(K.getF32(pa, n)), Array.from(a, (x, i) => Math.fround(x * b[i])));
  }
});

test('subF32 / maxF32 / minF32 for lengths 0..11, NaN propagation', () => {
  for (let n = 0; n < 12; n++) {
    K.reset();
    const r = rng(50 + n);
    const a = r.array(n);
    const b = r.array(n);
    if (n > 5) { a[2] = NaN; b[5] = NaN; }
    const pa = K.putF32(a, 4);
    const pb = K.putF32(b, 4);
    for (const [fn, op] of [['subF32', (x, y) => Math.fround(x - y)], ['maxF32', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y))], ['minF32', (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y))]]) {
      const out = K.putF32(new Float32Array(n + 4).fill(9));
      ops[fn](pa, pb, out, n);
      const got = K.getF32(out, n + 4);
      assert.equal(Array.from(got.subarray(0, n)), Array.from(a, (x, i) => op(x, b[i])), `${fn} n=${n}`);
      assert.equal(Array.from(got.subarray(n)), [9, 9, 9, 9], `${fn} sentinel`);
    }
  }
});

test('maskAnd combines u8 masks for any length', () => {
  for (const n of [0, 1, 15, 16, 17, 40]) {
    K.reset();
    const r = rng(n + 7);
    const a = Uint8Array.from({ length: n }, () => (r.next() < 0.5 ? 1 : 0));
    const b = Uint8Array.from({ length: n }, () => (r.next() < 0.5 ? 1 : 0));
    const out = K.putU8(new Uint8Array(n + 4).fill(7));
    K.k.maskAnd(K.putU8(a), K.putU8(b), out, n);
    const got = K.getU8(out, n + 4);
    assert.equal(Array.from(got.subarray(0, n)), Array.from(a, (x, i) => x & b[i]));
    assert.equal(Array.from(got.subarray(n)), [7, 7, 7, 7]);
  }
});

test('scaleF32, fillF32, copyF32', () => {
  K.reset();
  const a = rng(3).array(11);
  const p = K.putF32(a, 1);
  K.k.scaleF32(p, 11, 0.5);
  assert.equal(Array.from(K.getF32(p, 11)), Array.from(a, (x) => Math.fround(x * 0.5)));
  K.k.fillF32(p, 10, 3.25);
  assert.equal(Array.from(K.getF32(p, 11)), [...new Array(10).fill(3.25), Math.fround(a[10] * 0.5)]);
  const q = K.alloc(44);
  K.k.copyF32(p, q, 11);
  assert.equal(Array.from(K.getF32(q, 11)), Array.from(K.getF32(p, 11)));
});

test('repeatRows implements RepeatVector', () => {
  K.reset();
  const src = Float32Array.from([1, 2, 3, 4, 5, 6]); // 2 rows x 3
  const p = K.putF32(src);
  const d = K.alloc(2 * 4 * 3 * 4);
  K.k.repeatRows(p, 2, 3, 4, d);
  const want = [];
  for (let r = 0; r < 2; r++) for (let t = 0; t < 4; t++) want.push(...src.subarray(r * 3, r * 3 + 3));
  assert.equal(Array.from(K.getF32(d, 24)), want);
});

test('reverseSequence reverses the time axis per batch row', () => {
  K.reset();
  const B = 2, T = 3, F = 2;
  const src = Float32Array.from({ length: B * T * F }, (_, i) => i);
  const d = K.alloc(src.length * 4);
  K.k.reverseSequence(K.putF32(src), B, T, F, d);
  assert.equal(Array.from(K.getF32(d, src.length)), [4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7]);
});

test('concatRows joins rows of two matrices', () => {
  K.reset();
  const a = Float32Array.from([1, 2, 3, 4]); // 2 x 2
  const b = Float32Array.from([5, 6, 7, 8, 9, 10]); // 2 x 3
  const o = K.alloc(40);
  K.k.concatRows(K.putF32(a), 2, K.putF32(b), 3, 2, o);
  assert.equal(Array.from(K.getF32(o, 10)), [1, 2, 5, 6, 7, 3, 4, 8, 9, 10]);
});

test('softmaxRows and logSoftmaxRows match the reference (odd widths, large magnitudes)', () => {
  for (const [rows, cols] of [[1, 1], [2, 3], [3, 4], [4, 7], [2, 33], [5, 100]]) {
    K.reset();
    const r = rng(rows * 1000 + cols);
    const x = Float32Array.from({ length: rows * cols }, () => r.uniform(-50, 50) + (r.next() < 0.1 ? 500 : 0));
    const want = [];
    const wantLog = [];
    for (let i = 0; i < rows; i++) {
      const row = Array.from(x.subarray(i * cols, (i + 1) * cols));
      const m = Math.max(...row);
      const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
      for (const v of row) { want.push(Math.exp(v - m) / s); wantLog.push(v - m - Math.log(s)); }
    }
    const p = K.putF32(x, 4);
    K.k.softmaxRows(p, rows, cols);
    const got = K.getF32(p, rows * cols + 4);
    assertClose(got.subarray(0, rows * cols), want, { abs: 1e-6, rel: 1e-5, label: `softmax ${rows}x${cols}` });
    assert.equal(Array.from(got.subarray(rows * cols)), [0, 0, 0, 0]);
    const q = K.putF32(x);
    K.k.logSoftmaxRows(q, rows, cols);
    assertClose(K.getF32(q, rows * cols), wantLog, { abs: 1e-5, rel: 1e-5, label: `log_softmax ${rows}x${cols}` });
  }
});

test('softmaxStrided over a middle axis', () => {
  for (const [outer, axis, inner] of [[1, 3, 1], [2, 4, 3], [3, 5, 8], [2, 7, 9], [1, 1, 5]]) {
    K.reset();
    const r = rng(outer * 100 + axis * 10 + inner);
    const x = r.array(outer * axis * inner, -20, 20);
    const want = new Float64Array(x.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const idx = (a) => (o * axis + a) * inner + i;
        let m = -Infinity;
        for (let a = 0; a < axis; a++) m = Math.max(m, x[idx(a)]);
        let s = 0;
        for (let a = 0; a < axis; a++) s += Math.exp(x[idx(a)] - m);
        for (let a = 0; a < axis; a++) want[idx(a)] = Math.exp(x[idx(a)] - m) / s;
      }
    }
    const p = K.putF32(x);
    K.k.softmaxStrided(p, outer, axis, inner);
    assertClose(K.getF32(p, x.length), want, { abs: 1e-6, rel: 1e-5, label: `strided ${outer}x${axis}x${inner}` });
  }
});

test('simdPeak runs and returns a finite value that depends on the iterations', () => {
  const a = K.k.simdPeak(10);
  const b = K.k.simdPeak(20);
  assert.ok(Number.isFinite(a) && Number.isFinite(b));
  assert.ok(b > a, `${b} > ${a}`);
});

test.run();
