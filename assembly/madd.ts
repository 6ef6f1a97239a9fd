// The multiply-add of the kernels' hot loops, in one place so that one source builds twice:
// `asc --enable relaxed-simd` (build/kerasrnn-relaxed.wasm) turns it into f32x4.relaxed_madd,
// which V8 lowers to one fused vfmadd on x64 with FMA3 (and to mul + add where the CPU has no
// FMA); the plain SIMD build (build/kerasrnn.wasm) keeps mul + add, which every wasm SIMD
// runtime accepts. ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so each build contains
// only its own branch and the plain build's code is what it was before this helper existed.
//
// A fused multiply-add rounds once instead of twice, so the two builds differ in the last bits;
// each build is deterministic on its own (docs/performance.md).

/** acc + a * b per lane: fused in the relaxed build, mul then add in the plain build. */
// @ts-ignore: decorator
@inline export function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * acc + a * b as mul then add in both builds. For loops whose few accumulators make them
 * latency-bound (GRU reset_after = 0: 2 to 4 chains; every one-row loop of the sequence kernels,
 * i.e. batch 1: 4 to 6 chains): there the multiply is off the chain and only the add's latency
 * counts, which a fused multiply-add does not shorten and on some CPUs lengthens (AMD Zen: add 3
 * cycles, FMA 4). Measured: with madd the relaxed build ran GRU 512 at batch 32 7-12 % slower than
 * the plain build in three runs, and at batch 1 (raw kernels, bench/kernels-quick.mjs on both
 * builds, AMD EPYC Zen 5) LSTM 128 0.40 -> 0.50-0.54 ms, LSTM 512 6.0 -> 8.1 ms, SimpleRNN 128
 * 0.09 -> 0.13 ms. V8 keeps each loaded weight vector in its own register, so more chains per
 * loop spill instead (8 accumulators + 8 weights: 2x slower).
 */
// @ts-ignore: decorator
@inline export function mulAdd(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}
