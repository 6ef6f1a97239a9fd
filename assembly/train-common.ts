// Row helpers shared by the training kernels (backward-rnn.ts, backward-layers.ts): f32 loads /
// stores by index and the two f32x4 loops everything there is built from, along a contiguous axis.

/** p[i] as f32. */
// @ts-ignore: decorator
@inline export function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

/** p[i] = v. */
// @ts-ignore: decorator
@inline export function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

/** y[0..n) += a · x[0..n) (f32x4, scalar tail). */
// @ts-ignore: decorator
@inline export function axpy(y: usize, a: f32, x: usize, n: i32): void {
  const av = f32x4.splat(a);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; j < n; j++) st(y, j, ld(y, j) + a * ld(x, j));
}

/** sum of x[j] · y[j] over j < n (f32x4, scalar tail). */
// @ts-ignore: decorator
@inline export function dot(x: usize, y: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; j < n; j++) s += ld(x, j) * ld(y, j);
  return s;
}
