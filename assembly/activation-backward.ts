// Gradients of the element-wise Keras activations for training: dz = dy * act'(x) from the
// activation's INPUT x (the pre-activation), f32x4 along the buffer. From the input because most
// of these (elu, gelu, swish, mish, softplus, ...) cannot be inverted from their output. The
// four whose derivative is a function of the output (linear, tanh, sigmoid, relu) and softmax
// keep `activationBackward` (backward.ts), which needs no pre-activation copy.
import {
  ACT_LINEAR, ACT_TANH, ACT_SIGMOID, ACT_HARD_SIGMOID, ACT_HARD_SIGMOID_K3, ACT_RELU, ACT_ELU,
  ACT_SELU, ACT_SOFTPLUS, ACT_SOFTSIGN, ACT_EXPONENTIAL, ACT_SWISH, ACT_GELU, ACT_GELU_TANH,
  ACT_RELU6, ACT_LEAKY_RELU, ACT_HARD_SILU, ACT_MISH, ACT_HARD_TANH,
} from './activation-ids';
import { expFullV, expV, sigmoidV, tanhV, softplusV, erfcPosV } from './simd-math';
import { loadPartial, storePartial } from './activations';

const SELU_ALPHA: f32 = 1.6732632423543772848170429916717;
const SELU_SCALE: f32 = 1.0507009873554804934193349852946;

/** 1 where lo < x < hi, else 0 (the derivative of a clip between its corners). */
// @ts-ignore: decorator
@inline function inside(x: v128, lo: f32, hi: f32): v128 {
  return v128.and(v128.and(f32x4.gt(x, f32x4.splat(lo)), f32x4.lt(x, f32x4.splat(hi))), f32x4.splat(1.0));
}

/** s + x s (1 - s) k: the derivative of x * sigmoid(k x) (swish k = 1) with s = sigmoid(k x), dk/dx folded in `kd`. */
// @ts-ignore: decorator
@inline function xSigmoidSlope(x: v128, s: v128, kd: v128): v128 {
  return f32x4.add(s, f32x4.mul(f32x4.mul(x, f32x4.mul(s, f32x4.sub(f32x4.splat(1.0), s))), kd));
}

