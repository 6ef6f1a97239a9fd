// Loss kernels for training: each returns the loss summed over all elements (f64) and writes
// d(loss * scale)/d(y_pred) into grad, where scale is the caller's reduction factor (Keras'
// "sum_over_batch_size": 1 / (batch * features) for the element-wise means, 1 / batch for the
// cross-entropies, which sum over classes). Formulas follow keras/src/losses/losses.py and the
// backend's binary / categorical cross-entropy (float32 math, epsilon clipping as Keras does).
// Shapes: pred, target, grad are [rows][cols] row-major f32; ids are f32 class indices.

/** Keras' backend epsilon (clip bound of the probability cross-entropies). */
const EPS: f32 = 1e-7;

/** Squared error: sum (p - y)^2; grad 2 (p - y) scale. */
export function lossMse(pred: usize, target: usize, n: i32, scale: f32, grad: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const e = load<f32>(pred + (<usize>i << 2)) - load<f32>(target + (<usize>i << 2));
    total += <f64>(e * e);
    store<f32>(grad + (<usize>i << 2), 2 * e * scale);
  }
  return total;
}

/** Absolute error: sum |p - y|; grad sign(p - y) scale (0 at 0, as TensorFlow's abs gradient). */
export function lossMae(pred: usize, target: usize, n: i32, scale: f32, grad: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const e = load<f32>(pred + (<usize>i << 2)) - load<f32>(target + (<usize>i << 2));
    total += <f64>Mathf.abs(e);
    store<f32>(grad + (<usize>i << 2), e > 0 ? scale : e < 0 ? -scale : 0);
  }
  return total;
}

/** Huber: 0.5 e^2 where |e| <= delta, delta |e| - 0.5 delta^2 elsewhere. */
export function lossHuber(pred: usize, target: usize, n: i32, delta: f32, scale: f32, grad: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const e = load<f32>(pred + (<usize>i << 2)) - load<f32>(target + (<usize>i << 2));
    const a = Mathf.abs(e);
    if (a <= delta) {
      total += <f64>(0.5 * e * e);
      store<f32>(grad + (<usize>i << 2), e * scale);
    } else {
      total += <f64>(delta * a - 0.5 * delta * delta);
      store<f32>(grad + (<usize>i << 2), (e > 0 ? delta : -delta) * scale);
    }
  }
  return total;
}

/**
 * Binary cross-entropy. Targets are smoothed first (y (1 - s) + 0.5 s). Probabilities are clipped
 * to [eps, 1 - eps] (no gradient outside); logits use the stable form
 * max(x, 0) - x y + log(1 + exp(-|x|)) with gradient sigmoid(x) - y.
 */
export function lossBinaryCrossentropy(pred: usize, target: usize, n: i32, fromLogits: i32, smoothing: f32, scale: f32, grad: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const p = load<f32>(pred + (<usize>i << 2));
    const y = load<f32>(target + (<usize>i << 2)) * (1 - smoothing) + 0.5 * smoothing;
    if (fromLogits) {
      total += <f64>(max(p, <f32>0) - p * y + Mathf.log(1 + Mathf.exp(-Mathf.abs(p))));
      store<f32>(grad + (<usize>i << 2), (1 / (1 + Mathf.exp(-p)) - y) * scale);
    } else {
      const inside = p > EPS && p < 1 - EPS;
      const q = min(max(p, EPS), 1 - EPS);
      total += <f64>-(y * Mathf.log(q) + (1 - y) * Mathf.log(1 - q));
      store<f32>(grad + (<usize>i << 2), inside ? (-y / q + (1 - y) / (1 - q)) * scale : 0);
    }
  }
  return total;
}

/**
 * Categorical cross-entropy over rows of `cols` classes: -sum y log q. Probabilities are first
 * divided by their row sum, then clipped to [eps, 1 - eps]; logits go through log-softmax.
 * Targets are smoothed (y (1 - s) + s / cols). With `ids` != 0, targets are class indices (one per
 * row, the sparse loss) and `target` is unused.
 */
export function lossCategoricalCrossentropy(
  pred: usize, target: usize, ids: usize, rows: i32, cols: i32, fromLogits: i32, smoothing: f32, scale: f32, grad: usize,
): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const p = pred + (<usize>(r * cols) << 2);
    const g = grad + (<usize>(r * cols) << 2);
    const t = target + (<usize>(r * cols) << 2);
    const id = ids ? <i32>load<f32>(ids + (<usize>r << 2)) : -1;
    // y_k of this row
    let ysum: f32 = 0;
    for (let k = 0; k < cols; k++) ysum += rowTarget(t, id, k, cols, smoothing);
    if (fromLogits) {
      let m = load<f32>(p);
      for (let k = 1; k < cols; k++) m = max(m, load<f32>(p + (<usize>k << 2)));
      let s: f32 = 0;
      for (let k = 0; k < cols; k++) s += Mathf.exp(load<f32>(p + (<usize>k << 2)) - m);
      const logS = Mathf.log(s);
      for (let k = 0; k < cols; k++) {
        const x = load<f32>(p + (<usize>k << 2)) - m;
        const y = rowTarget(t, id, k, cols, smoothing);
        total += <f64>(-y * (x - logS));
        store<f32>(g + (<usize>k << 2), (Mathf.exp(x - logS) * ysum - y) * scale);
      }
    } else {
      let s: f32 = 0;
      for (let k = 0; k < cols; k++) s += load<f32>(p + (<usize>k << 2));
      // dL/dq_k = -y_k / q_k inside the clip range; dq_k/dp_j = (delta_kj - q_k) / s
      let dot: f32 = 0;
      for (let k = 0; k < cols; k++) {
        const q = load<f32>(p + (<usize>k << 2)) / s;
        const qc = min(max(q, EPS), 1 - EPS);
        const y = rowTarget(t, id, k, cols, smoothing);
        total += <f64>(-y * Mathf.log(qc));
        const dq: f32 = q > EPS && q < 1 - EPS ? -y / q : 0;
        store<f32>(g + (<usize>k << 2), dq);
        dot += dq * q;
      }
      for (let k = 0; k < cols; k++) store<f32>(g + (<usize>k << 2), ((load<f32>(g + (<usize>k << 2)) - dot) / s) * scale);
    }
  }
  return total;
}

@inline function rowTarget(t: usize, id: i32, k: i32, cols: i32, smoothing: f32): f32 {
  const y: f32 = id >= 0 ? (k == id ? 1 : 0) : load<f32>(t + (<usize>k << 2));
  return y * (1 - smoothing) + smoothing / <f32>cols;
}
