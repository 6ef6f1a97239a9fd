// int8 weights (loadModel's `weights: 'int8'`): each recurrent-kernel column c (one gate of one
// unit) stored as signed bytes q[k][c] with one float32 scale s[c] = max_k |w[k][c]| / 127, so
// w ~ s[c] * q[k][c]. The scale is per column, so it factors out of a column's dot product:
// h . w[:, c] ~ s[c] * (h . q[:, c]), and the kernels multiply by it once per step, after the sum.
// A 16-column panel row is one v128 of 16 bytes in natural column order; widening it to four
// f32x4 (columns 0-3, 4-7, 8-11, 12-15) is i16x8.extend, i32x4.extend and f32x4.convert.

/** Columns 0-3 of a 16-column int8 row, as float32. */
// @ts-ignore: decorator
@inline export function int8Cols0(q: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(q)));
}

/** Columns 4-7 of a 16-column int8 row, as float32. */
// @ts-ignore: decorator
@inline export function int8Cols1(q: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(i16x8.extend_low_i8x16_s(q)));
}

/** Columns 8-11 of a 16-column int8 row, as float32. */
// @ts-ignore: decorator
@inline export function int8Cols2(q: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_high_i8x16_s(q)));
}

/** Columns 12-15 of a 16-column int8 row, as float32. */
// @ts-ignore: decorator
@inline export function int8Cols3(q: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(i16x8.extend_high_i8x16_s(q)));
}

/**
 * packGateColumns (assembly/pack-gates.ts) quantising to int8: gate g of a Keras weight
 * (src[k * srcRowStride + u], k < K, u < U) to its engine columns in dst, a zero-filled array of
 * ceil(G * Up / W) * K * W bytes in W-column panels, and each column's scale to scales[col]
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
    let d = dst + <usize>(col / W) * <usize>K * rowBytes + <usize>(col % W);
    s = s0;
    for (let k = 0; k < K; k++) {
      const q = nearest<f32>(load<f32>(s) / scale);
      store<i8>(d, <i8>(<i32>min<f32>(127, max<f32>(-127, q))));
      d += rowBytes;
      s += srcStride;
    }
  }
}
