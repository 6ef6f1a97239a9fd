// Backward kernels for training of the activations whose gradient follows from their output, and
// the dropout mask generator (Dense: dense-train.ts). Layouts are Keras': x [batch][steps][features], kernels [in][out].
// Outputs are overwritten, not accumulated. The LSTM's are in lstm-train.ts (SIMD) and
// backward-rnn.ts (masks, reverse, and the plain entry points lstmForwardTrain / lstmBackward).

@inline function f(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline function set(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
/**
 * dz = dy * act'(.) from the activation's output y, for linear (0), tanh (1), sigmoid (2) and
 * relu (5); softmax rows (act 100): dz = y (dy - sum(dy y)) per row of `cols`.
 */
export function activationBackward(y: usize, dy: usize, n: i32, cols: i32, act: i32, dz: usize): void {
  if (act == 100) {
    for (let r = 0; r < n / cols; r++) {
      let dot: f32 = 0;
      for (let k = 0; k < cols; k++) dot += f(dy, r * cols + k) * f(y, r * cols + k);
      for (let k = 0; k < cols; k++) set(dz, r * cols + k, f(y, r * cols + k) * (f(dy, r * cols + k) - dot));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const yi = f(y, i);
    const d = f(dy, i);
    set(dz, i, act == 1 ? d * (1 - yi * yi) : act == 2 ? d * yi * (1 - yi) : act == 5 ? (yi > 0 ? d : 0) : d);
  }
}

/**
 * Inverted dropout mask for training: mask[i] = 1 / (1 - rate) with probability 1 - rate, else 0,
 * from a xorshift32 generator seeded with `seed` (the same seed gives the same mask); returns the
 * generator's next state for the following call.
 */
export function dropoutMask(mask: usize, n: i32, rate: f32, seed: u32): u32 {
  let s: u32 = seed != 0 ? seed : 0x9e3779b9;
  const keep: f32 = 1 / (1 - rate);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    const u = <f32>(s >> 8) * (<f32>1 / <f32>16777216);
    set(mask, i, u >= rate ? keep : 0);
  }
  return s;
}
