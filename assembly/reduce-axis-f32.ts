// Reductions of one axis of an f32 tensor (sum, mean, max, min, any, all, prod).
import { RED_SUM, RED_MEAN, RED_MAX, RED_MIN, RED_ANY, RED_ALL, RED_PROD } from './tensor-op-codes';

/**
 * Reduces the middle axis of x [outer][n][inner] into out [outer][inner] (RED_* codes).
 *
 * Sums, means and products accumulate in f64 and round once: TensorFlow (Eigen's tree reduction)
 * and NumPy (pairwise summation) reduce float32 in float32 with their own orders, so no loop
 * order reproduces both bit for bit; the f64 sum is within half an ulp of the exact result, which
 * each of them approaches within its own error bound. max / min propagate NaN (tf.reduce_max,
 * numpy.max); an empty axis gives -inf / +inf for max / min, 0 for sum / any, 1 for prod / all,
 * NaN for mean.
 */
export function reduceAxisF32(x: usize, outer: i32, n: i32, inner: i32, out: usize, op: i32): void {
  for (let o = 0; o < outer; o++) {
    const base = x + (<usize>(o * n * inner) << 2);
    const dst = out + (<usize>(o * inner) << 2);
    for (let j = 0; j < inner; j++) {
      let acc: f64 = op == RED_MAX ? -Infinity : op == RED_MIN ? Infinity : op == RED_ALL || op == RED_PROD ? 1.0 : 0.0;
      let nan = false;
      for (let k = 0; k < n; k++) {
        const v = <f64>load<f32>(base + (<usize>(k * inner + j) << 2));
        if (op == RED_SUM || op == RED_MEAN) acc += v;
        else if (op == RED_PROD) acc *= v;
        else if (op == RED_MAX) { if (v != v) nan = true; else if (v > acc) acc = v; }
        else if (op == RED_MIN) { if (v != v) nan = true; else if (v < acc) acc = v; }
        else if (op == RED_ANY) { if (v != 0) acc = 1.0; }
        else if (op == RED_ALL) { if (v == 0) acc = 0.0; }
      }
      if (op == RED_MEAN) acc = n > 0 ? acc / <f64>n : NaN;
      store<f32>(dst + (<usize>j << 2), nan ? NaN : <f32>acc);
    }
  }
}
