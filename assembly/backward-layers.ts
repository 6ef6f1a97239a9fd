// Training kernels of Embedding, Conv1D, pooling, LayerNormalization and BatchNormalization
// (Dense / LSTM: backward.ts; GRU / SimpleRNN: backward-rnn.ts). Channels last; the inner loops
// run along the contiguous channel axis with f32x4 (train-common.ts).

import { ld, st, axpy, dot } from './train-common';

/**
 * Embedding: dTable[ids[i]][:] += dOut[i][:] for every id (ids already validated by gatherRows
 * in the forward pass). Only the rows of ids present are touched; dTable must be zeroed.
 */
export function embeddingBackward(ids: usize, count: i32, dOut: usize, dim: i32, dTable: usize): void {
  for (let i = 0; i < count; i++) {
    const row = <i32>ld(ids, i);
    axpy(dTable + (<usize>(row * dim) << 2), 1, dOut + (<usize>(i * dim) << 2), dim);
  }
}

/**
 * Conv1D (groups 1) pre-activation for training: z[b][t][:] = bias + sum over taps j and
 * channels c of x[b][t·stride − padLeft + j·dilation][c] · W[j][c][:] (taps outside the input
 * read zeros). W is Keras' [k][C][F] kernel.
 */
export function conv1dForwardTrain(
  x: usize, B: i32, T: i32, C: i32, Tout: i32, F: i32, k: i32, stride: i32, dilation: i32, padLeft: i32, W: usize, bias: usize, z: usize,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const o = z + (<usize>(b * Tout + t) * <usize>F << 2);
      if (bias) memory.copy(o, bias, <usize>F << 2);
      else memory.fill(o, 0, <usize>F << 2);
      for (let j = 0; j < k; j++) {
        const s = t * stride - padLeft + j * dilation;
        if (s < 0 || s >= T) continue;
        const xr = x + (<usize>(b * T + s) * <usize>C << 2);
        for (let c = 0; c < C; c++) axpy(o, ld(xr, c), W + (<usize>((j * C + c) * F) << 2), F);
      }
    }
  }
}

/**
 * Conv1D backward from dz (the gradient before the activation, [B][Tout][F]): dW [k][C][F],
 * db [F] (if nonzero), dx [B][T][C] (if nonzero). Outputs are overwritten.
 */
export function conv1dBackward(
  x: usize, B: i32, T: i32, C: i32, Tout: i32, F: i32, k: i32, stride: i32, dilation: i32, padLeft: i32, W: usize, dz: usize,
  dx: usize, dW: usize, db: usize,
): void {
  memory.fill(dW, 0, <usize>(k * C * F) << 2);
  if (db) memory.fill(db, 0, <usize>F << 2);
  if (dx) memory.fill(dx, 0, <usize>(B * T * C) << 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const g = dz + (<usize>(b * Tout + t) * <usize>F << 2);
      if (db) axpy(db, 1, g, F);
      for (let j = 0; j < k; j++) {
        const s = t * stride - padLeft + j * dilation;
        if (s < 0 || s >= T) continue;
        const xr = x + (<usize>(b * T + s) * <usize>C << 2);
        const dxr = dx + (<usize>(b * T + s) * <usize>C << 2);
        for (let c = 0; c < C; c++) {
          const wr = (j * C + c) * F;
          axpy(dW + (<usize>wr << 2), ld(xr, c), g, F);
          if (dx) st(dxr, c, ld(dxr, c) + dot(g, W + (<usize>wr << 2), F));
        }
      }
    }
  }
}

/**
 * Backward of pool1d / globalPool1d (x [B][T][C], out [B][Tout][C], windows as in pool1d):
 * max (mode 0) routes each output's gradient to the first step holding the maximum; average
 * (mode 1) spreads it over the window's real steps, or with a mask (u8 [B][T], global average
 * only) over its kept steps. dx is overwritten.
 */
