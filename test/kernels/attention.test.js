// batchMatMul, additiveScores, maskedSoftmax (assembly/attention.ts) and the row/mask helpers of
// assembly/masked-rows.ts against float64 JavaScript references written from Keras' formulas.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADDITIVE_SCORES_PARAMS, BATCH_MAT_MUL_PARAMS, MASKED_SOFTMAX_PARAMS } from '../../dist/wasm/kernel-exports.js';
import { loadKernels, rng, assertClose } from './harness.js';

const K = loadKernels();

function refMatMul(A, B, batch, M, Kd, N, transB) {
  const out = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < Kd; k++) {
          const b = transB ? B[p * N * Kd + n * Kd + k] : B[p * Kd * N + k * N + n];
          s += A[p * M * Kd + m * Kd + k] * b;
        }
        out[p * M * N + m * N + n] = s;
      }
    }
  }
  return out;
}

test('batchMatMul: A*B and A*B^T for odd sizes (SIMD bodies and scalar tails)', () => {
  for (const [batch, M, Kd, N] of [[1, 1, 1, 1], [2, 3, 5, 7], [3, 4, 8, 4], [2, 6, 13, 9], [1, 17, 3, 19]]) {
    for (const transB of [0, 1]) {
      K.reset();
      const r = rng(batch * 100 + M * 10 + Kd + N + transB);
      const A = r.array(batch * M * Kd);
      const B = r.array(batch * Kd * N);
      const pa = K.putF32(A);
      const pb = K.putF32(B);
      const pc = K.alloc(batch * M * N * 4 + 16);
      K.k.batchMatMul(K.params(BATCH_MAT_MUL_PARAMS, {
        a: pa, lda: Kd, aBatch: M * Kd, b: pb, ldb: transB ? Kd : N, bBatch: Kd * N, c: pc, ldc: N, cBatch: M * N, batch, M, K: Kd, N, transB,
      }));
      assertClose(K.getF32(pc, batch * M * N), refMatMul(A, B, batch, M, Kd, N, transB), { label: `${batch}x${M}x${Kd}x${N} t${transB}` });
    }
  }
});

test('batchMatMul reads strided operands in place (per-head slices of [T][H][d])', () => {
  K.reset();
  const T = 5, H = 3, d = 6, S = 4;
  const r = rng(7);
  const Q = r.array(T * H * d);
  const Kt = r.array(S * H * d);
  const pq = K.putF32(Q);
  const pk = K.putF32(Kt);
  const pc = K.alloc(H * T * S * 4);
  // batch over heads: A_h row t at t*H*d + h*d
  K.k.batchMatMul(K.params(BATCH_MAT_MUL_PARAMS, { a: pq, lda: H * d, aBatch: d, b: pk, ldb: H * d, bBatch: d, c: pc, ldc: S, cBatch: T * S, batch: H, M: T, K: d, N: S, transB: 1 }));
  const got = K.getF32(pc, H * T * S);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < S; s++) {
        let want = 0;
        for (let i = 0; i < d; i++) want += Q[t * H * d + h * d + i] * Kt[s * H * d + h * d + i];
        const g = got[h * T * S + t * S + s];
        assert.ok(Math.abs(g - want) <= 1e-5 + 1e-4 * Math.abs(want), `h${h} t${t} s${s}: ${g} vs ${want}`);
      }
    }
  }
});

test('additiveScores: Bahdanau (vector scale) and concat mode (scalar scales)', () => {
  const batch = 2, Tq = 3, Tv = 5, D = 7;
  const r = rng(11);
  const q = r.array(batch * Tq * D, -2, 2);
  const k = r.array(batch * Tv * D, -2, 2);
  const w = r.array(D);
  for (const [inScale, useW, outScale] of [[1, true, 1], [1, false, 1], [0.7, false, 1.3]]) {
    K.reset();
    const out = K.alloc(batch * Tq * Tv * 4);
    K.k.additiveScores(K.params(ADDITIVE_SCORES_PARAMS, {
      q: K.putF32(q), k: K.putF32(k), batch, queries: Tq, keys: Tv, dim: D, inScale, w: useW ? K.putF32(w) : 0, outScale, out,
    }));
    const want = new Float64Array(batch * Tq * Tv);
    for (let p = 0; p < batch; p++) {
      for (let i = 0; i < Tq; i++) {
        for (let j = 0; j < Tv; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += (useW ? w[d] : 1) * Math.tanh(inScale * (q[(p * Tq + i) * D + d] + k[(p * Tv + j) * D + d]));
          want[(p * Tq + i) * Tv + j] = outScale * s;
        }
      }
    }
    assertClose(K.getF32(out, want.length), want, { label: `inScale ${inScale} w ${useW}` });
  }
});

function refMaskedSoftmax(scores, batch, heads, rows, cols, { qmask, vmask, kmask, causal, zero }) {
  const out = new Float64Array(scores.length);
  for (let p = 0; p < batch * heads; p++) {
    const b = Math.floor(p / heads);
    for (let i = 0; i < rows; i++) {
      const masked = [];
      const row = [];
      for (let j = 0; j < cols; j++) {
        const m = (qmask && !qmask[b * rows + i]) || (causal && j > i) || (vmask && !vmask[b * cols + j]) || (kmask && !kmask[b * cols + j]);
        masked.push(m);
        // Keras subtracts 1e9 in float32: the masked scores round to multiples of 64.
        row.push(m ? Math.fround(Math.fround(scores[(p * rows + i) * cols + j]) - 1e9) : scores[(p * rows + i) * cols + j]);
      }
      const mx = Math.max(...row);
      const e = row.map((x) => Math.exp(x - mx));
      const s = e.reduce((a, c) => a + c, 0);
      for (let j = 0; j < cols; j++) out[(p * rows + i) * cols + j] = zero && masked[j] ? 0 : e[j] / s;
    }
  }
  return out;
}

