// C = A x B (+ bias) with B pre-packed in 16-column panels (see pack-gates.ts).
//
// Why a 2-row x 16-column register block (8 f32x4 accumulators) and not 4x16: V8 (TurboFan,
// x64) has 15 allocatable xmm registers and rematerialises/spills aggressively. 4x16 needs
// 16 accumulators + 4 B vectors + 1 broadcast of A and spilled, measured 31 GFLOP/s on the
// 3200x64x2048 benchmark shape; 2x16 (8 + 4 + 1 + 1 temp = 14 registers) measured 43 GFLOP/s,
// with the mul+add peak of this machine at ~52 GFLOP/s (simdPeak). 8 independent add chains
// also cover the add latency (3-4 cycles at 2 adds/cycle). Unrolling k made it slower
// (register pressure again).

import { madd } from './madd';

/** 64 zero bytes: the "bias" of a gemm without bias, so the kernel has a single code path. */
const ZERO64: usize = memory.data(64, 16);

/** Rows of A processed against one panel before moving to the next panel: the A rows of a
 * chunk (<= 64 KiB) stay in L2 while each 16-column panel (K x 64 bytes) streams from L1. */
const A_CHUNK_BYTES: i32 = 65536;

/** Stores the first `cols` (1..15) columns of a 16-column row block. */
function storeCols(c: usize, v0: v128, v1: v128, v2: v128, v3: v128, cols: i32): void {
  let p = c;
  let rest = cols;
  if (rest >= 4) { v128.store(p, v0); p += 16; rest -= 4; v0 = v1; v1 = v2; v2 = v3; }
  if (rest >= 4) { v128.store(p, v0); p += 16; rest -= 4; v0 = v1; v1 = v2; }
  if (rest >= 4) { v128.store(p, v0); p += 16; rest -= 4; v0 = v1; }
  if (rest > 0) {
    store<f32>(p, f32x4.extract_lane(v0, 0));
    if (rest > 1) store<f32>(p, f32x4.extract_lane(v0, 1), 4);
    if (rest > 2) store<f32>(p, f32x4.extract_lane(v0, 2), 8);
  }
}

// @ts-ignore: decorator
@inline function block2(a0: usize, a1: usize, bp: usize, K: i32, init0: usize, init1: usize, c0: usize, c1: usize, cols: i32): void {
  let x00 = v128.load(init0, 0), x01 = v128.load(init0, 16), x02 = v128.load(init0, 32), x03 = v128.load(init0, 48);
  let x10 = v128.load(init1, 0), x11 = v128.load(init1, 16), x12 = v128.load(init1, 32), x13 = v128.load(init1, 48);
  let b = bp;
  const aEnd = a0 + (<usize>K << 2);
  // dot-loop rows=a0:x00,x01,x02,x03 a1:x10,x11,x12,x13 w=b step=64
  while (a0 < aEnd) {
    const w0 = v128.load(b, 0), w1 = v128.load(b, 16), w2 = v128.load(b, 32), w3 = v128.load(b, 48);
    const s0 = v128.load32_splat(a0);
    x00 = madd(x00, s0, w0); x01 = madd(x01, s0, w1);
    x02 = madd(x02, s0, w2); x03 = madd(x03, s0, w3);
    const s1 = v128.load32_splat(a1);
    x10 = madd(x10, s1, w0); x11 = madd(x11, s1, w1);
    x12 = madd(x12, s1, w2); x13 = madd(x13, s1, w3);
    a0 += 4; a1 += 4; b += 64;
  }
  // end dot-loop
  if (cols == 16) {
    v128.store(c0, x00, 0); v128.store(c0, x01, 16); v128.store(c0, x02, 32); v128.store(c0, x03, 48);
    v128.store(c1, x10, 0); v128.store(c1, x11, 16); v128.store(c1, x12, 32); v128.store(c1, x13, 48);
  } else {
    storeCols(c0, x00, x01, x02, x03, cols);
    storeCols(c1, x10, x11, x12, x13, cols);
  }
}

