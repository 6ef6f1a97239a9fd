import { bf16Lo, bf16Hi, laneOf } from './bf16';

// int8 weights (loadModel's `weights: 'int8'`): each recurrent-kernel column c (one gate of one
// unit) stored as signed bytes q[k][c] with one float32 scale s[c] = max_k |w[k][c]| / 127, so
// w ~ s[c] * q[k][c]. The scale is per column, so it factors out of a column's dot product:
// h . w[:, c] ~ s[c] * (h . q[:, c]), and the kernels multiply by it once per step, after the sum.
// Panel rows are read 8 columns at a time with v128.load8x8_s (the load and the i8 -> i16
// widening in one instruction). The bytes are in bf16.ts' lane order (c0 c4 c1 c5 c2 c6 c3 c7),
// so as 32-bit lanes the i16 of columns 0-3 sit in the low halves and those of columns 4-7 in the
// high halves: one shift, or one mask, puts each in the top 16 bits of an i32 - q * 2^16, exact -
// and f32x4.convert makes it float32. The kernels fold the 2^16 into the column scale. Three
// instructions per four weights where i16x8.extend, i32x4.extend and f32x4.convert take four to
// five on x64; a batch-1 step over a quarter-size matrix is bound by them, not by memory.

/** The 2^16 factor int8Lo / int8Hi leave in each weight (see above), undone with the scale. */
export const INT8_WIDEN_FACTOR: f32 = 65536;

/** Columns 0-3 of an 8-column int8 group loaded with v128.load8x8_s, as float32 times 2^16. */
// @ts-ignore: decorator
@inline export function int8Lo(h: v128): v128 {
  return f32x4.convert_i32x4_s(bf16Lo(h));
}

/** Columns 4-7 of an 8-column int8 group loaded with v128.load8x8_s, as float32 times 2^16. */
// @ts-ignore: decorator
@inline export function int8Hi(h: v128): v128 {
  return f32x4.convert_i32x4_s(bf16Hi(h));
}

/**
 * packGateColumns (assembly/pack-gates.ts) quantising to int8: gate g of a Keras weight
 * (src[k * srcRowStride + u], k < K, u < U) to its engine columns in dst, a zero-filled array of
 * ceil(G * Up / W) * K * W bytes in W-column panels (W a multiple of 8, bytes in the lane order above), and each column's scale to scales[col]
 * (float32, engine column order). Symmetric: s = max |w| / 127 and q = round(w / s), ties to
 * even, so |q| <= 127 and -128 is never used; a column of zeros gets s = 0 and q = 0. A column
 * with a NaN or an infinity cannot be scaled: it makes the whole column NaN (s = NaN), so the
 * outputs show it instead of hiding it.
 */
export function packGateColumnsInt8(src: usize, srcRowStride: i32, K: i32, U: i32, g: i32, G: i32, UG: i32, dst: usize, W: i32, scales: usize): void {
  const rowBytes = <usize>W;
  const srcStride = <usize>srcRowStride << 2;
  for (let u = 0; u < U; u++) {
    const col = (u / UG) * (UG * G) + g * UG + (u % UG);
    const s0 = src + (<usize>u << 2);
    let m: f32 = 0;
    let s = s0;
    for (let k = 0; k < K; k++) {
      const a = abs<f32>(load<f32>(s));
      m = a > m || a != a ? a : m; // NaN wins, so it reaches the scale
      s += srcStride;
    }
    const scale: f32 = m == Infinity ? NaN : m / 127;
    store<f32>(scales + (<usize>col << 2), scale);
    if (!(scale > 0)) continue; // zeros (q = 0 already), or NaN (the NaN scale carries it)
    let d = dst + <usize>(col / W) * <usize>K * rowBytes + <usize>laneOf(col % W);
    s = s0;
    for (let k = 0; k < K; k++) {
      const q = nearest<f32>(load<f32>(s) / scale);
      store<i8>(d, <i8>(<i32>min<f32>(127, max<f32>(-127, q))));
      d += rowBytes;
      s += srcStride;
    }
  }
}
