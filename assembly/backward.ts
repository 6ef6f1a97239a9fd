// Backward kernels for training (scalar loops, correctness first; the fused SIMD versions come
// when the training loop does). Layouts are Keras': x [batch][steps][features], kernels
// [in][out] with LSTM gate blocks i, f, c, o. Outputs are overwritten, not accumulated.

@inline function f(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline function set(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
@inline function sigmoid(x: f32): f32 {
  return 1 / (1 + Mathf.exp(-x));
}

/** LSTM gate activation by id: 2 sigmoid, 3 Keras 1/2 hard_sigmoid clip(0.2x + 0.5, 0, 1), 4 Keras 3 hard_sigmoid relu6(x + 3) / 6. */
@inline function gate(x: f32, recAct: i32): f32 {
  if (recAct == 3) return min(max(<f32>0.2 * x + 0.5, <f32>0), <f32>1);
  if (recAct == 4) return min(max(x + 3, <f32>0), <f32>6) / 6;
  return sigmoid(x);
}

/** d gate / d x from the gate's output y (0 where a hard sigmoid is saturated). */
@inline function gateSlope(y: f32, recAct: i32): f32 {
  if (recAct == 3) return y > 0 && y < 1 ? <f32>0.2 : 0;
  if (recAct == 4) return y > 0 && y < 1 ? <f32>1 / 6 : 0;
  return y * (1 - y);
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

/** Dense backward from dz ([M][N], the gradient before the activation): dW = x^T dz, db = sum dz, dx = dz W^T. */
export function denseBackward(x: usize, dz: usize, M: i32, K: i32, N: i32, W: usize, dx: usize, dW: usize, db: usize): void {
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      let s: f32 = 0;
      for (let m = 0; m < M; m++) s += f(x, m * K + k) * f(dz, m * N + n);
      set(dW, k * N + n, s);
    }
  }
  if (db) {
    for (let n = 0; n < N; n++) {
      let s: f32 = 0;
      for (let m = 0; m < M; m++) s += f(dz, m * N + n);
      set(db, n, s);
    }
  }
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      let s: f32 = 0;
      for (let n = 0; n < N; n++) s += f(dz, m * N + n) * f(W, k * N + n);
      set(dx, m * K + k, s);
    }
  }
}

/**
 * LSTM forward for training (tanh activation, gates by `recAct` as in {@link gate}, zero initial state), keeping what
 * backpropagation through time needs: gates [B][T][4U] after activation (i, f, c~, o), cell
 * states cs [B][T][U] and outputs hs [B][T][U].
 */
export function lstmForwardTrain(x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, b: usize, recAct: i32, gates: usize, cs: usize, hs: usize): void {
  const G = 4 * U;
  for (let bi = 0; bi < B; bi++) {
    for (let t = 0; t < T; t++) {
      const row = bi * T + t;
      for (let j = 0; j < G; j++) {
        let z: f32 = b ? f(b, j) : 0;
        for (let d = 0; d < D; d++) z += f(x, row * D + d) * f(W, d * G + j);
        if (t > 0) for (let u = 0; u < U; u++) z += f(hs, (row - 1) * U + u) * f(R, u * G + j);
        set(gates, row * G + j, j >= 2 * U && j < 3 * U ? Mathf.tanh(z) : gate(z, recAct));
      }
      for (let u = 0; u < U; u++) {
        const ig = f(gates, row * G + u);
        const fg = f(gates, row * G + U + u);
        const cg = f(gates, row * G + 2 * U + u);
        const og = f(gates, row * G + 3 * U + u);
        const c = fg * (t > 0 ? f(cs, (row - 1) * U + u) : 0) + ig * cg;
        set(cs, row * U + u, c);
        set(hs, row * U + u, og * Mathf.tanh(c));
      }
    }
  }
}

/**
 * LSTM backpropagation through time over the whole sequence (gates as in {@link lstmForwardTrain}). dhs [B][T][U] is d(loss)/d(h_t)
 * from above (zeros except the last step when the layer does not return sequences). Writes dx
 * [B][T][D], dW [D][4U], dR [U][4U], db [4U] (if db != 0). scratch: 4U + 2U floats.
 */
export function lstmBackward(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, recAct: i32, gates: usize, cs: usize, hs: usize, dhs: usize,
  dx: usize, dW: usize, dR: usize, db: usize, scratch: usize,
): void {
  const G = 4 * U;
  memory.fill(dW, 0, <usize>(D * G) << 2);
  memory.fill(dR, 0, <usize>(U * G) << 2);
  if (db) memory.fill(db, 0, <usize>G << 2);
  const dz = scratch;
  const dhNext = scratch + (<usize>G << 2);
  const dcNext = dhNext + (<usize>U << 2);
  for (let bi = 0; bi < B; bi++) {
    memory.fill(dhNext, 0, <usize>(2 * U) << 2);
    for (let t = T - 1; t >= 0; t--) {
      const row = bi * T + t;
      for (let u = 0; u < U; u++) {
        const ig = f(gates, row * G + u);
        const fg = f(gates, row * G + U + u);
        const cg = f(gates, row * G + 2 * U + u);
        const og = f(gates, row * G + 3 * U + u);
        const c = f(cs, row * U + u);
        const tc = Mathf.tanh(c);
        const dh = f(dhs, row * U + u) + f(dhNext, u);
        const dc = dh * og * (1 - tc * tc) + f(dcNext, u);
        const cPrev: f32 = t > 0 ? f(cs, (row - 1) * U + u) : 0;
        set(dz, u, dc * cg * gateSlope(ig, recAct));
        set(dz, U + u, dc * cPrev * gateSlope(fg, recAct));
        set(dz, 2 * U + u, dc * ig * (1 - cg * cg));
        set(dz, 3 * U + u, dh * tc * gateSlope(og, recAct));
        set(dcNext, u, dc * fg);
      }
      for (let j = 0; j < G; j++) {
        const g = f(dz, j);
        for (let d = 0; d < D; d++) set(dW, d * G + j, f(dW, d * G + j) + f(x, row * D + d) * g);
        if (t > 0) for (let u = 0; u < U; u++) set(dR, u * G + j, f(dR, u * G + j) + f(hs, (row - 1) * U + u) * g);
        if (db) set(db, j, f(db, j) + g);
      }
      for (let d = 0; d < D; d++) {
        let s: f32 = 0;
        for (let j = 0; j < G; j++) s += f(dz, j) * f(W, d * G + j);
        set(dx, row * D + d, s);
      }
      for (let u = 0; u < U; u++) {
        let s: f32 = 0;
        for (let j = 0; j < G; j++) s += f(dz, j) * f(R, u * G + j);
        set(dhNext, u, s);
      }
    }
  }
}

/** Dense pre-activation for training: z = x W + b ([M][K] x [K][N]). */
export function denseForwardTrain(x: usize, M: i32, K: i32, N: i32, W: usize, b: usize, z: usize): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s: f32 = b ? f(b, n) : 0;
      for (let k = 0; k < K; k++) s += f(x, m * K + k) * f(W, k * N + n);
      set(z, m * N + n, s);
    }
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
