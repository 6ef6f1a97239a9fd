// Optimizer update kernels: one call updates one variable in place from its gradient, with the
// slot arrays (momentum, velocity, accumulator) the optimizer keeps per variable. Scalars that do
// not depend on the element (learning rate after schedules / decay, Adam's bias correction) are
// computed by the caller. The formulas, with the Keras versions that use each form, are in
// src/training/optimizers.ts; float32 arithmetic as Keras' float32 variables.
// Each kernel runs four lanes at a time (f32x4); the last n % 4 elements go through the same
// f32x4 operations on a partial vector (lanesAt / storeLanes). Every lane op is IEEE float32
// (wasm SIMD has no fused multiply-add), so each element gets the bits a scalar loop would give.
import { loadPartial, storePartial } from './activations';

/** The k (1..4) floats at p as a vector (lanes past k are 0). */
// @ts-ignore: decorator
@inline function lanesAt(p: usize, k: i32): v128 {
  return k == 4 ? v128.load(p) : loadPartial(p, k, 0);
}

/** Stores the low k (1..4) lanes of v at p. */
// @ts-ignore: decorator
@inline function storeLanes(p: usize, v: v128, k: i32): void {
  if (k == 4) v128.store(p, v);
  else storePartial(p, v, k);
}

/** Lanes in the chunk that starts at byte offset o of an n-float array: 4, or the tail's n % 4. */
// @ts-ignore: decorator
@inline function chunkLanes(o: usize, n: i32): i32 {
  return min(n - <i32>(o >> 2), 4);
}

/** One chunk of {@link sgdUpdate}: k lanes at byte offset o. */
// @ts-ignore: decorator
@inline function sgdLanes(w: usize, g: usize, m: usize, k: i32, lrv: v128, muv: v128, momentum: f32, nesterov: i32): void {
  const gl = f32x4.mul(lanesAt(g, k), lrv);
  if (momentum == 0) {
    storeLanes(w, f32x4.sub(lanesAt(w, k), gl), k);
    return;
  }
  const mi = f32x4.sub(f32x4.mul(lanesAt(m, k), muv), gl);
  storeLanes(m, mi, k);
  storeLanes(w, f32x4.add(lanesAt(w, k), nesterov ? f32x4.sub(f32x4.mul(mi, muv), gl) : mi), k);
}

/**
 * SGD. Without momentum: w -= lr g. With momentum: m = momentum m - lr g, then w += m, or with
 * Nesterov w += momentum m - lr g (Keras 2 and 3 alike).
 */
export function sgdUpdate(w: usize, g: usize, m: usize, n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  const lrv = f32x4.splat(lr);
  const muv = f32x4.splat(momentum);
  const end = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= end; o += 16) sgdLanes(w + o, g + o, m + o, 4, lrv, muv, momentum, nesterov);
  if (o < end) sgdLanes(w + o, g + o, m + o, chunkLanes(o, n), lrv, muv, momentum, nesterov);
}

/** One chunk of {@link rmspropUpdate}. */
// @ts-ignore: decorator
@inline function rmspropLanes(
  w: usize, g: usize, v: usize, mom: usize, avg: usize, k: i32,
  lrv: v128, rhov: v128, rho1: v128, muv: v128, epsv: v128, momentum: f32, centered: i32, form: i32,
): void {
  const gi = lanesAt(g, k);
  const vi = f32x4.add(f32x4.mul(rhov, lanesAt(v, k)), f32x4.mul(rho1, f32x4.mul(gi, gi)));
  storeLanes(v, vi, k);
  let d = vi;
  if (centered) {
    const ai = f32x4.add(f32x4.mul(rhov, lanesAt(avg, k)), f32x4.mul(rho1, gi));
    storeLanes(avg, ai, k);
    d = f32x4.sub(vi, f32x4.mul(ai, ai));
  }
  const num = f32x4.mul(lrv, gi);
  let inc = form == 0 ? f32x4.div(num, f32x4.sqrt(f32x4.add(d, epsv))) : f32x4.div(num, f32x4.add(f32x4.sqrt(d), epsv));
  if (momentum > 0) {
    inc = f32x4.add(f32x4.mul(muv, lanesAt(mom, k)), inc);
    storeLanes(mom, inc, k);
  }
  storeLanes(w, f32x4.sub(lanesAt(w, k), inc), k);
}

/**
 * RMSprop. v = rho v + (1 - rho) g^2 (centered: also a = rho a + (1 - rho) g, denominator
 * v - a^2); increment = lr g / sqrt(denominator + eps) (form 0) or lr g / (sqrt(denominator) +
 * eps) (form 1). With momentum: mom = momentum mom + increment, w -= mom; else w -= increment.
 */
export function rmspropUpdate(
  w: usize, g: usize, v: usize, mom: usize, avg: usize, n: i32,
  lr: f32, rho: f32, momentum: f32, eps: f32, centered: i32, form: i32,
): void {
  const lrv = f32x4.splat(lr);
  const rhov = f32x4.splat(rho);
  const rho1 = f32x4.splat(1 - rho);
  const muv = f32x4.splat(momentum);
  const epsv = f32x4.splat(eps);
  const end = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= end; o += 16) rmspropLanes(w + o, g + o, v + o, mom + o, avg + o, 4, lrv, rhov, rho1, muv, epsv, momentum, centered, form);
  if (o < end) rmspropLanes(w + o, g + o, v + o, mom + o, avg + o, chunkLanes(o, n), lrv, rhov, rho1, muv, epsv, momentum, centered, form);
}