test('maskedSoftmax: value / key / query masks, causal, fully masked rows, zeroMasked', () => {
  const batch = 2, heads = 2, rows = 4, cols = 5;
  const r = rng(5);
  const scores = r.array(batch * heads * rows * cols, -3, 3);
  const vmask = Uint8Array.from([1, 1, 0, 1, 0, 0, 0, 0, 0, 0]); // batch 1: everything masked
  const kmask = Uint8Array.from([1, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  const qmask = Uint8Array.from([1, 1, 0, 1, 1, 1, 1, 1]);
  const cases = [
    {},
    { vmask },
    { vmask, causal: 1 },
    { causal: 1 },
    { qmask, vmask, kmask },
    { qmask, vmask, kmask, causal: 1, zero: 1 },
  ];
  for (const c of cases) {
    K.reset();
    const p = K.putF32(scores);
    K.k.maskedSoftmax(K.params(MASKED_SOFTMAX_PARAMS, {
      scores: p, batch, heads, rows, cols,
      queryMask: c.qmask ? K.putU8(c.qmask) : 0, valueMask: c.vmask ? K.putU8(c.vmask) : 0, keyMask: c.kmask ? K.putU8(c.kmask) : 0,
      causal: c.causal ?? 0, zeroMasked: c.zero ?? 0,
    }));
    const want = refMaskedSoftmax(scores, batch, heads, rows, cols, c);
    assertClose(K.getF32(p, scores.length), want, { label: JSON.stringify(Object.keys(c)) + (c.causal ? ' causal' : '') });
  }
  // A fully masked row is uniform (Keras' -1e9 rule), not NaN.
  K.reset();
  const p = K.putF32(scores);
  K.k.maskedSoftmax(K.params(MASKED_SOFTMAX_PARAMS, { scores: p, batch, heads, rows, cols, queryMask: 0, valueMask: K.putU8(vmask), keyMask: 0, causal: 0, zeroMasked: 0 }));
  const got = K.getF32(p, scores.length);
  const last = got.subarray((batch * heads - 1) * rows * cols, (batch * heads - 1) * rows * cols + cols);
  for (const x of last) assert.ok(Math.abs(x - 1 / cols) < 1e-6, `uniform ${x}`);
});

test('mask helpers: maskOr, selectRows, mulRowsByMask, reverseMaskRows', () => {
  K.reset();
  const a = Uint8Array.from({ length: 37 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const b = Uint8Array.from({ length: 37 }, (_, i) => (i % 5 === 0 ? 1 : 0));
  const pa = K.putU8(a);
  const out = K.alloc(37);
  K.k.maskOr(pa, K.putU8(b), out, 37);
  assert.equal(Array.from(K.getU8(out, 37)), Array.from(a, (x, i) => x | b[i]));

  const rows = 4, cols = 5;
  const x = rng(1).array(rows * cols);
  const y = rng(2).array(rows * cols);
  const m = Uint8Array.from([1, 0, 0, 1]);
  const px = K.putF32(x);
  const py = K.putF32(y);
  const pm = K.putU8(m);
  const po = K.alloc(rows * cols * 4);
  K.k.selectRows(px, py, pm, rows, cols, po);
  const sel = K.getF32(po, rows * cols);
  for (let r = 0; r < rows; r++) {
    assert.equal(Array.from(sel.subarray(r * cols, r * cols + cols)), Array.from((m[r] ? x : y).subarray(r * cols, r * cols + cols)));
  }
  K.k.selectRows(px, py, pm, rows, cols, px); // aliasing out = a
  assert.equal(Array.from(K.getF32(px, rows * cols)), Array.from(sel));

  const z = Float32Array.from([1, -2, 3, Infinity, 5, 6, 7, 8, 9, 10, -11, 12]);
  const pz = K.putF32(z);
  K.k.mulRowsByMask(pz, K.putU8([1, 0, 1]), 3, 4);
  const zz = K.getF32(pz, 12);
  assert.equal(Array.from(zz.subarray(0, 4)), [1, -2, 3, Infinity]);
  assert.equal(Array.from(zz.subarray(4, 8)), [0, 0, 0, 0]);
  assert.equal(Array.from(zz.subarray(8)), [9, 10, -11, 12]);

  const mm = Uint8Array.from([1, 1, 0, 0, 1, 0, 1, 1]);
  const pr = K.alloc(8);
  K.k.reverseMaskRows(K.putU8(mm), 2, 4, pr);
  assert.equal(Array.from(K.getU8(pr, 8)), [0, 0, 1, 1, 1, 1, 0, 1]);
});

test('l2NormalizeRows matches x / sqrt(max(sum x^2, eps)), zero rows stay zero', () => {
  K.reset();
  const rows = 3, cols = 7;
  const x = rng(9).array(rows * cols, -4, 4);
  x.fill(0, 7, 14);
  const p = K.putF32(x);
  K.k.l2NormalizeRows(p, rows, cols, 1e-12);
  const want = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c] ** 2;
    const k = 1 / Math.sqrt(Math.max(s, 1e-12));
    for (let c = 0; c < cols; c++) want[r * cols + c] = x[r * cols + c] * k;
  }
  assertClose(K.getF32(p, rows * cols), want, { label: 'l2' });
});

test.run();
