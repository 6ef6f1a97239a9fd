// Kernels of the attention layers (Attention, AdditiveAttention, MultiHeadAttention) and Dot:
// a strided batched matrix product, additive (tanh) scores, and Keras' masked softmax.
//
// Shapes are small and irregular here (Tq x Tv score matrices, per-head slices of a
// (batch, steps, heads, dim) tensor), so the product reads its operands in place through row
// strides instead of packing them into gemm panels first.

import { softmaxRows } from './activations';
import { tanhV } from './simd-math';
import { AdditiveScoresParams, BatchMatMulParams, MaskedSoftmaxParams } from './param-blocks';

/**
 * For each of `batch` problems p: C_p (M x N) = A_p (M x K) * B_p, where B_p is K x N, or, with
 * `transB`, N x K (C = A * B^T, every output a dot product of two contiguous rows).
 * Element (m, k) of A_p is at a + 4 * (p * aBatch + m * lda + k); likewise B and C with their own
 * row strides and batch strides (all in floats). C must not overlap A or B. `params` points at
 * a BatchMatMulParams block (param-blocks.ts).
 */
export function batchMatMul(params: usize): void {
  const q = changetype<BatchMatMulParams>(params);
  const a = q.a, lda = q.lda, aBatch = q.aBatch, b = q.b, ldb = q.ldb, bBatch = q.bBatch, c = q.c, ldc = q.ldc, cBatch = q.cBatch;
  const batch = q.batch, M = q.M, K = q.K, N = q.N, transB = q.transB;
  const k4 = K & ~3;
  for (let p = 0; p < batch; p++) {
    const ap = a + (<usize>p * <usize>aBatch << 2);
    const bp = b + (<usize>p * <usize>bBatch << 2);
    const cp = c + (<usize>p * <usize>cBatch << 2);
    for (let m = 0; m < M; m++) {
      const arow = ap + (<usize>m * <usize>lda << 2);
      const crow = cp + (<usize>m * <usize>ldc << 2);
      if (transB) {
        for (let n = 0; n < N; n++) {
          const brow = bp + (<usize>n * <usize>ldb << 2);
          let acc = f32x4.splat(0.0);
          let k = 0;
          for (; k < k4; k += 4) {
            acc = f32x4.add(acc, f32x4.mul(v128.load(arow + (<usize>k << 2)), v128.load(brow + (<usize>k << 2))));
          }
          let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
          for (; k < K; k++) s += load<f32>(arow + (<usize>k << 2)) * load<f32>(brow + (<usize>k << 2));
          store<f32>(crow + (<usize>n << 2), s);
        }
      } else {
        // 16 output columns at a time in four register accumulators, k innermost: each A
        // element is broadcast once per block and C is written once (not read back per k).
        let n = 0;
        for (; n + 16 <= N; n += 16) {
          let c0 = f32x4.splat(0.0), c1 = c0, c2 = c0, c3 = c0;
          let bq = bp + (<usize>n << 2);
          for (let k = 0; k < K; k++) {
            const as = v128.load32_splat(arow + (<usize>k << 2));
            c0 = f32x4.add(c0, f32x4.mul(as, v128.load(bq)));
            c1 = f32x4.add(c1, f32x4.mul(as, v128.load(bq, 16)));
            c2 = f32x4.add(c2, f32x4.mul(as, v128.load(bq, 32)));
            c3 = f32x4.add(c3, f32x4.mul(as, v128.load(bq, 48)));
            bq += <usize>ldb << 2;
          }
          const q = crow + (<usize>n << 2);
          v128.store(q, c0);
          v128.store(q, c1, 16);
          v128.store(q, c2, 32);
          v128.store(q, c3, 48);
        }
        for (; n + 4 <= N; n += 4) {
          let c0 = f32x4.splat(0.0);
          let bq = bp + (<usize>n << 2);
          for (let k = 0; k < K; k++) {
            c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(arow + (<usize>k << 2)), v128.load(bq)));
            bq += <usize>ldb << 2;
          }
          v128.store(crow + (<usize>n << 2), c0);
        }
        for (; n < N; n++) {
          let acc: f32 = 0;
          for (let k = 0; k < K; k++) acc += load<f32>(arow + (<usize>k << 2)) * load<f32>(bp + ((<usize>k * <usize>ldb + <usize>n) << 2));
          store<f32>(crow + (<usize>n << 2), acc);
        }
      }
    }
  }
}

/**
 * Additive (Bahdanau) scores: out[p][i][j] = outScale * sum_d w[d] * tanh(inScale * (q[p][i][d] +
 * k[p][j][d])) for q [batch][Tq][D], k [batch][Tv][D], out [batch][Tq][Tv]; `w` = 0 means all
 * ones. AdditiveAttention: inScale 1, w = its `scale` vector (or none), outScale 1. Attention
 * with score_mode="concat": inScale = `scale` (or 1), no w, outScale = `concat_score_weight`.
 * The operations run in Keras' order (sum, then scale, then tanh). `params` points at an
 * AdditiveScoresParams block (param-blocks.ts).
 */
