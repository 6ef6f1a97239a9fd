// Keras activations on f32x4 vectors, the in-place `activate` kernel, and row softmaxes.
import {
  ACT_LINEAR, ACT_TANH, ACT_SIGMOID, ACT_HARD_SIGMOID, ACT_HARD_SIGMOID_K3, ACT_RELU, ACT_ELU,
  ACT_SELU, ACT_SOFTPLUS, ACT_SOFTSIGN, ACT_EXPONENTIAL, ACT_SWISH, ACT_GELU, ACT_GELU_TANH,
  ACT_RELU6, ACT_LEAKY_RELU, ACT_HARD_SILU, ACT_MISH, ACT_HARD_TANH,
} from './activation-ids';
import { expV, expFullV, expm1V, sigmoidV, tanhV, softplusV, erfcPosV, logV } from './simd-math';

/** Slope of leaky_relu when it is used inside a recurrent cell (no alpha argument there):
 * the default of both Keras 2 (tf.nn.leaky_relu) and Keras 3 (negative_slope). */
export const LEAKY_RELU_DEFAULT_SLOPE: f32 = 0.2;

// x * g(x) activations whose g tends to 0 for x -> -inf would give -inf * 0 = NaN (or -inf *
// tiny = -inf) at the far end; their true value there is 0 to f32 precision, so lanes below
// `limit` are zeroed. The comparison is false for NaN, which therefore maps to 0 too.
// @ts-ignore: decorator
@inline function zeroBelow(v: v128, x: v128, limit: f32): v128 {
  return v128.and(v, f32x4.gt(x, f32x4.splat(limit)));
}

/** Any activation id (see activation-ids.ts) on one vector. Not inlined: the RNN epilogues
 * only call it for the uncommon activations, tanh/sigmoid are inlined there (`applyAct`). */
function actV(x: v128, act: i32, alpha: f32): v128 {
  switch (act) {
    case ACT_LINEAR: return x;
    case ACT_TANH: return tanhV(x);
    case ACT_SIGMOID: return sigmoidV(x);
    case ACT_HARD_SIGMOID:
      return f32x4.pmin(f32x4.pmax(f32x4.add(f32x4.mul(x, f32x4.splat(0.2)), f32x4.splat(0.5)), f32x4.splat(0.0)), f32x4.splat(1.0));
    case ACT_HARD_SIGMOID_K3:
      return f32x4.mul(f32x4.pmin(f32x4.pmax(f32x4.add(x, f32x4.splat(3.0)), f32x4.splat(0.0)), f32x4.splat(6.0)), f32x4.splat(<f32>(1.0 / 6.0)));
    case ACT_RELU: return f32x4.pmax(x, f32x4.splat(0.0));
    case ACT_ELU: return v128.bitselect(x, expm1V(x), f32x4.gt(x, f32x4.splat(0.0)));
    case ACT_SELU: {
      const neg = f32x4.mul(expm1V(x), f32x4.splat(<f32>1.6732632423543772848170429916717));
      return f32x4.mul(v128.bitselect(x, neg, f32x4.gt(x, f32x4.splat(0.0))), f32x4.splat(<f32>1.0507009873554804934193349852946));
    }
    case ACT_SOFTPLUS: return softplusV(x);
    case ACT_SOFTSIGN: {
      // Clamping first keeps +-inf from becoming inf/inf = NaN; beyond 1e30 the result is +-1 anyway.
      const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(1e30)), f32x4.splat(-1e30));
      return f32x4.div(xc, f32x4.add(f32x4.splat(1.0), f32x4.abs(xc)));
    }
    case ACT_EXPONENTIAL: return expFullV(x);
    case ACT_SWISH: return zeroBelow(f32x4.mul(x, sigmoidV(x)), x, -100.0);
    case ACT_GELU: {
      // 0.5 x erfc(-x/sqrt2), with erfc(-z) = 2 - erfc(z) on the positive side: no 1 + erf
      // cancellation in the negative tail.
      const e = erfcPosV(f32x4.mul(f32x4.abs(x), f32x4.splat(<f32>0.70710678118654752)));
      const half = f32x4.mul(e, f32x4.splat(0.5));
      const factor = v128.bitselect(f32x4.sub(f32x4.splat(1.0), half), half, f32x4.ge(x, f32x4.splat(0.0)));
      return zeroBelow(f32x4.mul(x, factor), x, -30.0);
    }
    case ACT_GELU_TANH: {
      // 0.5 x (1 + tanh(y)) == x * sigmoid(2y): same function, no cancellation for x < 0.
      const x3 = f32x4.mul(f32x4.mul(x, x), x);
      const y2 = f32x4.mul(f32x4.add(x, f32x4.mul(x3, f32x4.splat(0.044715))), f32x4.splat(<f32>1.5957691216057308));
      return zeroBelow(f32x4.mul(x, sigmoidV(y2)), x, -30.0);
    }
    case ACT_RELU6: return f32x4.pmin(f32x4.pmax(x, f32x4.splat(0.0)), f32x4.splat(6.0));
    case ACT_LEAKY_RELU: return v128.bitselect(x, f32x4.mul(x, f32x4.splat(alpha)), f32x4.gt(x, f32x4.splat(0.0)));
    case ACT_HARD_SILU: {
      const hs = f32x4.mul(f32x4.pmin(f32x4.pmax(f32x4.add(x, f32x4.splat(3.0)), f32x4.splat(0.0)), f32x4.splat(6.0)), f32x4.splat(<f32>(1.0 / 6.0)));
      return zeroBelow(f32x4.mul(x, hs), x, -3.0);
    }
    case ACT_MISH: return zeroBelow(f32x4.mul(x, tanhV(softplusV(x))), x, -100.0);
    case ACT_HARD_TANH: return f32x4.pmin(f32x4.pmax(x, f32x4.splat(-1.0)), f32x4.splat(1.0));
    default: return x;
  }
}

