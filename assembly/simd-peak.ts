// Reference mul+add throughput for the benchmark's "share of peak".
//
// The loop is the gemm micro-kernel without its B stream: 2 broadcasts x 4 vectors into
// 8 accumulators (8 f32x4 mul+add per trip, 2 trips per counted iteration). Register-only variants with
// 12-16 accumulators measured lower (31-37 GFLOP/s) because V8 spills them and rematerialises
// splatted constants inside the loop; this form reaches ~52 GFLOP/s, which the real gemm
// (43) can be compared against. The two broadcast scalars are re-read from a 64-byte static
// buffer (L1-resident, no memory traffic beyond L1).

import { madd } from './madd';

const PEAK_BUF: usize = memory.data(128, 16);

/** Runs `iterations` x 16 f32x4 mul+add (flops = iterations * 16 * 4 * 2); the returned value
 * depends on every accumulator so the loop cannot be removed. */
export function simdPeak(iterations: i32): f32 {
  return peakLoop(iterations, false);
}

/** simdPeak through `madd` (assembly/madd.ts): the same mul + add in the plain build, one fused
 * f32x4.relaxed_madd in the relaxed build, so the two builds' figures say what fusing buys on
 * this CPU (bench/kernels-quick.mjs --fma). */
export function simdPeakMadd(iterations: i32): f32 {
  return peakLoop(iterations, true);
}

// @ts-ignore: decorator
@inline function peakLoop(iterations: i32, fused: bool): f32 {
  for (let i = 0; i < 32; i++) store<f32>(PEAK_BUF + (<usize>i << 2), <f32>1.0 + <f32>i * <f32>1e-7);
  const b0 = v128.load(PEAK_BUF, 0), b1 = v128.load(PEAK_BUF, 16), b2 = v128.load(PEAK_BUF, 32), b3 = v128.load(PEAK_BUF, 48);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  // One k-step per trip, twice as many trips: a two-step body needs a 16th xmm register and
  // V8 then spills an accumulator, putting a store/load into its add chain (measured 31 vs 52).
  const trips = iterations << 1;
  for (let i = 0; i < trips; i++) {
    const p = PEAK_BUF + 64 + (<usize>(i & 7) << 2);
    const x0 = v128.load32_splat(p), x1 = v128.load32_splat(p, 4);
    if (fused) {
      c0 = madd(c0, x0, b0); c1 = madd(c1, x0, b1); c2 = madd(c2, x0, b2); c3 = madd(c3, x0, b3);
      c4 = madd(c4, x1, b0); c5 = madd(c5, x1, b1); c6 = madd(c6, x1, b2); c7 = madd(c7, x1, b3);
    } else {
      c0 = f32x4.add(c0, f32x4.mul(x0, b0)); c1 = f32x4.add(c1, f32x4.mul(x0, b1));
      c2 = f32x4.add(c2, f32x4.mul(x0, b2)); c3 = f32x4.add(c3, f32x4.mul(x0, b3));
      c4 = f32x4.add(c4, f32x4.mul(x1, b0)); c5 = f32x4.add(c5, f32x4.mul(x1, b1));
      c6 = f32x4.add(c6, f32x4.mul(x1, b2)); c7 = f32x4.add(c7, f32x4.mul(x1, b3));
    }
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
