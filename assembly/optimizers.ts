// Optimizer update kernels: one call updates one variable in place from its gradient, with the
// slot arrays (momentum, velocity, accumulator) the optimizer keeps per variable. Scalars that do
// not depend on the element (learning rate after schedules / decay, Adam's bias correction) are
// computed by the caller. The formulas, with the Keras versions that use each form, are in
// src/training/optimizers.ts; float32 arithmetic as Keras' float32 variables.

/**
 * SGD. Without momentum: w -= lr g. With momentum: m = momentum m - lr g, then w += m, or with
 * Nesterov w += momentum m - lr g (Keras 2 and 3 alike).
 */
export function sgdUpdate(w: usize, g: usize, m: usize, n: i32, lr: f32, momentum: f32, nesterov: i32): void {
  for (let i = 0; i < n; i++) {
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
  for (let i = 0; i < n; i++) {
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
  for (let i = 0; i < n; i++) {
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
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const a = load<f32>(acc + o) + gi * gi;
    store<f32>(acc + o, a);
    const d = form == 0 ? Mathf.sqrt(a + eps) : Mathf.sqrt(a) + eps;
    store<f32>(w + o, load<f32>(w + o) - (lr * gi) / d);
  }
}
