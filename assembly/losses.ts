// Loss kernels for training: each returns the loss summed over all elements (f64), each row's sum
// times its weight, and writes d(loss * scale)/d(y_pred) into grad, where scale is the caller's
// reduction factor (Keras' "sum_over_batch_size": 1 / (batch * features) for the element-wise
// means, 1 / batch for the cross-entropies, which sum over classes). Row weights (`weights`: one
// f32 per row, or 0 for all 1) carry the sample weights and a time-step mask reaching the loss
// (see lossRowWeights). Formulas follow keras/src/losses/losses.py and the backend's binary /
// categorical cross-entropy (float32 math, epsilon clipping as Keras does).
// Shapes: pred, target, grad are [rows][cols] row-major f32; ids are f32 class indices.

/** Keras' backend epsilon (clip bound of the probability cross-entropies). */
const EPS: f32 = 1e-7;

/** lossCategoricalCrossentropy flags: the predictions are logits. */
export const CCE_FROM_LOGITS: i32 = 1;
/** lossCategoricalCrossentropy flags: the targets are class indices (one per row). */
export const CCE_SPARSE: i32 = 2;

@inline function rowWeight(weights: usize, r: i32): f32 {
  return weights ? load<f32>(weights + (<usize>r << 2)) : 1;
}

/** The weight of element i of [rows][cols] values (its row's). */
@inline function elementWeight(weights: usize, i: i32, cols: i32): f32 {
  return weights ? load<f32>(weights + (<usize>(i / cols) << 2)) : 1;
}

/**
 * The row weights of a loss over [samples][rowsPerSample] rows: out[s][r] = sampleWeights[s] (1
 * when 0) times mask[s][r] (u8, 1 when 0). Returns the number of unmasked rows (all rows without
 * a mask), which Keras' masked reductions divide by.
 */
export function lossRowWeights(mask: usize, sampleWeights: usize, samples: i32, rowsPerSample: i32, out: usize): f64 {
  let kept: f64 = 0;
  for (let s = 0; s < samples; s++) {
    const sw: f32 = sampleWeights ? load<f32>(sampleWeights + (<usize>s << 2)) : 1;
    for (let r = 0; r < rowsPerSample; r++) {
      const i = <usize>(s * rowsPerSample + r);
      const m: f32 = mask ? <f32>load<u8>(mask + i) : 1;
      kept += <f64>m;
      store<f32>(out + (i << 2), sw * m);
    }
  }
  return kept;
}

/** Squared error: sum (p - y)^2; grad 2 (p - y) scale. */
export function lossMse(pred: usize, target: usize, n: i32, cols: i32, weights: usize, scale: f32, grad: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const w = elementWeight(weights, i, cols);
    const e = load<f32>(pred + (<usize>i << 2)) - load<f32>(target + (<usize>i << 2));
    total += <f64>(e * e) * <f64>w;
    store<f32>(grad + (<usize>i << 2), 2 * e * scale * w);
  }
  return total;
}

/** Absolute error: sum |p - y|; grad sign(p - y) scale (0 at 0, as TensorFlow's abs gradient). */
export function lossMae(pred: usize, target: usize, n: i32, cols: i32, weights: usize, scale: f32, grad: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const w = elementWeight(weights, i, cols);
    const ws = w * scale;
    const e = load<f32>(pred + (<usize>i << 2)) - load<f32>(target + (<usize>i << 2));
    total += <f64>Mathf.abs(e) * <f64>w;
    store<f32>(grad + (<usize>i << 2), e > 0 ? ws : e < 0 ? -ws : 0);
  }
  return total;
}

