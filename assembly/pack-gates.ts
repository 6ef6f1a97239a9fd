// Load-time weight reshaping into the layouts the kernels stream.
//
// Engine column order: for G gates and unit groups of UG units, the column of (gate g, unit u)
// is (u / UG) * (UG * G) + g * UG + u % UG, so all gates of a unit group sit next to each other
// and one 16-wide (LSTM: 4 gates x 4 units) or 12-wide (GRU) panel feeds a whole fused cell
// update from registers.
// Packed panels: element (k, col) of a K x N matrix lives at ((col / W) * K + k) * W + col % W,
// i.e. each W-column panel is a contiguous K x W block read row after row by the micro-kernels.

/** Copies gate g of a Keras weight (src[k * srcRowStride + u], k < K, u < U) to its packed
 * engine columns in dst (zero-filled by the caller, ceil(G * Up / W) * K * W floats). */
export function packGateColumns(src: usize, srcRowStride: i32, K: i32, U: i32, g: i32, G: i32, UG: i32, dst: usize, W: i32): void {
  const rowBytes = <usize>W << 2;
  const srcStride = <usize>srcRowStride << 2;
  for (let u = 0; u < U; u++) {
    const col = (u / UG) * (UG * G) + g * UG + (u % UG);
    let d = dst + ((<usize>(col / W) * <usize>K * <usize>W + <usize>(col % W)) << 2);
    let s = src + (<usize>u << 2);
    for (let k = 0; k < K; k++) {
      store<f32>(d, load<f32>(s));
      d += rowBytes;
      s += srcStride;
    }
  }
}

/** dst[c][r] = src[r][c] for a rows x cols matrix (CuDNN weights are stored transposed).
 * Done in 16 x 16 tiles so both the reads and the writes stay within a few cache lines. */
export function transposeF32(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r0 = 0; r0 < rows; r0 += 16) {
    const r1 = min(rows, r0 + 16);
    for (let c0 = 0; c0 < cols; c0 += 16) {
      const c1 = min(cols, c0 + 16);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          store<f32>(dst + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(src + ((<usize>r * <usize>cols + <usize>c) << 2)));
        }
      }
    }
  }
}

/** Rounds n up to a multiple of 16 (the gemm panel width). */
// @ts-ignore: decorator
@inline export function pad16(n: i32): i32 {
  return (n + 15) & ~15;
}

/** Packs a K x N row-major matrix into 16-column gemm panels (natural column order; dst pad16(N) * K floats, zero-padded). */
// @ts-ignore: decorator
@inline export function packPanels16(src: usize, K: i32, N: i32, dst: usize): void {
  memory.fill(dst, 0, <usize>(pad16(N) * K) << 2);
  packGateColumns(src, N, K, N, 0, 1, N, dst, 16);
}
