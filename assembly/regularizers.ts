// Keras' L1 / L2 / L1L2 regularizer penalty and its gradient, for weight and activity
// regularization in training: penalty = l1 sum|x| + l2 sum x^2 (keras/src/regularizers), times
// `scale` (1 for weights, 1 / batch for the activity regularizers of Keras 1 / 2).

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** sign(x) as TensorFlow's: 1, -1, and 0 at 0 (the L1 subgradient Keras' training applies). */
// @ts-ignore: decorator
@inline function signV(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0.0);
  return f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one));
}

/**
 * Returns scale (l1 sum|x| + l2 sum x^2) over n floats at x and adds its gradient
 * scale (l1 sign(x) + 2 l2 x) to g (in place; g may not alias x).
 */
export function regularizerPenalty(x: usize, n: i32, l1: f32, l2: f32, scale: f32, g: usize): f32 {
  const l1v = f32x4.splat(l1 * scale);
  const l2v = f32x4.splat(2 * l2 * scale);
  let a = f32x4.splat(0.0);
  let s = f32x4.splat(0.0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    a = f32x4.add(a, f32x4.abs(v));
    s = f32x4.add(s, f32x4.mul(v, v));
    v128.store(g + o, f32x4.add(v128.load(g + o), f32x4.add(f32x4.mul(signV(v), l1v), f32x4.mul(v, l2v))));
  }
  let ta: f32 = 0;
  let ts: f32 = 0;
  for (let i = n4; i < n; i++) {
    const p = <usize>i << 2;
    const v = load<f32>(x + p);
    ta += Mathf.abs(v);
    ts += v * v;
    const sign: f32 = v > 0 ? 1 : v < 0 ? -1 : 0;
    store<f32>(g + p, load<f32>(g + p) + sign * l1 * scale + v * 2 * l2 * scale);
  }
  return scale * (l1 * (hsum(a) + ta) + l2 * (hsum(s) + ts));
}
