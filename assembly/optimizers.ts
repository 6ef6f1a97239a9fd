// Optimizer update kernels: one call updates one variable in place from its gradient, with the
// slot arrays (momentum, velocity, accumulator) the optimizer keeps per variable. Scalars that do
// not depend on the element (learning rate after schedules / decay, Adam's bias correction) are
// computed by the caller. The formulas, with the Keras versions that use each form, are in
// src/training/optimizers.ts; float32 arithmetic as Keras' float32 variables.
// Each kernel runs four lanes at a time (f32x4) and the same operations, in the same order, on the
// last n % 4 elements: every lane op is IEEE float32 (wasm SIMD has no fused multiply-add), so the
// vector and scalar paths give the same bits.

/**
 * SGD. Without momentum: w -= lr g. With momentum: m = momentum m - lr g, then w += m, or with
 * Nesterov w += momentum m - lr g (Keras 2 and 3 alike).
 */
export function sgdUpdate(w: usize, g: usize, m: usize, n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  const n4 = n & ~3;
  const lrv = f32x4.splat(lr);
  const muv = f32x4.splat(momentum);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const gl = f32x4.mul(gi, lrv);
    if (momentum == 0) {
      v128.store(w + o, f32x4.sub(v128.load(w + o), gl));
      continue;
    }
    const mi = f32x4.sub(f32x4.mul(v128.load(m + o), muv), gl);
    v128.store(m + o, mi);
    v128.store(w + o, f32x4.add(v128.load(w + o), nesterov ? f32x4.sub(f32x4.mul(mi, muv), gl) : mi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    if (momentum == 0) {
      store<f32>(w + o, load<f32>(w + o) - gi * lr);
      continue;
    }
    const mi = load<f32>(m + o) * momentum - gi * lr;
    store<f32>(m + o, mi);
    store<f32>(w + o, load<f32>(w + o) + (nesterov ? mi * momentum - gi * lr : mi));
  }
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
  const n4 = n & ~3;
  const rhov = f32x4.splat(rho);
  const rho1 = f32x4.splat(1 - rho);
  const lrv = f32x4.splat(lr);
  const epsv = f32x4.splat(eps);
  const muv = f32x4.splat(momentum);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const vi = f32x4.add(f32x4.mul(rhov, v128.load(v + o)), f32x4.mul(rho1, f32x4.mul(gi, gi)));
    v128.store(v + o, vi);
    let d = vi;
    if (centered) {
      const ai = f32x4.add(f32x4.mul(rhov, v128.load(avg + o)), f32x4.mul(rho1, gi));
      v128.store(avg + o, ai);
      d = f32x4.sub(vi, f32x4.mul(ai, ai));
    }
    const num = f32x4.mul(lrv, gi);
    const inc = form == 0 ? f32x4.div(num, f32x4.sqrt(f32x4.add(d, epsv))) : f32x4.div(num, f32x4.add(f32x4.sqrt(d), epsv));
    if (momentum > 0) {
      const mi = f32x4.add(f32x4.mul(muv, v128.load(mom + o)), inc);
      v128.store(mom + o, mi);
      v128.store(w + o, f32x4.sub(v128.load(w + o), mi));
    } else {
      v128.store(w + o, f32x4.sub(v128.load(w + o), inc));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const vi = rho * load<f32>(v + o) + (1 - rho) * (gi * gi);
    store<f32>(v + o, vi);
    let d = vi;
    if (centered) {
      const ai = rho * load<f32>(avg + o) + (1 - rho) * gi;
      store<f32>(avg + o, ai);
      d = vi - ai * ai;
    }
    const inc = form == 0 ? (lr * gi) / Mathf.sqrt(d + eps) : (lr * gi) / (Mathf.sqrt(d) + eps);
    if (momentum > 0) {
      const mi = momentum * load<f32>(mom + o) + inc;
      store<f32>(mom + o, mi);
      store<f32>(w + o, load<f32>(w + o) - mi);
    } else {
      store<f32>(w + o, load<f32>(w + o) - inc);
    }
  }
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
  const n4 = n & ~3;
  const b1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(1 - beta2);
  const av = f32x4.splat(alpha);
  const epsv = f32x4.splat(eps);
  const dv = f32x4.splat(decay);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    let wi = v128.load(w + o);
    if (decay != 0) wi = f32x4.sub(wi, f32x4.mul(wi, dv));
    const gi = v128.load(g + o);
    let mi = v128.load(m + o);
    mi = f32x4.add(mi, f32x4.mul(f32x4.sub(gi, mi), b1));
    v128.store(m + o, mi);
    let vi = v128.load(v + o);
    vi = f32x4.add(vi, f32x4.mul(f32x4.sub(f32x4.mul(gi, gi), vi), b2));
    v128.store(v + o, vi);
    if (amsgrad) {
      vi = f32x4.max(v128.load(vhat + o), vi);
      v128.store(vhat + o, vi);
    }
    v128.store(w + o, f32x4.sub(wi, f32x4.div(f32x4.mul(mi, av), f32x4.add(f32x4.sqrt(vi), epsv))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let wi = load<f32>(w + o);
    if (decay != 0) wi = wi - wi * decay;
    const gi = load<f32>(g + o);
    let mi = load<f32>(m + o);
    mi = mi + (gi - mi) * (1 - beta1);
    store<f32>(m + o, mi);
    let vi = load<f32>(v + o);
    vi = vi + (gi * gi - vi) * (1 - beta2);
    store<f32>(v + o, vi);
    if (amsgrad) {
      vi = max(load<f32>(vhat + o), vi);
      store<f32>(vhat + o, vi);
    }
    store<f32>(w + o, wi - (mi * alpha) / (Mathf.sqrt(vi) + eps));
  }
}

/**
 * Adagrad. acc += g^2; w -= lr g / sqrt(acc + eps) (form 0) or lr g / (sqrt(acc) + eps) (form 1).
 */
export function adagradUpdate(w: usize, g: usize, acc: usize, n: i32, lr: f32, eps: f32, form: i32): void {
  const n4 = n & ~3;
  const lrv = f32x4.splat(lr);
  const epsv = f32x4.splat(eps);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const a = f32x4.add(v128.load(acc + o), f32x4.mul(gi, gi));
    v128.store(acc + o, a);
    const d = form == 0 ? f32x4.sqrt(f32x4.add(a, epsv)) : f32x4.add(f32x4.sqrt(a), epsv);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(lrv, gi), d)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const a = load<f32>(acc + o) + gi * gi;
    store<f32>(acc + o, a);
    const d = form == 0 ? Mathf.sqrt(a + eps) : Mathf.sqrt(a) + eps;
    store<f32>(w + o, load<f32>(w + o) - (lr * gi) / d);
  }
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
  const n4 = n & ~3;
  const dv = f32x4.splat(d);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    v128.store(w + o, f32x4.sub(wi, f32x4.mul(wi, dv)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    store<f32>(w + o, wi - wi * d);
  }
}
