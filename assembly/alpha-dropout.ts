// AlphaDropout in training (Keras 2 / 3 `AlphaDropout.call`): kept values a x + b, dropped ones
// the constant a alpha' + b (alpha' = -selu alpha * selu scale), so that SELU activations keep
// their mean and variance; the gradient is a where kept, 0 where dropped.

/**
 * From an inverted-dropout mask (dropoutMask: > 0 where kept): out = kept ? a x + b : dropped,
 * slope = kept ? a : 0 (d out / d x, for the backward pass).
 */
export function alphaDropoutApply(x: usize, mask: usize, n: i32, a: f32, b: f32, dropped: f32, out: usize, slope: usize): void {
  const zero = f32x4.splat(0.0);
  const av = f32x4.splat(a);
  const bv = f32x4.splat(b);
  const dv = f32x4.splat(dropped);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const kept = f32x4.gt(v128.load(mask + o), zero);
    v128.store(out + o, v128.bitselect(f32x4.add(f32x4.mul(v128.load(x + o), av), bv), dv, kept));
    v128.store(slope + o, v128.and(av, kept));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const kept = load<f32>(mask + o) > 0;
    store<f32>(out + o, kept ? load<f32>(x + o) * a + b : dropped);
    store<f32>(slope + o, kept ? a : 0);
  }
}