/** Activation inside RNN epilogues: the two standard cases inline, the rest through actV. */
// @ts-ignore: decorator
@inline export function applyAct(x: v128, act: i32): v128 {
  if (act == ACT_TANH) return tanhV(x);
  // Gates: sigmoid(x) = 0.5 + 0.5 tanh(x / 2) through the rational tanh (no exp, one division):
  // absolute error <= 3e-7, which is all a gate needs (its tails below ~1e-7 come out as 0..3e-8
  // instead of their true tiny values); 5-7% faster LSTM/GRU steps than 1 / (1 + exp(-x)).
  // Standalone sigmoid activations keep the relatively exact sigmoidV (actV).
  if (act == ACT_SIGMOID) return f32x4.add(f32x4.mul(tanhV(f32x4.mul(x, f32x4.splat(0.5))), f32x4.splat(0.5)), f32x4.splat(0.5));
  return actV(x, act, LEAKY_RELU_DEFAULT_SLOPE);
}

/** Loads n (1..3) floats into the low lanes of a vector, `fill` in the others. */
// @ts-ignore: decorator
@inline export function loadPartial(p: usize, n: i32, fill: f32): v128 {
  let v = f32x4.splat(fill);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the low n (1..3) lanes of v. */
// @ts-ignore: decorator
@inline export function storePartial(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** In-place activation of n floats (any n; a partial last vector is handled lane-wise). */
export function activate(ptr: usize, n: i32, act: i32, alpha: f32): void {
  if (act == ACT_LINEAR) return;
  let p = ptr;
  const end = ptr + (<usize>(n & ~3) << 2);
  // Hoisting the dispatch out of the loop for the common cases keeps them fully inlined.
  if (act == ACT_TANH) {
    for (; p < end; p += 16) v128.store(p, tanhV(v128.load(p)));
  } else if (act == ACT_SIGMOID) {
    for (; p < end; p += 16) v128.store(p, sigmoidV(v128.load(p)));
  } else if (act == ACT_RELU) {
    for (; p < end; p += 16) v128.store(p, f32x4.pmax(v128.load(p), f32x4.splat(0.0)));
  } else {
    for (; p < end; p += 16) v128.store(p, actV(v128.load(p), act, alpha));
  }
  const rest = n & 3;
  if (rest) storePartial(p, actV(loadPartial(p, rest, 0.0), act, alpha), rest);
}

// @ts-ignore: decorator
@inline function hmax(v: v128): f32 {
  const m = f32x4.max(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Max of a row (any length >= 1), vectorised with a -inf padded tail. */
function rowMax(p: usize, cols: i32): f32 {
  let m = f32x4.splat(-Infinity);
  const n4 = cols & ~3;
  for (let j = 0; j < n4; j += 4) m = f32x4.max(m, v128.load(p + (<usize>j << 2)));
  const rest = cols & 3;
  if (rest) m = f32x4.max(m, loadPartial(p + (<usize>n4 << 2), rest, -Infinity));
  return hmax(m);
}

/** Writes exp(x - mx) over the row and returns its sum. Tail lanes beyond the row are
 * computed from -inf (exp -> tiny) but neither stored nor summed. */
function rowExpSum(p: usize, cols: i32, mx: f32): f32 {
  const mv = f32x4.splat(mx);
  let s = f32x4.splat(0.0);
  const n4 = cols & ~3;
  for (let j = 0; j < n4; j += 4) {
    const q = p + (<usize>j << 2);
    const e = expV(f32x4.sub(v128.load(q), mv));
    v128.store(q, e);
    s = f32x4.add(s, e);
  }
  let total = hsum(s);
  const rest = cols & 3;
  if (rest) {
    const q = p + (<usize>n4 << 2);
    const e = expV(f32x4.sub(loadPartial(q, rest, 0.0), mv));
    storePartial(q, e, rest);
    total += f32x4.extract_lane(e, 0);
    if (rest > 1) total += f32x4.extract_lane(e, 1);
    if (rest > 2) total += f32x4.extract_lane(e, 2);
  }
  return total;
}

function rowScale(p: usize, cols: i32, k: f32): void {
  const kv = f32x4.splat(k);
  const n4 = cols & ~3;
  for (let j = 0; j < n4; j += 4) {
    const q = p + (<usize>j << 2);
    v128.store(q, f32x4.mul(v128.load(q), kv));
  }
  for (let j = n4; j < cols; j++) {
    const q = p + (<usize>j << 2);
    store<f32>(q, load<f32>(q) * k);
  }
}

/** Softmax over the last axis of a [rows][cols] array, in place. Subtracting the row max makes
 * every exponent <= 0, so no overflow; the sum is >= 1, so no division by ~0. */
export function softmaxRows(ptr: usize, rows: i32, cols: i32): void {
  if (cols <= 0) return;
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const p = ptr + <usize>r * rowBytes;
    const mx = rowMax(p, cols);
    const s = rowExpSum(p, cols, mx);
    rowScale(p, cols, <f32>1.0 / s);
  }
}

/** log_softmax over the last axis, in place: x - max - log(sum exp(x - max)). */
export function logSoftmaxRows(ptr: usize, rows: i32, cols: i32): void {
  if (cols <= 0) return;
  const rowBytes = <usize>cols << 2;
  const n4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const p = ptr + <usize>r * rowBytes;
    const mx = rowMax(p, cols);
    const mv = f32x4.splat(mx);
    let s = f32x4.splat(0.0);
    for (let j = 0; j < n4; j += 4) s = f32x4.add(s, expV(f32x4.sub(v128.load(p + (<usize>j << 2)), mv)));
    let total = hsum(s);
    for (let j = n4; j < cols; j++) {
      total += f32x4.extract_lane(expV(f32x4.splat(load<f32>(p + (<usize>j << 2)) - mx)), 0);
    }
    // (x - max) first: exact for the largest entries, so their small log-probabilities are not
    // lost in the rounding of max + log(sum).
    const ls = f32x4.extract_lane(logV(f32x4.splat(total)), 0);
    const lv = f32x4.splat(ls);
    for (let j = 0; j < n4; j += 4) {
      const q = p + (<usize>j << 2);
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(q), mv), lv));
    }
    for (let j = n4; j < cols; j++) {
      const q = p + (<usize>j << 2);
      store<f32>(q, (load<f32>(q) - mx) - ls);
    }
  }
}

