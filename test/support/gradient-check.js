// Finite-difference gradient checking shared by the training tests: float32 kernels against
// float64 central differences (h = 1e-5), |g - fd| <= ATOL + RTOL |fd|.
import * as assert from 'uvu/assert';

export const ATOL = 2e-5;
export const RTOL = 2e-3;
const H = 1e-5;

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