/** act'(x) for activation id `act` (activation-ids.ts); leaky_relu's slope is `alpha`. */
function derivativeV(x: v128, act: i32, alpha: f32): v128 {
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0.0);
  const pos = f32x4.gt(x, zero);
  switch (act) {
    case ACT_LINEAR: return one;
    case ACT_TANH: { const t = tanhV(x); return f32x4.sub(one, f32x4.mul(t, t)); }
    case ACT_SIGMOID: { const s = sigmoidV(x); return f32x4.mul(s, f32x4.sub(one, s)); }
    // clip(0.2x + 0.5, 0, 1): slope 0.2 strictly between the corners -2.5 and 2.5
    case ACT_HARD_SIGMOID: return f32x4.mul(inside(x, -2.5, 2.5), f32x4.splat(0.2));
    // relu6(x + 3) / 6
    case ACT_HARD_SIGMOID_K3: return f32x4.mul(inside(x, -3.0, 3.0), f32x4.splat(<f32>(1.0 / 6.0)));
    case ACT_RELU: return v128.and(pos, one);
    case ACT_ELU: return v128.bitselect(one, expV(x), pos);
    case ACT_SELU: return f32x4.mul(v128.bitselect(one, f32x4.mul(expV(x), f32x4.splat(SELU_ALPHA)), pos), f32x4.splat(SELU_SCALE));
    case ACT_SOFTPLUS: return sigmoidV(x);
    case ACT_SOFTSIGN: {
      const d = f32x4.add(one, f32x4.abs(x));
      return f32x4.div(one, f32x4.mul(d, d));
    }
    case ACT_EXPONENTIAL: return expFullV(x);
    case ACT_SWISH: return xSigmoidSlope(x, sigmoidV(x), one);
    case ACT_GELU: {
      // Phi(x) + x phi(x), Phi = erfc(-x / sqrt2) / 2 as the forward computes it
      const e = erfcPosV(f32x4.mul(f32x4.abs(x), f32x4.splat(<f32>0.70710678118654752)));
      const half = f32x4.mul(e, f32x4.splat(0.5));
      const cdf = v128.bitselect(f32x4.sub(one, half), half, f32x4.ge(x, zero));
      const pdf = f32x4.mul(expV(f32x4.mul(f32x4.mul(x, x), f32x4.splat(-0.5))), f32x4.splat(<f32>0.3989422804014327));
      return f32x4.add(cdf, f32x4.mul(x, pdf));
    }
    case ACT_GELU_TANH: {
      // x sigmoid(k (x + 0.044715 x^3)), k = 2 sqrt(2 / pi): d = s + x s (1 - s) k (1 + 3 * 0.044715 x^2)
      const k = f32x4.splat(<f32>1.5957691216057308);
      const x2 = f32x4.mul(x, x);
      const s = sigmoidV(f32x4.mul(f32x4.add(x, f32x4.mul(f32x4.mul(x2, x), f32x4.splat(0.044715))), k));
      return xSigmoidSlope(x, s, f32x4.mul(k, f32x4.add(one, f32x4.mul(x2, f32x4.splat(0.134145)))));
    }
    case ACT_RELU6: return inside(x, 0.0, 6.0);
    case ACT_LEAKY_RELU: return v128.bitselect(one, f32x4.splat(alpha), pos);
    case ACT_HARD_SILU: {
      // x relu6(x + 3) / 6: relu6(x + 3) / 6 + x / 6 between -3 and 3
      const hs = f32x4.mul(f32x4.pmin(f32x4.pmax(f32x4.add(x, f32x4.splat(3.0)), zero), f32x4.splat(6.0)), f32x4.splat(<f32>(1.0 / 6.0)));
      return f32x4.add(hs, f32x4.mul(f32x4.mul(x, inside(x, -3.0, 3.0)), f32x4.splat(<f32>(1.0 / 6.0))));
    }
    case ACT_MISH: {
      // x tanh(softplus(x)): tanh(sp) + x (1 - tanh(sp)^2) sigmoid(x)
      const t = tanhV(softplusV(x));
      return f32x4.add(t, f32x4.mul(f32x4.mul(x, f32x4.sub(one, f32x4.mul(t, t))), sigmoidV(x)));
    }
    case ACT_HARD_TANH: return inside(x, -1.0, 1.0);
    default: return one;
  }
}

/** dz = dy * act'(x) for n floats, x the activation's input (any n; the tail lane-wise). */
export function activationBackwardFromInput(x: usize, dy: usize, n: i32, act: i32, alpha: f32, dz: usize): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(dz + o, f32x4.mul(v128.load(dy + o), derivativeV(v128.load(x + o), act, alpha)));
  }
  const rest = n & 3;
  if (rest) {
    const o = <usize>n4 << 2;
    storePartial(dz + o, f32x4.mul(loadPartial(dy + o, rest, 0.0), derivativeV(loadPartial(x + o, rest, 0.0), act, alpha)), rest);
  }
}

/** log_softmax rows of `cols` from the output y = log p: dz = dy - p * sum(dy) per row. */
export function logSoftmaxBackward(y: usize, dy: usize, rows: i32, cols: i32, dz: usize): void {
  const n4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * (<usize>cols << 2);
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) s += load<f32>(dy + base + (<usize>j << 2));
    const sv = f32x4.splat(s);
    for (let j = 0; j < n4; j += 4) {
      const o = base + (<usize>j << 2);
      v128.store(dz + o, f32x4.sub(v128.load(dy + o), f32x4.mul(expV(v128.load(y + o)), sv)));
    }
    for (let j = n4; j < cols; j++) {
      const o = base + (<usize>j << 2);
      store<f32>(dz + o, load<f32>(dy + o) - f32x4.extract_lane(expV(f32x4.splat(load<f32>(y + o))), 0) * s);
    }
  }
}