export function pool1dBackward(
  x: usize, out: usize, dOut: usize, B: i32, T: i32, C: i32, Tout: i32, pool: i32, stride: i32, padLeft: i32, mode: i32, mask: usize, dx: usize,
): void {
  memory.fill(dx, 0, <usize>(B * T * C) << 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const start = t * stride - padLeft;
      const lo = max(start, 0);
      const hi = min(start + pool, T);
      const row = (b * Tout + t) * C;
      if (mode == 0) {
        for (let c = 0; c < C; c++) {
          const m = ld(out, row + c);
          for (let s = lo; s < hi; s++) {
            const i = (b * T + s) * C + c;
            if (ld(x, i) == m) {
              st(dx, i, ld(dx, i) + ld(dOut, row + c));
              break;
            }
          }
        }
        continue;
      }
      let count = 0;
      for (let s = lo; s < hi; s++) if (!mask || load<u8>(mask + <usize>(b * T + s)) != 0) count++;
      if (count == 0) continue;
      const scale: f32 = <f32>1 / <f32>count;
      for (let s = lo; s < hi; s++) {
        if (mask && load<u8>(mask + <usize>(b * T + s)) == 0) continue;
        axpy(dx + (<usize>((b * T + s) * C) << 2), scale, dOut + (<usize>row << 2), C);
      }
    }
  }
}

/**
 * LayerNormalization over the last axis for training: y = gamma · xhat + beta with
 * xhat = (x − mean) / sqrt(var + eps) (biased variance) per row; saves xhat [rows][C] and
 * rstd [rows]. gamma / beta may be 0 (scale / center off).
 */
export function layerNormForwardTrain(x: usize, rows: i32, C: i32, eps: f32, gamma: usize, beta: usize, y: usize, xhat: usize, rstd: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * C) << 2);
    let mean: f32 = 0;
    for (let c = 0; c < C; c++) mean += ld(xr, c);
    mean /= <f32>C;
    let v: f32 = 0;
    for (let c = 0; c < C; c++) {
      const d = ld(xr, c) - mean;
      v += d * d;
    }
    v /= <f32>C;
    const rs: f32 = <f32>1 / Mathf.sqrt(v + eps);
    st(rstd, r, rs);
    for (let c = 0; c < C; c++) {
      const h = (ld(xr, c) - mean) * rs;
      st(xhat, r * C + c, h);
      st(y, r * C + c, (gamma ? ld(gamma, c) : 1) * h + (beta ? ld(beta, c) : 0));
    }
  }
}

/**
 * LayerNormalization backward: dgamma = sum dy · xhat, dbeta = sum dy (when nonzero) and
 * dx = rstd · (g − mean(g) − xhat · mean(g · xhat)) with g = dy · gamma, per row.
 */
export function layerNormBackward(dy: usize, rows: i32, C: i32, gamma: usize, xhat: usize, rstd: usize, dx: usize, dgamma: usize, dbeta: usize): void {
  if (dgamma) memory.fill(dgamma, 0, <usize>C << 2);
  if (dbeta) memory.fill(dbeta, 0, <usize>C << 2);
  for (let r = 0; r < rows; r++) {
    let mg: f32 = 0;
    let mgx: f32 = 0;
    for (let c = 0; c < C; c++) {
      const d = ld(dy, r * C + c);
      const h = ld(xhat, r * C + c);
      if (dgamma) st(dgamma, c, ld(dgamma, c) + d * h);
      if (dbeta) st(dbeta, c, ld(dbeta, c) + d);
      const g = d * (gamma ? ld(gamma, c) : 1);
      mg += g;
      mgx += g * h;
    }
    mg /= <f32>C;
    mgx /= <f32>C;
    const rs = ld(rstd, r);
    for (let c = 0; c < C; c++) {
      const g = ld(dy, r * C + c) * (gamma ? ld(gamma, c) : 1);
      st(dx, r * C + c, rs * (g - mg - ld(xhat, r * C + c) * mgx));
    }
  }
}

/**
 * BatchNormalization in training mode over the last axis (statistics over all rows): mean and
 * biased variance per channel into mean / var [C], xhat, rstd [C], y = gamma · xhat + beta.
 */