export function additiveScores(params: usize): void {
  const p0 = changetype<AdditiveScoresParams>(params);
  const q = p0.q, k = p0.k, batch = p0.batch, Tq = p0.queries, Tv = p0.keys, D = p0.dim;
  const inScale = p0.inScale, w = p0.w, outScale = p0.outScale, out = p0.out;
  const d4 = D & ~3;
  const sv = f32x4.splat(inScale);
  const one = f32x4.splat(1.0);
  for (let p = 0; p < batch; p++) {
    const qp = q + (<usize>p * <usize>Tq * <usize>D << 2);
    const kp = k + (<usize>p * <usize>Tv * <usize>D << 2);
    const op = out + (<usize>p * <usize>Tq * <usize>Tv << 2);
    for (let i = 0; i < Tq; i++) {
      const qrow = qp + (<usize>i * <usize>D << 2);
      for (let j = 0; j < Tv; j++) {
        const krow = kp + (<usize>j * <usize>D << 2);
        let acc = f32x4.splat(0.0);
        let d = 0;
        for (; d < d4; d += 4) {
          const t = tanhV(f32x4.mul(sv, f32x4.add(v128.load(qrow + (<usize>d << 2)), v128.load(krow + (<usize>d << 2)))));
          acc = f32x4.add(acc, f32x4.mul(w ? v128.load(w + (<usize>d << 2)) : one, t));
        }
        let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
        for (; d < D; d++) {
          const x = inScale * (load<f32>(qrow + (<usize>d << 2)) + load<f32>(krow + (<usize>d << 2)));
          const t = f32x4.extract_lane(tanhV(f32x4.splat(x)), 0);
          s += (w ? load<f32>(w + (<usize>d << 2)) : <f32>1.0) * t;
        }
        store<f32>(op + ((<usize>i * <usize>Tv + <usize>j) << 2), outScale * s);
      }
    }
  }
}

/** Keras' bias for padding positions: scores - 1e9 (computed in f32, as Keras does, so a row that
 * is masked everywhere still gets a softmax of its rounded scores: uniform in practice). */
const MASK_BIAS: f32 = 1.0e9;

/**
 * Keras' masked softmax over the last axis of scores [batch * heads][rows][cols], in place. A
 * position (i, j) of problem p (batch row b = p / heads) is masked when qmask[b][i] == 0,
 * vmask[b][j] == 0, kmask[b][j] == 0 (each mask optional: 0 = none, u8 [batch][rows|cols]), or
 * `causal` and j > i. Masked scores get -1e9 before the softmax; with `zeroMasked` the
 * probabilities of masked positions are multiplied by 0 afterwards (Keras >= 3.10 Softmax).
 * `params` points at a MaskedSoftmaxParams block (param-blocks.ts).
 */
export function maskedSoftmax(params: usize): void {
  const p0 = changetype<MaskedSoftmaxParams>(params);
  const scores = p0.scores, batch = p0.batch, heads = p0.heads, rows = p0.rows, cols = p0.cols;
  const qmask = p0.queryMask, vmask = p0.valueMask, kmask = p0.keyMask, causal = p0.causal, zeroMasked = p0.zeroMasked;
  const rowBytes = <usize>cols << 2;
  const anyMask = qmask != 0 || vmask != 0 || kmask != 0 || causal != 0;
  for (let p = 0; p < batch * heads; p++) {
    const b = p / heads;
    for (let i = 0; i < rows; i++) {
      const row = scores + (<usize>(p * rows + i) * rowBytes);
      if (anyMask) {
        const qOff = qmask != 0 && load<u8>(qmask + <usize>(b * rows + i)) == 0;
        for (let j = 0; j < cols; j++) {
          if (isMasked(qOff, vmask, kmask, causal, b, cols, i, j)) {
            const q = row + (<usize>j << 2);
            store<f32>(q, load<f32>(q) - MASK_BIAS);
          }
        }
      }
      softmaxRows(row, 1, cols);
      if (anyMask && zeroMasked) {
        const qOff = qmask != 0 && load<u8>(qmask + <usize>(b * rows + i)) == 0;
        for (let j = 0; j < cols; j++) {
          if (isMasked(qOff, vmask, kmask, causal, b, cols, i, j)) {
            const q = row + (<usize>j << 2);
            store<f32>(q, load<f32>(q) * <f32>0.0);
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function isMasked(qOff: bool, vmask: usize, kmask: usize, causal: i32, b: i32, cols: i32, i: i32, j: i32): bool {
  if (qOff) return true;
  if (causal != 0 && j > i) return true;
  if (vmask != 0 && load<u8>(vmask + <usize>(b * cols + j)) == 0) return true;
  if (kmask != 0 && load<u8>(kmask + <usize>(b * cols + j)) == 0) return true;
  return false;
}
