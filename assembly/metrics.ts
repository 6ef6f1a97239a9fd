// Metric kernels for fit / evaluate: each returns the sum over rows of a row's metric value (f64)
// times the row's weight (`weights`: one f32 per row, e.g. a time-step mask, or 0 for all 1); the
// caller divides by the rows (weights) it has seen (Keras' metrics are running means over every sample
// and timestep). Formulas of keras/src/metrics/accuracy_metrics.py and regression_metrics.py.
// Shapes: pred, target are [rows][cols] row-major f32; sparse targets are one f32 class id per row.

/** Metric ids (src/training/metrics.ts names them). */
export const METRIC_BINARY_ACCURACY: i32 = 0;
export const METRIC_CATEGORICAL_ACCURACY: i32 = 1;
export const METRIC_SPARSE_CATEGORICAL_ACCURACY: i32 = 2;
export const METRIC_MAE: i32 = 3;
export const METRIC_MSE: i32 = 4;

/**
 * Sum over rows of: binary accuracy (share of a row's entries with (p > threshold) == y), the
 * categorical accuracies (argmax of the row - first maximum, as argmax does - equals the target's
 * argmax / the class id), or the mean absolute / squared error over the row.
 */
export function metricSum(pred: usize, target: usize, rows: i32, cols: i32, kind: i32, threshold: f32, weights: usize): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const w: f64 = weights ? <f64>load<f32>(weights + (<usize>r << 2)) : 1;
    if (w == 0) continue;
    const p = pred + (<usize>(r * cols) << 2);
    if (kind == METRIC_SPARSE_CATEGORICAL_ACCURACY) {
      total += w * <f64>(<f32>argmaxRow(p, cols) == load<f32>(target + (<usize>r << 2)) ? 1 : 0);
      continue;
    }
    const t = target + (<usize>(r * cols) << 2);
    if (kind == METRIC_CATEGORICAL_ACCURACY) {
      total += w * (argmaxRow(p, cols) == argmaxRow(t, cols) ? 1 : 0);
      continue;
    }
    let row: f64 = 0;
    for (let k = 0; k < cols; k++) {
      const pk = load<f32>(p + (<usize>k << 2));
      const yk = load<f32>(t + (<usize>k << 2));
      if (kind == METRIC_BINARY_ACCURACY) row += <f32>(pk > threshold ? 1 : 0) == yk ? 1 : 0;
      else if (kind == METRIC_MAE) row += <f64>Mathf.abs(pk - yk);
      else row += <f64>((pk - yk) * (pk - yk));
    }
    total += w * (row / <f64>cols);
  }
  return total;
}

@inline function argmaxRow(p: usize, cols: i32): i32 {
  let best = 0;
  let m = load<f32>(p);
  for (let k = 1; k < cols; k++) {
    const v = load<f32>(p + (<usize>k << 2));
    if (v > m) {
      m = v;
      best = k;
    }
  }
  return best;
}