/** Huber: 0.5 e^2 where |e| <= delta, delta |e| - 0.5 delta^2 elsewhere. */
export function lossHuber(pred: usize, target: usize, n: i32, cols: i32, delta: f32, weights: usize, scale: f32, grad: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const w = elementWeight(weights, i, cols);
    const e = load<f32>(pred + (<usize>i << 2)) - load<f32>(target + (<usize>i << 2));
    const a = Mathf.abs(e);
    const inside = a <= delta;
    total += <f64>(inside ? 0.5 * e * e : delta * a - 0.5 * delta * delta) * <f64>w;
    store<f32>(grad + (<usize>i << 2), (inside ? e : e > 0 ? delta : -delta) * scale * w);
  }
  return total;
}

/**
 * Binary cross-entropy. Targets are smoothed first (y (1 - s) + 0.5 s). Probabilities are clipped
 * to [eps, 1 - eps] (no gradient outside); logits use the stable form
 * max(x, 0) - x y + log(1 + exp(-|x|)) with gradient sigmoid(x) - y.
 */
export function lossBinaryCrossentropy(pred: usize, target: usize, n: i32, cols: i32, fromLogits: i32, smoothing: f32, weights: usize, scale: f32, grad: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const w = elementWeight(weights, i, cols);
    const p = load<f32>(pred + (<usize>i << 2));
    const y = load<f32>(target + (<usize>i << 2)) * (1 - smoothing) + 0.5 * smoothing;
    if (fromLogits) {
      total += <f64>(max(p, <f32>0) - p * y + Mathf.log(1 + Mathf.exp(-Mathf.abs(p)))) * <f64>w;
      store<f32>(grad + (<usize>i << 2), (1 / (1 + Mathf.exp(-p)) - y) * scale * w);
    } else {
      const inside = p > EPS && p < 1 - EPS;
      const q = min(max(p, EPS), 1 - EPS);
      total += <f64>-(y * Mathf.log(q) + (1 - y) * Mathf.log(1 - q)) * <f64>w;
      store<f32>(grad + (<usize>i << 2), inside ? (-y / q + (1 - y) / (1 - q)) * scale * w : 0);
    }
  }
  return total;
}

/**
 * Categorical cross-entropy over rows of `cols` classes: -sum y log q. Probabilities are first
 * divided by their row sum, then clipped to [eps, 1 - eps]; logits go through log-softmax.
 * Targets are smoothed (y (1 - s) + s / cols). `flags`: CCE_FROM_LOGITS, and CCE_SPARSE when
 * `target` holds class indices (one f32 per row, the sparse loss) instead of [rows][cols] values.
 */
export function lossCategoricalCrossentropy(
  pred: usize, target: usize, rows: i32, cols: i32, flags: i32, smoothing: f32, weights: usize, scale: f32, grad: usize,
): f64 {
  let total: f64 = 0;
  const fromLogits = flags & CCE_FROM_LOGITS;
  const sparse = flags & CCE_SPARSE;
  for (let r = 0; r < rows; r++) {
    const p = pred + (<usize>(r * cols) << 2);
    const g = grad + (<usize>(r * cols) << 2);
    const t = target + (<usize>(r * cols) << 2);
    const id = sparse ? <i32>load<f32>(target + (<usize>r << 2)) : -1;
    const w = rowWeight(weights, r);
    const ws = w * scale;
    let row: f64 = 0;
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
        row += <f64>(-y * (x - logS));
        store<f32>(g + (<usize>k << 2), (Mathf.exp(x - logS) * ysum - y) * ws);
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
        row += <f64>(-y * Mathf.log(qc));
        const dq: f32 = q > EPS && q < 1 - EPS ? -y / q : 0;
        store<f32>(g + (<usize>k << 2), dq);
        dot += dq * q;
      }
      for (let k = 0; k < cols; k++) store<f32>(g + (<usize>k << 2), ((load<f32>(g + (<usize>k << 2)) - dot) / s) * ws);
    }
    total += row * <f64>w;
  }
  return total;
}

@inline function rowTarget(t: usize, id: i32, k: i32, cols: i32, smoothing: f32): f32 {
  const y: f32 = id >= 0 ? (k == id ? 1 : 0) : load<f32>(t + (<usize>k << 2));
  return y * (1 - smoothing) + smoothing / <f32>cols;
}
