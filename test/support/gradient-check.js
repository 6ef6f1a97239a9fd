// Shared by the gradient checks (test/training/gradients.test.js, layer-gradients.test.js,
// lstm-train-kernels.test.js): the finite-difference tolerances and check, a seeded generator,
// and float64 references written without kerasrnn (a Keras LSTM forward pass, an affine map).
import * as assert from 'uvu/assert';

/** float32 kernels against float64 central differences (step H): |g - fd| <= ATOL + RTOL |fd|. */
export const ATOL = 2e-5;
export const RTOL = 2e-3;
export const H = 1e-5;

/** A seeded generator of values in [-0.5, 0.5). */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** Central differences of f (float64) with respect to each entry of `param` (null where `skip(i)`). */
export function finiteDifferences(param, f, skip = () => false) {
  return Array.from(param, (_, i) => {
    if (skip(i)) return null;
    const keep = param[i];
    param[i] = keep + H;
    const up = f();
    param[i] = keep - H;
    const down = f();
    param[i] = keep;
    return (up - down) / (2 * H);
  });
}

/** Asserts every `got[i]` is within the tolerance of `fd[i]` (null entries skipped); returns the worst error as a fraction of it. */
export function check(label, got, fd) {
  assert.is(got.length, fd.length, label);
  let worst = 0;
  fd.forEach((e, i) => {
    if (e === null) return;
    const err = Math.abs(got[i] - e);
    assert.ok(err <= ATOL + RTOL * Math.abs(e), `${label}[${i}]: kernel ${got[i]} vs finite difference ${e}`);
    worst = Math.max(worst, err / (ATOL + RTOL * Math.abs(e)));
  });
  return worst;
}

/** Float64 x·W + b for x [M][K], W [K][N], b [N] or null: the affine part of a Dense reference. */
export function affine64(x, M, K, W, b, N) {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = b ? b[n] : 0;
      for (let k = 0; k < K; k++) s += x[m * K + k] * W[k * N + n];
      y[m * N + n] = s;
    }
  }
  return y;
}

// The LSTM forward: gate blocks
// i, f, c, o of kernel [D][4U], recurrent kernel [U][4U], bias [4U]; optional initial states
// h0 / c0 [B][U] and Keras' per-sample dropout masks (xMask [B][D] on the inputs, hMask [B][U] on
// h_{t-1}, the same at every step). Returns every step's h, [B][T][U].

/** Gate functions by name and by the kernels' ids (2 sigmoid, 3 Keras 1/2 hard_sigmoid, 4 Keras 3 hard_sigmoid). */
export const LSTM_GATES64 = {
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  hard_sigmoid_keras2: (z) => Math.min(Math.max(0.2 * z + 0.5, 0), 1),
  hard_sigmoid_keras3: (z) => Math.min(Math.max(z + 3, 0), 6) / 6,
};
LSTM_GATES64[2] = LSTM_GATES64.sigmoid;
LSTM_GATES64[3] = LSTM_GATES64.hard_sigmoid_keras2;
LSTM_GATES64[4] = LSTM_GATES64.hard_sigmoid_keras3;

export function lstm64({ x, W, R, b, h0, c0, xMask, hMask }, B, T, D, U, gate = 'sigmoid') {
  const G = 4 * U;
  const sig = LSTM_GATES64[gate];
  const hs = new Float64Array(B * T * U);
  for (let bi = 0; bi < B; bi++) {
    const h = h0 ? Float64Array.from(h0.subarray(bi * U, (bi + 1) * U)) : new Float64Array(U);
    const c = c0 ? Float64Array.from(c0.subarray(bi * U, (bi + 1) * U)) : new Float64Array(U);
    for (let t = 0; t < T; t++) {
      const z = new Float64Array(G);
      for (let j = 0; j < G; j++) {
        let s = b ? b[j] : 0;
        for (let d = 0; d < D; d++) s += x[(bi * T + t) * D + d] * (xMask ? xMask[bi * D + d] : 1) * W[d * G + j];
        for (let u = 0; u < U; u++) s += h[u] * (hMask ? hMask[bi * U + u] : 1) * R[u * G + j];
        z[j] = s;
      }
      for (let u = 0; u < U; u++) {
        c[u] = sig(z[U + u]) * c[u] + sig(z[u]) * Math.tanh(z[2 * U + u]);
        h[u] = sig(z[3 * U + u]) * Math.tanh(c[u]);
        hs[(bi * T + t) * U + u] = h[u];
      }
    }
  }
  return hs;
}

/**
 * Checks every layer's weight gradients `grads` (by layer name, from chainGradients) against
 * central finite differences of `loss` over `weights` (layer name -> [{ name, data: Float64Array }]);
 * returns the worst error as a fraction of the tolerance.
 */
export function checkWeightGradients(file, weights, grads, loss) {
  let worst = 0;
  for (const [layer, ws] of weights) {
    const got = grads.get(layer);
    assert.ok(got, `${file}: gradients of ${layer}`);
    assert.is(got.length, ws.length, `${file} ${layer}: one gradient per weight`);
    ws.forEach((w, i) => {
      worst = Math.max(worst, check(`${file} ${layer} ${w.name}`, got[i], finiteDifferences(w.data, loss)));
    });
  }
  return worst;
}

/** erf in float64 (a Taylor series, a continued fraction of erfc beyond 3): Abramowitz-Stegun 7.1.26 is too coarse for finite differences. */
function erf(x) {
  const t = Math.abs(x);
  if (t < 3) {
    // Taylor series, converges fast for |x| < 3 in float64
    let sum = t, term = t;
    for (let n = 1; n < 200; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}
const softplus = (z) => Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0);
const relu6 = (z) => Math.min(Math.max(z, 0), 6);
/** Keras' activations (keras/src/activations/activations.py; Keras 2 hard_sigmoid from keras/backend) in float64. */
export const KERAS_ACTIVATIONS = {
  linear: (z) => z,
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  relu: (z) => Math.max(0, z),
  elu: (z) => (z > 0 ? z : Math.exp(z) - 1),
  selu: (z) => 1.0507009873554804934193349852946 * (z > 0 ? z : 1.6732632423543772848170429916717 * (Math.exp(z) - 1)),
  softplus,
  softsign: (z) => z / (1 + Math.abs(z)),
  exponential: Math.exp,
  swish: (z) => z / (1 + Math.exp(-z)),
  silu: (z) => z / (1 + Math.exp(-z)),
  gelu: (z) => 0.5 * z * (1 + erf(z / Math.SQRT2)),
  gelu_approximate: (z) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3))),
  relu6,
  leaky_relu: (z) => (z > 0 ? z : 0.2 * z),
  hard_silu: (z) => (z * relu6(z + 3)) / 6,
  mish: (z) => z * Math.tanh(softplus(z)),
  hard_tanh: (z) => Math.min(Math.max(z, -1), 1),
  hard_sigmoid_keras2: (z) => Math.min(Math.max(0.2 * z + 0.5, 0), 1),
  hard_sigmoid_keras3: (z) => relu6(z + 3) / 6,
};
