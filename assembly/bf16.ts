// bfloat16 weights (loadModel's `weights: 'bf16'`): the upper 16 bits of a float32, so widening
// one back to float32 is a shift, and a recurrent matrix takes half the bytes to stream each step
// (what bounds a large recurrent layer at batch 1). Only weights are stored this way; the kernels
// widen them in registers and accumulate in float32.
//
// Lane order: a packed bf16 panel row keeps 8 columns per v128, stored as c0 c4 c1 c5 c2 c6 c3 c7,
// so that one shift (the low halves of the 32-bit lanes) gives columns 0-3 as float32 and one
// mask (the high halves) gives columns 4-7, without a shuffle or a widening instruction.

/** Columns 0-3 of an 8-column bf16 vector, as float32 (the low u16 of each 32-bit lane). */
// @ts-ignore: decorator
@inline export function bf16Lo(p: v128): v128 {
  return i32x4.shl(p, 16);
}

/** Columns 4-7 of an 8-column bf16 vector, as float32 (the high u16 of each 32-bit lane). */
// @ts-ignore: decorator
@inline export function bf16Hi(p: v128): v128 {
  return v128.and(p, i32x4.splat(0xffff0000));
}

/** The bf16 nearest to x (ties to even); NaN stays NaN (rounding must not carry it into Inf). */
// @ts-ignore: decorator
@inline function toBf16(x: f32): u32 {
  const bits = reinterpret<u32>(x);
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  return (bits + 0x7fff + ((bits >> 16) & 1)) >> 16;
}

/**
 * Where column c of a packed bf16 panel row lives, in u16 from the row start (lane order above);
 * int8.ts lays its bytes out the same way, for the same two instructions.
 */
// @ts-ignore: decorator
@inline export function laneOf(c: i32): i32 {
  const j = c & 7;
  return (c & ~7) + (j < 4 ? j << 1 : ((j - 4) << 1) + 1);
}

/**
 * packGateColumns (assembly/pack-gates.ts) writing bfloat16: gate g of a Keras weight
 * (src[k * srcRowStride + u], k < K, u < U) to its engine columns in dst, a zero-filled array of
 * ceil(G * Up / W) * K * W u16 in W-column panels (W a multiple of 8), each 8 columns of a panel
 * row in the lane order above. Packing straight to bf16 needs no float32 copy of the matrix.
 */
export function packGateColumnsBf16(src: usize, srcRowStride: i32, K: i32, U: i32, g: i32, G: i32, UG: i32, dst: usize, W: i32): void {
  const rowBytes = <usize>W << 1;
  const srcStride = <usize>srcRowStride << 2;
  for (let u = 0; u < U; u++) {
    const col = (u / UG) * (UG * G) + g * UG + (u % UG);
    let d = dst + ((<usize>(col / W) * <usize>K * <usize>W + <usize>laneOf(col % W)) << 1);
    let s = src + (<usize>u << 2);
    for (let k = 0; k < K; k++) {
      store<u16>(d, <u16>toBf16(load<f32>(s)));
      d += rowBytes;
      s += srcStride;
    }
  }
}