/** One chunk of {@link adamUpdate}. */
// @ts-ignore: decorator
@inline function adamLanes(
  w: usize, g: usize, m: usize, v: usize, vhat: usize, k: i32,
  av: v128, b1: v128, b2: v128, epsv: v128, dv: v128, amsgrad: i32, decay: f32,
): void {
  let wi = lanesAt(w, k);
  if (decay != 0) wi = f32x4.sub(wi, f32x4.mul(wi, dv));
  const gi = lanesAt(g, k);
  let mi = lanesAt(m, k);
  mi = f32x4.add(mi, f32x4.mul(f32x4.sub(gi, mi), b1));
  storeLanes(m, mi, k);
  let vi = lanesAt(v, k);
  vi = f32x4.add(vi, f32x4.mul(f32x4.sub(f32x4.mul(gi, gi), vi), b2));
  storeLanes(v, vi, k);
  if (amsgrad) {
    vi = f32x4.max(lanesAt(vhat, k), vi);
    storeLanes(vhat, vi, k);
  }
  storeLanes(w, f32x4.sub(wi, f32x4.div(f32x4.mul(mi, av), f32x4.add(f32x4.sqrt(vi), epsv))), k);
}

/**
 * Adam / AdamW / AMSGrad. Decoupled weight decay first (AdamW: w -= w wd lr, 0 for Adam); then
 * m += (g - m)(1 - beta1), v += (g^2 - v)(1 - beta2), AMSGrad: vhat = max(vhat, v) used for v;
 * w -= m alpha / (sqrt(v) + eps) with alpha = lr sqrt(1 - beta2^t) / (1 - beta1^t).
 */
export function adamUpdate(
  w: usize, g: usize, m: usize, v: usize, vhat: usize, n: i32,
  alpha: f32, beta1: f32, beta2: f32, eps: f32, amsgrad: i32, decay: f32,
): void {
  const av = f32x4.splat(alpha);
  const b1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(1 - beta2);
  const epsv = f32x4.splat(eps);
  const dv = f32x4.splat(decay);
  const end = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= end; o += 16) adamLanes(w + o, g + o, m + o, v + o, vhat + o, 4, av, b1, b2, epsv, dv, amsgrad, decay);
  if (o < end) adamLanes(w + o, g + o, m + o, v + o, vhat + o, chunkLanes(o, n), av, b1, b2, epsv, dv, amsgrad, decay);
}

/** One chunk of {@link adagradUpdate}. */
// @ts-ignore: decorator
@inline function adagradLanes(w: usize, g: usize, acc: usize, k: i32, lrv: v128, epsv: v128, form: i32): void {
  const gi = lanesAt(g, k);
  const a = f32x4.add(lanesAt(acc, k), f32x4.mul(gi, gi));
  storeLanes(acc, a, k);
  const d = form == 0 ? f32x4.sqrt(f32x4.add(a, epsv)) : f32x4.add(f32x4.sqrt(a), epsv);
  storeLanes(w, f32x4.sub(lanesAt(w, k), f32x4.div(f32x4.mul(lrv, gi), d)), k);
}

/**
 * Adagrad. acc += g^2; w -= lr g / sqrt(acc + eps) (form 0) or lr g / (sqrt(acc) + eps) (form 1).
 */
export function adagradUpdate(w: usize, g: usize, acc: usize, n: i32, lr: f32, eps: f32, form: i32): void {
  const lrv = f32x4.splat(lr);
  const epsv = f32x4.splat(eps);
  const end = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= end; o += 16) adagradLanes(w + o, g + o, acc + o, 4, lrv, epsv, form);
  if (o < end) adagradLanes(w + o, g + o, acc + o, chunkLanes(o, n), lrv, epsv, form);
}

/** Sum of squares of n floats (f64 accumulation), for clipnorm / global_clipnorm. */
export function sumSquaresF32(p: usize, n: i32): f64 {
  const n4 = n & ~3;
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i < n4; i += 4) {
    const x = v128.load(p + (<usize>i << 2));
    const sq = f32x4.mul(x, x);
    acc = f64x2.add(acc, f64x2.promote_low_f32x4(sq));
    acc = f64x2.add(acc, f64x2.promote_low_f32x4(i32x4.shuffle(sq, sq, 2, 3, 0, 1)));
  }
  let total = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const x = load<f32>(p + (<usize>i << 2));
    total += <f64>(x * x);
  }
  return total;
}

/** clipvalue: every element clipped to [-c, c]. */
export function clipValueF32(p: usize, n: i32, c: f32): void {
  const n4 = n & ~3;
  const hi = f32x4.splat(c);
  const lo = f32x4.splat(-c);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(p + o, f32x4.pmin(hi, f32x4.pmax(lo, v128.load(p + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(p + o, min(c, max(-c, load<f32>(p + o))));
  }
}

/** Decoupled weight decay (Keras 3 / tf.keras 2.11+ `weight_decay` of any optimizer): w -= w d, d = wd lr. */
export function decayWeightsF32(w: usize, n: i32, d: f32): void {
  const dv = f32x4.splat(d);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 16) {
    const k = chunkLanes(o, n);
    const wi = lanesAt(w + o, k);
    storeLanes(w + o, f32x4.sub(wi, f32x4.mul(wi, dv)), k);
  }
}
