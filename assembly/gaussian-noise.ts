// GaussianNoise in training: additive N(0, stddev²) noise from the trainer's seeded generator.

/**
 * Adds stddev · z to each of the n floats at ptr, z standard normal by Box-Muller from two draws
 * of the xorshift32 generator dropoutMask uses (u1 in (0, 1], u2 in [0, 1), 24-bit); returns the
 * generator's next state.
 */
export function gaussianNoise(ptr: usize, n: i32, stddev: f32, seed: u32): u32 {
  let s: u32 = seed != 0 ? seed : 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    const u1 = <f64>((s >> 8) + 1) / 16777216.0;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    const u2 = <f64>(s >> 8) / 16777216.0;
    const z = Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    const p = ptr + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + <f32>(<f64>stddev * z));
  }
  return s;
}
