// A strided copy of up to four axes: slices, transposes and broadcasts tensors (tensor ops,
// attention's key transposes). Pointers need not be 16-byte aligned.

/**
 * dst[i0][i1][i2][i3] = src[i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3] for a contiguous dst of shape
 * (d0, d1, d2, d3) and element strides s0..s3 (0 broadcasts an axis; src is pre-offset to the
 * first element). Lower ranks pass 1 for the leading dims. The innermost axis is copied with one
 * memory.copy when its stride is 1.
 */
export function stridedCopy4(src: usize, dst: usize, d0: i32, d1: i32, d2: i32, d3: i32, s0: i32, s1: i32, s2: i32, s3: i32): void {
  let o = dst;
  const rowBytes = <usize>d3 << 2;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const base = src + ((<isize>i0 * <isize>s0 + <isize>i1 * <isize>s1 + <isize>i2 * <isize>s2) << 2);
        if (s3 == 1) {
          memory.copy(o, base, rowBytes);
          o += rowBytes;
        } else {
          for (let i3 = 0; i3 < d3; i3++) {
            store<f32>(o, load<f32>(base + ((<isize>i3 * <isize>s3) << 2)));
            o += 4;
          }
        }
      }
    }
  }
}
