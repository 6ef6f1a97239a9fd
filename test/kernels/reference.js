// Float64 scalar reference implementations (Keras semantics) used by the kernel tests.
import { KERNEL_CONSTANTS as K } from '../../dist/wasm/kernel-exports.js';

const SQRT_PI = Math.sqrt(Math.PI);

/** erfc(z) for z >= 0 via the regularised incomplete gamma function Q(1/2, z^2) (series below
 * z^2 = 1.5, Lentz continued fraction above), accurate to ~1e-15. JavaScript has no Math.erf. */
function erfcPos(z) {
  const x = z * z;
  if (x === 0) return 1;
  if (x < 1.5) {
    let ap = 0.5;
    let sum = 2;
    let del = 2;
    for (let n = 0; n < 200; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
    }
    const p = sum * Math.exp(-x) * Math.sqrt(x) / SQRT_PI;
    return 1 - p;
  }
  const tiny = 1e-300;
  let b = x + 0.5;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 300; i++) {
    const an = -i * (i - 0.5);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(-x) * Math.sqrt(x) / SQRT_PI * h;
}

export function erfc(z) {
  return z >= 0 ? erfcPos(z) : 2 - erfcPos(-z);
}

export function erf(z) {
  return z >= 0 ? 1 - erfcPos(z) : erfcPos(-z) - 1;
}

/** Kernel activation ids by Keras name, from the module's ACT_* constants (assembly/activation-ids.ts). */
export const ACT = {
  linear: K.ACT_LINEAR, tanh: K.ACT_TANH, sigmoid: K.ACT_SIGMOID, hard_sigmoid: K.ACT_HARD_SIGMOID, hard_sigmoid_k3: K.ACT_HARD_SIGMOID_K3,
  relu: K.ACT_RELU, elu: K.ACT_ELU, selu: K.ACT_SELU, softplus: K.ACT_SOFTPLUS, softsign: K.ACT_SOFTSIGN, exponential: K.ACT_EXPONENTIAL,
  swish: K.ACT_SWISH, gelu: K.ACT_GELU, gelu_tanh: K.ACT_GELU_TANH, relu6: K.ACT_RELU6, leaky_relu: K.ACT_LEAKY_RELU,
  hard_silu: K.ACT_HARD_SILU, mish: K.ACT_MISH, hard_tanh: K.ACT_HARD_TANH,
};

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
const clip = (x, lo, hi) => Math.min(Math.max(x, lo), hi);
const sigmoid = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** Reference activation for finite x (alpha: leaky_relu slope). */
export function actRef(id, x, alpha = 0.2) {
  switch (id) {
    case 0: return x;
    case 1: return Math.tanh(x);
    case 2: return sigmoid(x);
    case 3: return clip(0.2 * x + 0.5, 0, 1);
    case 4: return clip(x + 3, 0, 6) / 6;
    case 5: return Math.max(x, 0);
    case 6: return x > 0 ? x : Math.expm1(x);
    case 7: return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 8: return softplus(x);
    case 9: return x / (1 + Math.abs(x));
    case 10: return Math.exp(x);
    case 11: return x * sigmoid(x);
    case 12: return 0.5 * x * erfc(-x / Math.SQRT2);
    case 13: return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    case 14: return clip(x, 0, 6);
    case 15: return x > 0 ? x : alpha * x;
    case 16: return x * clip(x + 3, 0, 6) / 6;
    case 17: return x * Math.tanh(softplus(x));
    case 18: return clip(x, -1, 1);
    default: throw new Error(`unknown activation ${id}`);
  }
}

/** Limits at x = +inf / -inf (what "saturate sensibly" means for each activation). */
export function actLimit(id, sign, alpha = 0.2) {
  const pos = sign > 0;
  switch (id) {
    case 0: return pos ? Infinity : -Infinity;
    case 1: return pos ? 1 : -1;
    case 2: case 3: case 4: return pos ? 1 : 0;
    case 5: return pos ? Infinity : 0;
    case 6: return pos ? Infinity : -1;
    case 7: return pos ? Infinity : -SELU_SCALE * SELU_ALPHA;
    case 8: case 10: case 11: case 12: case 13: case 16: case 17: return pos ? Infinity : 0;
    case 9: case 18: return pos ? 1 : -1;
    case 14: return pos ? 6 : 0;
    case 15: return pos ? Infinity : -Infinity;
    default: throw new Error(`unknown activation ${id}`);
  }
}

/** Engine column of (gate g, unit u) for unit group size UG and G gates. */
export function engineCol(g, u, G, UG) {
  return Math.floor(u / UG) * (UG * G) + g * UG + (u % UG);
}

/** Packs a K x N matrix given as get(k, col) into W-wide panels (zero padding). */
export function packPanels(K, N, W, get) {
  const panels = Math.ceil(N / W);
  const out = new Float32Array(panels * K * W);
  for (let k = 0; k < K; k++) {
    for (let col = 0; col < N; col++) {
      out[(Math.floor(col / W) * K + k) * W + (col % W)] = get(k, col);
    }
  }
  return out;
}

/**
 * Builds engine-layout weights for a recurrent layer from per-gate matrices.
 * gates[g] is a K x U row-major Float32Array (Keras gate order). Returns the packed matrix
 * (panel width W) and also the dense K x N engine-ordered matrix.
 */
export function engineMatrix(gates, K, U, UG, W) {
  const G = gates.length;
  const Up = Math.ceil(U / UG) * UG;
  const N = G * Up;
  const dense = new Float32Array(K * N);
  for (let g = 0; g < G; g++) {
    for (let k = 0; k < K; k++) {
      for (let u = 0; u < U; u++) dense[k * N + engineCol(g, u, G, UG)] = gates[g][k * U + u];
    }
  }
  const packed = packPanels(K, N, W, (k, col) => dense[k * N + col]);
  return { dense, packed, N, Up };
}