/** Softmax over a middle axis of an [outer][axisLen][inner] array, in place, vectorised across
 * `inner` (contiguous) so each vector holds 4 independent softmaxes. */
export function softmaxStrided(ptr: usize, outer: i32, axisLen: i32, inner: i32): void {
  if (axisLen <= 0 || inner <= 0) return;
  if (inner == 1) {
    softmaxRows(ptr, outer, axisLen);
    return;
  }
  const stride = <usize>inner << 2;
  const n4 = inner & ~3;
  for (let o = 0; o < outer; o++) {
    const base = ptr + <usize>o * <usize>axisLen * stride;
    for (let i = 0; i < inner; i += 4) {
      const lanes = min(4, inner - i);
      const col = base + (<usize>i << 2);
      if (i < n4) {
        let m = f32x4.splat(-Infinity);
        for (let a = 0; a < axisLen; a++) m = f32x4.max(m, v128.load(col + <usize>a * stride));
        let s = f32x4.splat(0.0);
        for (let a = 0; a < axisLen; a++) {
          const q = col + <usize>a * stride;
          const e = expV(f32x4.sub(v128.load(q), m));
          v128.store(q, e);
          s = f32x4.add(s, e);
        }
        const k = f32x4.div(f32x4.splat(1.0), s);
        for (let a = 0; a < axisLen; a++) {
          const q = col + <usize>a * stride;
          v128.store(q, f32x4.mul(v128.load(q), k));
        }
      } else {
        // Partial vector at the end of `inner`: pad lanes with 0 (finite, never stored).
        let m = f32x4.splat(-Infinity);
        for (let a = 0; a < axisLen; a++) m = f32x4.max(m, loadPartial(col + <usize>a * stride, lanes, 0.0));
        let s = f32x4.splat(0.0);
        for (let a = 0; a < axisLen; a++) {
          const q = col + <usize>a * stride;
          const e = expV(f32x4.sub(loadPartial(q, lanes, 0.0), m));
          storePartial(q, e, lanes);
          s = f32x4.add(s, e);
        }
        const k = f32x4.div(f32x4.splat(1.0), s);
        for (let a = 0; a < axisLen; a++) {
          const q = col + <usize>a * stride;
          storePartial(q, f32x4.mul(loadPartial(q, lanes, 0.0), k), lanes);
        }
      }
    }
  }
}
