// Pooling over time, channels last (x [B][T][C]), vectorised across channels.
import { Pool1dParams } from './param-blocks';

/** Pooling modes (exported: src/layers reads them as KERNEL_CONSTANTS). */
export const POOL_MAX: i32 = 0;
export const POOL_AVG: i32 = 1;

/** out[r][:] op= src[r][:] over C floats: max or sum. */
// @ts-ignore: decorator
@inline function combineRow(acc: usize, src: usize, C: i32, mode: i32): void {
  const c4 = C & ~3;
  let i = 0;
  if (mode == POOL_MAX) {
    for (; i < c4; i += 4) {
      const q = acc + (<usize>i << 2);
      v128.store(q, f32x4.max(v128.load(q), v128.load(src + (<usize>i << 2))));
    }
    for (; i < C; i++) {
      const q = acc + (<usize>i << 2);
      store<f32>(q, max(load<f32>(q), load<f32>(src + (<usize>i << 2))));
    }
  } else {
    for (; i < c4; i += 4) {
      const q = acc + (<usize>i << 2);
      v128.store(q, f32x4.add(v128.load(q), v128.load(src + (<usize>i << 2))));
    }
    for (; i < C; i++) {
      const q = acc + (<usize>i << 2);
      store<f32>(q, load<f32>(q) + load<f32>(src + (<usize>i << 2)));
    }
  }
}

/**
 * p[0..C) *= k, or p[0..C) /= k with `divide`. Each call passes `divide` as a literal, so after
 * inlining the choice folds away and the loop holds one operation.
 */
// @ts-ignore: decorator
@inline function scaleRow(p: usize, C: i32, k: f32, divide: bool): void {
  const kv = f32x4.splat(k);
  const c4 = C & ~3;
  let i = 0;
  for (; i < c4; i += 4) {
    const q = p + (<usize>i << 2);
    const v = v128.load(q);
    v128.store(q, divide ? f32x4.div(v, kv) : f32x4.mul(v, kv));
  }
  for (; i < C; i++) {
    const q = p + (<usize>i << 2);
    store<f32>(q, divide ? load<f32>(q) / k : load<f32>(q) * k);
  }
}

/**
 * MaxPooling1D / AveragePooling1D: window t covers input steps [t*stride - padLeft, +pool)
 * clipped to [0, T). Steps outside the input are ignored, as TensorFlow's SAME pooling does
 * (max over the real steps only; the average divides by the number of real steps). A window
 * with no real step (impossible for Keras' own output lengths) gives -inf / NaN. `params`
 * points at a Pool1dParams block (param-blocks.ts).
 */
export function pool1d(params: usize): void {
  const p = changetype<Pool1dParams>(params);
  const x = p.x, B = p.batch, T = p.steps, C = p.channels, out = p.out, Tout = p.outSteps;
  const pool = p.size, stride = p.stride, padLeft = p.padLeft, mode = p.mode;
  const rowBytes = <usize>C << 2;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * <usize>T * rowBytes;
    for (let t = 0; t < Tout; t++) {
      const o = out + (<usize>b * <usize>Tout + <usize>t) * rowBytes;
      const start = t * stride - padLeft;
      const lo = max(start, 0);
      const hi = min(start + pool, T);
      if (hi <= lo) {
        for (let i = 0; i < C; i++) store<f32>(o + (<usize>i << 2), mode == POOL_MAX ? -Infinity : NaN);
        continue;
      }
      memory.copy(o, xb + <usize>lo * rowBytes, rowBytes);
      for (let s = lo + 1; s < hi; s++) combineRow(o, xb + <usize>s * rowBytes, C, mode);
      if (mode == POOL_AVG) scaleRow(o, C, <f32>1.0 / <f32>(hi - lo), false);
    }
  }
}

/**
 * GlobalMaxPooling1D / GlobalAveragePooling1D over the steps of x [B][T][C] -> out [B][C].
 * With a mask (one byte per (b, t), or 0) the average covers the unmasked steps only, as Keras'
 * masked GlobalAveragePooling1D: sum(x * m) / sum(m), so an all-masked row gives 0/0 = NaN like
 * Keras. Max ignores the mask (Keras' GlobalMaxPooling1D does not take one).
 */
export function globalPool1d(x: usize, B: i32, T: i32, C: i32, mask: usize, mode: i32, out: usize): void {
  const rowBytes = <usize>C << 2;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * <usize>T * rowBytes;
    const o = out + <usize>b * rowBytes;
    if (mode == POOL_MAX) {
      if (T == 0) {
        for (let i = 0; i < C; i++) store<f32>(o + (<usize>i << 2), -Infinity);
        continue;
      }
      memory.copy(o, xb, rowBytes);
      for (let t = 1; t < T; t++) combineRow(o, xb + <usize>t * rowBytes, C, POOL_MAX);
      continue;
    }
    memory.fill(o, 0, rowBytes);
    let count = 0;
    for (let t = 0; t < T; t++) {
      if (mask && load<u8>(mask + <usize>b * <usize>T + <usize>t) == 0) continue;
      combineRow(o, xb + <usize>t * rowBytes, C, POOL_AVG);
      count++;
    }
    // Division (not a reciprocal) so that count == 0 gives 0/0 = NaN exactly as Keras does.
    scaleRow(o, C, <f32>count, true);
  }
}

/** Global pooling of channels-first data: out[r] = max or mean of the `cols` floats of row r
 * (x [B][C][T] seen as B*C rows of T steps). */
export function globalPoolRows(x: usize, rows: i32, cols: i32, mode: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>r * <usize>cols << 2);
    let acc: f32 = mode == POOL_MAX ? -Infinity : 0;
    for (let t = 0; t < cols; t++) {
      const v = load<f32>(p + (<usize>t << 2));
      acc = mode == POOL_MAX ? max(acc, v) : acc + v;
    }
    store<f32>(out + (<usize>r << 2), mode == POOL_MAX ? acc : acc / <f32>cols);
  }
}
