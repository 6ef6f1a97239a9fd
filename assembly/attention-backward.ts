// Backward kernels of the attention layers and Dot that the forward kernels (attention.ts,
// masked-rows.ts) have no transpose of: the additive (tanh) scores and the L2 row normalisation.
// The products (scores, context, their transposes) run on batchMatMul; the softmax backward on
// activationBackward (backward.ts).

import { tanhV } from './simd-math';
import { AdditiveScoresBackwardParams } from './param-blocks';

/**
 * Gradients of additiveScores' out[p][i][j] = outScale * sum_d w[d] * tanh(inScale * (q[p][i][d]
 * + k[p][j][d])) from dScores = d(loss)/d(out): with t = tanh(.), g = dScores * outScale * w[d] *
 * (1 - t²), dq[i] += inScale * g, dk[j] += inScale * g, dw[d] = outScale * sum dScores * t,
 * d inScale = sum g * (q + k), d outScale = sum dScores * w[d] * t. tanh is the forward kernel's,
 * so the gradient is the one of the scores the forward pass gave. `params` points at an
 * AdditiveScoresBackwardParams block (param-blocks.ts).
 */
export function additiveScoresBackward(params: usize): void {
  const p0 = changetype<AdditiveScoresBackwardParams>(params);
  const q = p0.q, k = p0.k, dS = p0.dScores, batch = p0.batch, Tq = p0.queries, Tv = p0.keys, D = p0.dim;
  const inScale = p0.inScale, w = p0.w, outScale = p0.outScale;
  const dq = p0.dq, dk = p0.dk, dw = p0.dw, dScalars = p0.dScalars;
  const d4 = D & ~3;
  const rowBytes = <usize>D << 2;
  memory.fill(dq, 0, <usize>batch * <usize>Tq * rowBytes);
  memory.fill(dk, 0, <usize>batch * <usize>Tv * rowBytes);
  // per-feature sums sum dScores * t (-> dw, d outScale) and sum g * (q + k) (-> d inScale)
  memory.fill(dw, 0, rowBytes);
  let inAcc = f32x4.splat(0.0);
  let inTail: f32 = 0;
  const sv = f32x4.splat(inScale);
  const one = f32x4.splat(1.0);
  for (let p = 0; p < batch; p++) {
    const qp = q + <usize>p * <usize>Tq * rowBytes;
    const kp = k + <usize>p * <usize>Tv * rowBytes;
    const dqp = dq + <usize>p * <usize>Tq * rowBytes;
    const dkp = dk + <usize>p * <usize>Tv * rowBytes;
    const dSp = dS + (<usize>p * <usize>Tq * <usize>Tv << 2);
    for (let i = 0; i < Tq; i++) {
      const qrow = qp + <usize>i * rowBytes;
      const dqrow = dqp + <usize>i * rowBytes;
      for (let j = 0; j < Tv; j++) {
        const ds = load<f32>(dSp + ((<usize>i * <usize>Tv + <usize>j) << 2));
        const krow = kp + <usize>j * rowBytes;
        const dkrow = dkp + <usize>j * rowBytes;
        const dsv = f32x4.splat(ds);
        const gs = f32x4.splat(ds * outScale);
        let d = 0;
        for (; d < d4; d += 4) {
          const o = <usize>d << 2;
          const sum = f32x4.add(v128.load(qrow + o), v128.load(krow + o));
          const t = tanhV(f32x4.mul(sv, sum));
          const wv = w ? v128.load(w + o) : one;
          const g = f32x4.mul(f32x4.mul(gs, wv), f32x4.sub(one, f32x4.mul(t, t)));
          const gi = f32x4.mul(g, sv);
          v128.store(dqrow + o, f32x4.add(v128.load(dqrow + o), gi));
          v128.store(dkrow + o, f32x4.add(v128.load(dkrow + o), gi));
          v128.store(dw + o, f32x4.add(v128.load(dw + o), f32x4.mul(dsv, t)));
          inAcc = f32x4.add(inAcc, f32x4.mul(g, sum));
        }
        for (; d < D; d++) {
          const o = <usize>d << 2;
          const sum = load<f32>(qrow + o) + load<f32>(krow + o);
          const t = f32x4.extract_lane(tanhV(f32x4.splat(inScale * sum)), 0);
          const g = ds * outScale * (w ? load<f32>(w + o) : <f32>1.0) * (<f32>1.0 - t * t);
          store<f32>(dqrow + o, load<f32>(dqrow + o) + g * inScale);
          store<f32>(dkrow + o, load<f32>(dkrow + o) + g * inScale);
          store<f32>(dw + o, load<f32>(dw + o) + ds * t);
          inTail += g * sum;
        }
      }
    }
  }
  let outGrad: f32 = 0;
  for (let d = 0; d < D; d++) {
    const o = <usize>d << 2;
    const s = load<f32>(dw + o);
    outGrad += (w ? load<f32>(w + o) : <f32>1.0) * s;
    store<f32>(dw + o, s * outScale);
  }
  store<f32>(dScalars, f32x4.extract_lane(inAcc, 0) + f32x4.extract_lane(inAcc, 1) + (f32x4.extract_lane(inAcc, 2) + f32x4.extract_lane(inAcc, 3)) + inTail);
  store<f32>(dScalars, outGrad, 4);
}

/**
 * Gradient of l2NormalizeRows (y = x / sqrt(max(sum x², eps)) per row of `cols`) from the rows x
 * before normalising and dy: dx = (dy - y (y · dy)) / norm where sum x² > eps, else dy /
 * sqrt(eps) (tf.math.maximum passes no gradient to the smaller argument).
 */
export function l2NormalizeRowsBackward(x: usize, dy: usize, rows: i32, cols: i32, eps: f32, dx: usize): void {
  const rowBytes = <usize>cols << 2;
  const n4 = <usize>(cols & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const xp = x + <usize>r * rowBytes;
    const dyp = dy + <usize>r * rowBytes;
    const dxp = dx + <usize>r * rowBytes;
    let ss = f32x4.splat(0.0);
    let sd = f32x4.splat(0.0);
    let i: usize = 0;
    for (; i < n4; i += 16) {
      const v = v128.load(xp + i);
      ss = f32x4.add(ss, f32x4.mul(v, v));
      sd = f32x4.add(sd, f32x4.mul(v, v128.load(dyp + i)));
    }
    let s = f32x4.extract_lane(ss, 0) + f32x4.extract_lane(ss, 1) + f32x4.extract_lane(ss, 2) + f32x4.extract_lane(ss, 3);
    let xd = f32x4.extract_lane(sd, 0) + f32x4.extract_lane(sd, 1) + f32x4.extract_lane(sd, 2) + f32x4.extract_lane(sd, 3);
    for (; i < rowBytes; i += 4) {
      const v = load<f32>(xp + i);
      s += v * v;
      xd += v * load<f32>(dyp + i);
    }
    const inv: f32 = <f32>1.0 / sqrt<f32>(max<f32>(s, eps));
    // dx = inv * dy - inv³ (x · dy) x, the second term only where the norm is not floored
    const c: f32 = s > eps ? inv * inv * inv * xd : 0;
    const iv = f32x4.splat(inv);
    const cv = f32x4.splat(c);
    for (i = 0; i < n4; i += 16) v128.store(dxp + i, f32x4.sub(f32x4.mul(iv, v128.load(dyp + i)), f32x4.mul(cv, v128.load(xp + i))));
    for (; i < rowBytes; i += 4) store<f32>(dxp + i, inv * load<f32>(dyp + i) - c * load<f32>(xp + i));
  }
}