export function batchNormForwardTrain(x: usize, rows: i32, C: i32, eps: f32, gamma: usize, beta: usize, y: usize, xhat: usize, mean: usize, variance: usize, rstd: usize): void {
  memory.fill(mean, 0, <usize>C << 2);
  memory.fill(variance, 0, <usize>C << 2);
  for (let r = 0; r < rows; r++) axpy(mean, 1, x + (<usize>(r * C) << 2), C);
  for (let c = 0; c < C; c++) st(mean, c, ld(mean, c) / <f32>rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      const d = ld(x, r * C + c) - ld(mean, c);
      st(variance, c, ld(variance, c) + d * d);
    }
  }
  for (let c = 0; c < C; c++) {
    const v = ld(variance, c) / <f32>rows;
    st(variance, c, v);
    st(rstd, c, <f32>1 / Mathf.sqrt(v + eps));
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      const h = (ld(x, r * C + c) - ld(mean, c)) * ld(rstd, c);
      st(xhat, r * C + c, h);
      st(y, r * C + c, (gamma ? ld(gamma, c) : 1) * h + (beta ? ld(beta, c) : 0));
    }
  }
}

/**
 * BatchNormalization backward with batch statistics: dgamma = sum dy · xhat, dbeta = sum dy
 * (when nonzero), dx = gamma · rstd · (dy − mean(dy) − xhat · mean(dy · xhat)), means over rows.
 * scratch: 2C floats.
 */
export function batchNormBackward(dy: usize, rows: i32, C: i32, gamma: usize, xhat: usize, rstd: usize, dx: usize, dgamma: usize, dbeta: usize, scratch: usize): void {
  const sd = scratch;
  const sdx = scratch + (<usize>C << 2);
  memory.fill(scratch, 0, <usize>(2 * C) << 2);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      const d = ld(dy, r * C + c);
      st(sd, c, ld(sd, c) + d);
      st(sdx, c, ld(sdx, c) + d * ld(xhat, r * C + c));
    }
  }
  if (dgamma) memory.copy(dgamma, sdx, <usize>C << 2);
  if (dbeta) memory.copy(dbeta, sd, <usize>C << 2);
  const n = <f32>rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++) {
      const k = (gamma ? ld(gamma, c) : 1) * ld(rstd, c);
      st(dx, r * C + c, k * (ld(dy, r * C + c) - ld(sd, c) / n - ld(xhat, r * C + c) * ld(sdx, c) / n));
    }
  }
}

/** RepeatVector / UpSampling1D backward: dx[r][:] = sum over i < times of dOut[r][i][:]. */
export function sumRepeats(dOut: usize, rows: i32, times: i32, cols: i32, dx: usize): void {
  memory.fill(dx, 0, <usize>(rows * cols) << 2);
  for (let r = 0; r < rows; r++) {
    const d = dx + (<usize>(r * cols) << 2);
    for (let i = 0; i < times; i++) axpy(d, 1, dOut + (<usize>((r * times + i) * cols) << 2), cols);
  }
}

/**
 * Backward of the activation layers from their input x: kind 0 ReLU(negative_slope a, max_value
 * b, threshold c) as assembly/activation-layers.ts reluLayer computes it (slope 1 on
 * c < x, 0 < x < b; a below c), kind 1 ELU(alpha a) (1 above 0, a·exp(x) below), kind 2
 * ThresholdedReLU(theta a) (1 above a). dx = dy · slope.
 */
export function activationLayerBackward(x: usize, dy: usize, n: i32, kind: i32, a: f32, b: f32, c: f32, dx: usize): void {
  for (let i = 0; i < n; i++) {
    const v = ld(x, i);
    let slope: f32;
    if (kind == 0) slope = (v > c && v > 0 && v < b ? <f32>1 : 0) + (v < c ? a : 0);
    else if (kind == 1) slope = v > 0 ? <f32>1 : a * Mathf.exp(v);
    else slope = v > a ? <f32>1 : 0;
    st(dx, i, ld(dy, i) * slope);
  }
}
