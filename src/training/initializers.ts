import { UnsupportedKerasConfigurationError } from '../errors.js';

/**
 * Keras' weight initializers, for re-initialising a layer (`model.reinitializeLayer`), from the
 * layer's own config (`kernel_initializer`, `recurrent_initializer`, `bias_initializer`): the
 * distributions of keras/src/initializers/*.py (VarianceScaling and its Glorot / He / LeCun
 * forms, Orthogonal, RandomNormal / RandomUniform / TruncatedNormal, Zeros / Ones / Constant),
 * drawn from a seeded generator (the same seed gives the same weights; not TensorFlow's random
 * stream). Runs once per re-initialisation, not per training step.
 */

/** A seeded source of uniform [0, 1) and standard normal numbers (xorshift32, Box-Muller). */
export class SeededRandom {
  private s: number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }

  uniform(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s / 2 ** 32;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u = 1 - this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }
}

type Entry = { class_name?: unknown; config?: Record<string, unknown> } | string | null | undefined;

/** Keras' fans of a weight shape: 2D [in, out]; higher ranks multiply the receptive field in. */
function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const field = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2] * field, fanOut: shape[shape.length - 1] * field };
}

/** String aliases Keras accepts for initializers, as their class and config. */
const ALIASES: Record<string, { className: string; config?: Record<string, unknown> }> = {
  zeros: { className: 'Zeros' }, ones: { className: 'Ones' },
  glorot_uniform: { className: 'GlorotUniform' }, glorot_normal: { className: 'GlorotNormal' },
  he_uniform: { className: 'HeUniform' }, he_normal: { className: 'HeNormal' },
  lecun_uniform: { className: 'LecunUniform' }, lecun_normal: { className: 'LecunNormal' },
  orthogonal: { className: 'Orthogonal' }, random_normal: { className: 'RandomNormal' },
  random_uniform: { className: 'RandomUniform' }, truncated_normal: { className: 'TruncatedNormal' },
};

/** VarianceScaling presets: [scale, mode, distribution]. */
const PRESETS: Record<string, [number, string, string]> = {
  GlorotUniform: [1, 'fan_avg', 'uniform'], GlorotNormal: [1, 'fan_avg', 'truncated_normal'],
  HeUniform: [2, 'fan_in', 'uniform'], HeNormal: [2, 'fan_in', 'truncated_normal'],
  LecunUniform: [1, 'fan_in', 'uniform'], LecunNormal: [1, 'fan_in', 'truncated_normal'],
};

function truncatedNormal(r: SeededRandom, mean: number, stddev: number): number {
  // resampled outside two standard deviations, as TensorFlow's truncated_normal
  for (;;) {
    const z = r.normal();
    if (Math.abs(z) <= 2) return mean + stddev * z;
  }
}

