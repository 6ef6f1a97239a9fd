// The recurrent product of one step with a reduced-precision recurrent kernel: out = h . R for
// every batch row, R packed in 16-column panels (K rows each) of bfloat16 (assembly/bf16.ts'
// lane order, 32 bytes per row) or int8 (assembly/int8.ts, 16 bytes per row, one scale per
// column applied after the sum). The weights are widened to float32 in registers and the sums
// are float32, as in the float32 kernels.
//
// Unlike the float32 sequence kernels, which fuse each unit group's cell update into its dot
// loop, the low-precision cells (low-precision-sequence.ts) run this product for all columns of
// a step first and then the update: one product serves every cell layout (LSTM 16-column groups,
// GRU 12 columns, its two-pass regions, SimpleRNN), and at batch 1 - the case this storage is
// for - the product dominates a step, so the separate update pass costs little.
import { madd } from './madd';
import { bf16Lo, bf16Hi } from './bf16';
import { int8Lo, int8Hi, INT8_WIDEN_FACTOR } from './int8';

/** Bytes of one panel row: 16 columns of int8 or of bfloat16. */
// @ts-ignore: decorator
@inline export function lowPrecisionRowBytes(int8: bool): usize {
  return int8 ? 16 : 32;
}

/** Stores one panel's four column vectors of one row, times their int8 scales (and 2^-16, see int8.ts). */
// @ts-ignore: decorator
@inline function storeColumns(int8: bool, dst: usize, scale: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  if (int8) {
    const unit = f32x4.splat(1 / INT8_WIDEN_FACTOR);
    v0 = f32x4.mul(v0, f32x4.mul(v128.load(scale, 0), unit));
    v1 = f32x4.mul(v1, f32x4.mul(v128.load(scale, 16), unit));
    v2 = f32x4.mul(v2, f32x4.mul(v128.load(scale, 32), unit));
    v3 = f32x4.mul(v3, f32x4.mul(v128.load(scale, 48), unit));
  }
  v128.store(dst, v0, 0);
  v128.store(dst, v1, 16);
  v128.store(dst, v2, 32);
  v128.store(dst, v3, 48);
}

/**
 * out[b][c] = sum_k a[b][k] * R[k][c] for b < B, k < K and the 16 * panels columns of R, whose
 * panels are packed one after the other (K rows each). Rows of a and out are aRow / outRow bytes
 * apart. int8: R[k][c] = scales[c] * q[k][c]. `backwards` walks the panels in reverse order at
 * batch 1 (a sequence kernel sets it on odd steps, so that each step starts on the panels the
 * previous one read last, still cached when R outgrows L2); the order does not change any sum.
 */
// @ts-ignore: decorator
@inline export function lowPrecisionProduct(
  int8: bool, a: usize, aRow: usize, B: i32, K: i32, R: usize, panels: i32, scales: usize, out: usize, outRow: usize, backwards: bool,
): void {
  const rowBytes = lowPrecisionRowBytes(int8);
  const panelBytes = <usize>K * rowBytes;
  const aBytes = <usize>K << 2;
  // Batch 1: two panels per pass over a, 8 accumulators (4 would be bound by the add latency).
  const nPair = B == 1 ? panels & ~1 : 0;
  for (let i = 0; i < nPair; i += 2) {
    const p = backwards ? nPair - 2 - i : i;
    let qA = R + <usize>p * panelBytes;
    let qB = qA + panelBytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let x = a;
    const xEnd = a + aBytes;
    if (int8) {
      while (x < xEnd) {
        const s = v128.load32_splat(x);
        const wa0 = v128.load8x8_s(qA, 0), wa1 = v128.load8x8_s(qA, 8), wb0 = v128.load8x8_s(qB, 0), wb1 = v128.load8x8_s(qB, 8);
        a0 = madd(a0, s, int8Lo(wa0)); a1 = madd(a1, s, int8Hi(wa0));
        a2 = madd(a2, s, int8Lo(wa1)); a3 = madd(a3, s, int8Hi(wa1));
        b0 = madd(b0, s, int8Lo(wb0)); b1 = madd(b1, s, int8Hi(wb0));
        b2 = madd(b2, s, int8Lo(wb1)); b3 = madd(b3, s, int8Hi(wb1));
        x += 4; qA += 16; qB += 16;
      }
    } else {
      while (x < xEnd) {
        const s = v128.load32_splat(x);
        const wa0 = v128.load(qA, 0), wa1 = v128.load(qA, 16), wb0 = v128.load(qB, 0), wb1 = v128.load(qB, 16);
        a0 = madd(a0, s, bf16Lo(wa0)); a1 = madd(a1, s, bf16Hi(wa0));
        a2 = madd(a2, s, bf16Lo(wa1)); a3 = madd(a3, s, bf16Hi(wa1));
        b0 = madd(b0, s, bf16Lo(wb0)); b1 = madd(b1, s, bf16Hi(wb0));
        b2 = madd(b2, s, bf16Lo(wb1)); b3 = madd(b3, s, bf16Hi(wb1));
        x += 4; qA += 32; qB += 32;
      }
    }
    const col = <usize>p << 6; // bytes: 16 floats per panel
    storeColumns(int8, out + col, scales + col, a0, a1, a2, a3);
    storeColumns(int8, out + col + 64, scales + col + 64, b0, b1, b2, b3);
  }
  // Every panel at larger batches (each widened row serves two batch rows; an odd last row runs
  // as its own pair, the copy discarded), the odd one at batch 1.
  for (let p = nPair; p < panels; p++) {
    const panel = R + <usize>p * panelBytes;
    const col = <usize>p << 6;
    for (let b = 0; b < B; b += 2) {
      const x0 = a + <usize>b * aRow;
      const pair = b + 1 < B;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      let xa = x0, xb = pair ? x0 + aRow : x0, q = panel;
      const xEnd = x0 + aBytes;
      while (xa < xEnd) {
        let w0: v128, w1: v128, w2: v128, w3: v128;
        if (int8) {
          const h0 = v128.load8x8_s(q, 0), h1 = v128.load8x8_s(q, 8);
          w0 = int8Lo(h0); w1 = int8Hi(h0); w2 = int8Lo(h1); w3 = int8Hi(h1);
        } else {
          const bw0 = v128.load(q, 0), bw1 = v128.load(q, 16);
          w0 = bf16Lo(bw0); w1 = bf16Hi(bw0); w2 = bf16Lo(bw1); w3 = bf16Hi(bw1);
        }
        const s = v128.load32_splat(xa);
        a0 = madd(a0, s, w0); a1 = madd(a1, s, w1); a2 = madd(a2, s, w2); a3 = madd(a3, s, w3);
        const t = v128.load32_splat(xb);
        b0 = madd(b0, t, w0); b1 = madd(b1, t, w1); b2 = madd(b2, t, w2); b3 = madd(b3, t, w3);
        xa += 4; xb += 4; q += rowBytes;
      }
      const o0 = out + <usize>b * outRow + col;
      storeColumns(int8, o0, scales + col, a0, a1, a2, a3);
      if (pair) storeColumns(int8, o0 + outRow, scales + col, b0, b1, b2, b3);
    }
  }
}