// @ts-ignore: decorator
@inline function block1(a0: usize, bp: usize, K: i32, init0: usize, c0: usize, cols: i32): void {
  let x00 = v128.load(init0, 0), x01 = v128.load(init0, 16), x02 = v128.load(init0, 32), x03 = v128.load(init0, 48);
  let b = bp;
  const aEnd = a0 + (<usize>K << 2);
  // dot-loop rows=a0:x00,x01,x02,x03 w=b step=64
  while (a0 < aEnd) {
    const s0 = v128.load32_splat(a0);
    x00 = madd(x00, s0, v128.load(b, 0)); x01 = madd(x01, s0, v128.load(b, 16));
    x02 = madd(x02, s0, v128.load(b, 32)); x03 = madd(x03, s0, v128.load(b, 48));
    a0 += 4; b += 64;
  }
  // end dot-loop
  if (cols == 16) {
    v128.store(c0, x00, 0); v128.store(c0, x01, 16); v128.store(c0, x02, 32); v128.store(c0, x03, 48);
  } else {
    storeCols(c0, x00, x01, x02, x03, cols);
  }
}

/** C[m, 0..N) = A[m, 0..K) x B + bias for m < M. A row-major with lda floats per row, Bp packed
 * with panel width 16 (K x 16 floats per panel, zero-padded), C row-major with ldc floats per
 * row; only the N real columns of a row are written. bias: 0 or ceil(N/16)*16 floats. */
export function gemm(A: usize, lda: i32, M: i32, K: i32, Bp: usize, N: i32, C: usize, ldc: i32, bias: usize): void {
  gemmRun(false, A, lda, M, K, Bp, N, C, ldc, bias);
}

/** C += A x B: the gemm with each accumulator starting from C instead of the bias, so C[m][n]
 * gets exactly the sum a fused kernel forms when it starts from C and adds k in order. N must be
 * a multiple of 16 (C's rows are read and written as whole 16-column blocks). */
export function gemmAccumulate(A: usize, lda: i32, M: i32, K: i32, Bp: usize, N: i32, C: usize, ldc: i32): void {
  gemmRun(true, A, lda, M, K, Bp, N, C, ldc, 0);
}

// @ts-ignore: decorator
@inline function gemmRun(accumulate: bool, A: usize, lda: i32, M: i32, K: i32, Bp: usize, N: i32, C: usize, ldc: i32, bias: usize): void {
  if (M <= 0 || N <= 0) return;
  const ldaB = <usize>lda << 2;
  const ldcB = <usize>ldc << 2;
  const panels = (N + 15) >> 4;
  const panelBytes = <usize>K << 6;
  let chunk = K > 0 ? (A_CHUNK_BYTES / (K << 2)) & ~1 : M;
  if (chunk < 2) chunk = 2;
  for (let m0 = 0; m0 < M; m0 += chunk) {
    const m1 = min(M, m0 + chunk);
    for (let p = 0; p < panels; p++) {
      const bp = Bp + <usize>p * panelBytes;
      const bb = bias ? bias + (<usize>p << 6) : ZERO64;
      const cols = min(16, N - (p << 4));
      const cOff = <usize>p << 6;
      let m = m0;
      for (; m + 2 <= m1; m += 2) {
        const a0 = A + <usize>m * ldaB;
        const c0 = C + <usize>m * ldcB + cOff;
        block2(a0, a0 + ldaB, bp, K, accumulate ? c0 : bb, accumulate ? c0 + ldcB : bb, c0, c0 + ldcB, cols);
      }
      if (m < m1) {
        const c0 = C + <usize>m * ldcB + cOff;
        block1(A + <usize>m * ldaB, bp, K, accumulate ? c0 : bb, c0, cols);
      }
    }
  }
}