/** Orthogonal: the Q of a QR decomposition of a normal matrix (sign-fixed by R's diagonal), times gain. */
function orthogonal(shape: readonly number[], gain: number, r: SeededRandom): Float32Array {
  const cols = shape[shape.length - 1];
  const rows = shape.reduce((a, b) => a * b, 1) / cols;
  const [m, n] = [Math.max(rows, cols), Math.min(rows, cols)];
  // columns of an m x n normal matrix, orthonormalised by modified Gram-Schmidt (= Q of QR with R's diagonal > 0)
  const q = Array.from({ length: n }, () => Float64Array.from({ length: m }, () => r.normal()));
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[k][i] * q[j][i];
      for (let i = 0; i < m; i++) q[j][i] -= dot * q[k][i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[j][i] * q[j][i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) q[j][i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  // Keras transposes when rows < cols: q is m x n = cols x rows there
  for (let a = 0; a < rows; a++) for (let b = 0; b < cols; b++) out[a * cols + b] = gain * (rows < cols ? q[a][b] : q[b][a]);
  return out;
}

/** Values of `shape` drawn by a serialised Keras initializer; unknown ones are refused by name. */
export function initialValues(entry: Entry, shape: readonly number[], r: SeededRandom, field: string): Float32Array {
  const named = typeof entry === 'string' ? ALIASES[entry] : undefined;
  const className = named?.className ?? (typeof entry === 'object' && entry !== null ? String(entry.class_name ?? '') : String(entry));
  const config = named?.config ?? (typeof entry === 'object' && entry !== null ? (entry.config ?? {}) : {});
  const n = shape.reduce((a, b) => a * b, 1);
  const num = (k: string, d: number) => (typeof config[k] === 'number' ? (config[k] as number) : d);
  const fill = (f: () => number) => Float32Array.from({ length: n }, f);
  switch (className) {
    case 'Zeros':
      return new Float32Array(n);
    case 'Ones':
      return new Float32Array(n).fill(1);
    case 'Constant':
      return new Float32Array(n).fill(num('value', 0));
    case 'RandomUniform': {
      const [lo, hi] = [num('minval', -0.05), num('maxval', 0.05)];
      return fill(() => lo + (hi - lo) * r.uniform());
    }
    case 'RandomNormal':
      return fill(() => num('mean', 0) + num('stddev', 0.05) * r.normal());
    case 'TruncatedNormal':
      return fill(() => truncatedNormal(r, num('mean', 0), num('stddev', 0.05)));
    case 'Orthogonal':
      return orthogonal(shape, num('gain', 1), r);
    default: {
      const preset = PRESETS[className];
      if (!preset && className !== 'VarianceScaling') {
        throw new UnsupportedKerasConfigurationError(`the initializer ${className} is not implemented for re-initialising`, { field, value: className });
      }
      const [scale, mode, distribution] = preset ?? [num('scale', 1), String(config.mode ?? 'fan_in'), String(config.distribution ?? 'truncated_normal')];
      const { fanIn, fanOut } = fans(shape);
      const denominator = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
      const variance = scale / Math.max(1, denominator);
      if (distribution === 'uniform') {
        const limit = Math.sqrt(3 * variance);
        return fill(() => (2 * r.uniform() - 1) * limit);
      }
      if (distribution === 'truncated_normal') {
        // 0.879...: the standard deviation of a unit normal truncated to [-2, 2]
        return fill(() => truncatedNormal(r, 0, Math.sqrt(variance) / 0.8796256610342398));
      }
      if (distribution === 'untruncated_normal' || distribution === 'normal') return fill(() => Math.sqrt(variance) * r.normal());
      throw new UnsupportedKerasConfigurationError(`VarianceScaling distribution ${distribution} is not known`, { field, value: distribution });
    }
  }
}

/** Which config field initialises a weight of this name (`kernel`, `recurrent_kernel`, `bias`, ...). */
const FIELD_OF: Record<string, string> = {
  kernel: 'kernel_initializer', recurrent_kernel: 'recurrent_initializer', bias: 'bias_initializer',
  embeddings: 'embeddings_initializer', gamma: 'gamma_initializer', beta: 'beta_initializer',
  moving_mean: 'moving_mean_initializer', moving_variance: 'moving_variance_initializer',
};

/**
 * Fresh values for a layer's weights, from its config's initializers. An LSTM with
 * `unit_forget_bias` (Keras' default) gets ones in its forget-gate bias block (gate order i, f,
 * c, o) and the bias initializer elsewhere, as Keras builds it; a CuDNNLSTM in the recurrent
 * bias half's forget block.
 */
export function reinitializedWeights(
  className: string,
  config: Record<string, unknown>,
  weights: readonly { name: string; shape: number[] }[],
  seed: number,
  context: { layer: string },
): Float32Array[] {
  const r = new SeededRandom(seed);
  return weights.map((w) => {
    const base = w.name.split('/').pop() as string;
    const field = FIELD_OF[base];
    if (!field) throw new UnsupportedKerasConfigurationError(`re-initialising the weight ${w.name} is not implemented`, { layer: context.layer, className, field: w.name });
    const values = initialValues(config[field] as Entry, w.shape, r, field);
    if (className === 'LSTM' && base === 'bias' && config.unit_forget_bias !== false) {
      const units = w.shape[w.shape.length - 1] / 4;
      values.fill(1, units, 2 * units);
    }
    // CuDNNLSTM's (8·units) bias: input half then recurrent half; Keras puts the ones in the
    // recurrent half's forget block (its bias initializer: 5·units, ones(units), 2·units)
    if (className === 'CuDNNLSTM' && base === 'bias' && config.unit_forget_bias !== false) {
      const units = w.shape[w.shape.length - 1] / 8;
      values.fill(1, 5 * units, 6 * units);
    }
    return values;
  });
}
