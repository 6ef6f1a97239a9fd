// Categorical encodings of Keras' preprocessing layers (CategoryEncoding, the lookup layers'
// one_hot / multi_hot / count / tf_idf outputs, Hashing, Discretization, IntegerLookup). Ids arrive
// as f32 (Keras feeds integers as numbers); an id of -1 marks a slot to drop (padding, a mask
// token in a non-int output mode).

import { LookupSortedParams } from './param-blocks';

/**
 * out[r][0..depth) from the ids of row r (len ids per row): mode 0 multi_hot (1 where an id
 * occurs), 1 count (occurrences); with `weights` != 0 each count is multiplied by weights[d]
 * (tf_idf). Returns -1, or the flat index of the first id that is neither -1 nor an integer in
 * [0, depth) when `strict` (CategoryEncoding checks its range; lookups drop ids >= depth as
 * bincount does).
 */
export function categoryCounts(ids: usize, rows: i32, len: i32, depth: i32, mode: i32, weights: usize, strict: i32, out: usize): i32 {
  memory.fill(out, 0, <usize>rows * <usize>depth << 2);
  const df = <f32>depth;
  for (let r = 0; r < rows; r++) {
    const row = out + (<usize>r * <usize>depth << 2);
    for (let j = 0; j < len; j++) {
      const at = r * len + j;
      const id = load<f32>(ids + (<usize>at << 2));
      if (id == -1) continue;
      if (!(id >= 0) || !(id < df) || id != Mathf.floor(id)) {
        if (strict) return at;
        continue;
      }
      const p = row + (<usize><i32>id << 2);
      store<f32>(p, mode == 0 ? 1 : load<f32>(p) + 1);
    }
    if (weights) {
      for (let d = 0; d < depth; d++) {
        const p = row + (<usize>d << 2);
        store<f32>(p, load<f32>(p) * load<f32>(weights + (<usize>d << 2)));
      }
    }
  }
  return -1;
}

/** out[i][0..depth) = one-hot of ids[i]; -1 gives a zero row. Returns -1 or the first bad index (as categoryCounts with strict). */
export function oneHotRows(ids: usize, count: i32, depth: i32, out: usize): i32 {
  memory.fill(out, 0, <usize>count * <usize>depth << 2);
  const df = <f32>depth;
  for (let i = 0; i < count; i++) {
    const id = load<f32>(ids + (<usize>i << 2));
    if (id == -1) continue;
    if (!(id >= 0) || !(id < df) || id != Mathf.floor(id)) return i;
    store<f32>(out + ((<usize>i * <usize>depth + <usize><i32>id) << 2), 1);
  }
  return -1;
}

/**
 * Discretization (tf.raw_ops.Bucketize): out[i] = the number of boundaries <= x[i] (boundaries
 * sorted ascending), by binary search. NaN lands in bucket 0, as no boundary is <= NaN.
 */
export function bucketize(x: usize, n: i32, bounds: usize, nb: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    let lo = 0;
    let hi = nb;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (load<f32>(bounds + (<usize>mid << 2)) <= v) lo = mid + 1;
      else hi = mid;
    }
    store<f32>(out + (<usize>i << 2), <f32>lo);
  }
}

/**
 * IntegerLookup: out[i] = values[k] where keys[k] == x[i] (keys sorted ascending, nk of them),
 * else `missing` (or, with numOov > 1, oovStart + floormod(x, numOov), Keras' default oov_method);
 * x == maskKey (when hasMask) gives maskValue. Returns -1; the index i of a non-integer input;
 * or n + i for the first value not in the vocabulary when `missingIsError` (num_oov_indices=0).
 * `params` points at a LookupSortedParams block (param-blocks.ts).
 */
export function lookupSorted(params: usize): i32 {
  const p = changetype<LookupSortedParams>(params);
  const x = p.x, n = p.n, keys = p.keys, values = p.values, nk = p.keyCount, missing = p.missing, numOov = p.numOov, oovStart = p.oovStart;
  const hasMask = p.hasMask, maskKey = p.maskKey, maskValue = p.maskValue, missingIsError = p.missingIsError, out = p.out;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != Mathf.floor(v)) return i;
    let r: f32;
    if (hasMask && v == maskKey) r = maskValue;
    else {
      let lo = 0;
      let hi = nk;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (load<f32>(keys + (<usize>mid << 2)) < v) lo = mid + 1;
        else hi = mid;
      }
      if (lo < nk && load<f32>(keys + (<usize>lo << 2)) == v) r = load<f32>(values + (<usize>lo << 2));
      else if (numOov > 1) {
        const m = <f32>numOov;
        r = <f32>oovStart + (v - m * Mathf.floor(v / m));
      } else if (missingIsError) return n + i;
      else r = missing;
    }
    store<f32>(out + (<usize>i << 2), r);
  }
  return -1;
}
