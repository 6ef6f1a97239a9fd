// The benchmark's input values: a fixed xorshift32 stream in [-1, 1), so every peer and every
// build sees the same numbers on every run.

/** `n` deterministic floats in [-1, 1). */
export function benchInput(n) {
  const x = new Float32Array(n);
  let s = 0x2545f491;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return x;
}
