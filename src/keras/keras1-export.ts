import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { WeightSpec } from './model-spec.js';

/**
 * Keras 1 models rewritten as Keras 2 models, the way Keras 2's own loader converts Keras 1 files
 * (`keras/legacy/interfaces.py` renames the constructor arguments, `preprocess_weights_for_loading`
 * fuses the per-gate recurrent arrays): saving then goes on from the Keras 2 form. Only the
 * classes kerasrnn imports are converted; others (Keras 1 `Merge`, Theano's `full` padding) are
 * refused by name.
 */

/** The Keras version a converted Keras 1 model is written as: standalone Keras 2 before 2.3 keeps
 * every version-dependent rule of Keras 1 (hard_sigmoid, Bidirectional and merge masks, Softmax). */
export const KERAS1_TARGET_VERSION = '2.1.6';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Keras 1 class -> Keras 2 class. */
const CLASS_RENAMES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  AtrousConvolution1D: 'Conv1D',
  TimeDistributedDense: 'TimeDistributed',
};

/** Argument renames shared by every class (interfaces.py). */
const COMMON: Record<string, string> = {
  output_dim: 'units',
  init: 'kernel_initializer',
  inner_init: 'recurrent_initializer',
  inner_activation: 'recurrent_activation',
  W_regularizer: 'kernel_regularizer',
  U_regularizer: 'recurrent_regularizer',
  b_regularizer: 'bias_regularizer',
  W_constraint: 'kernel_constraint',
  U_constraint: 'recurrent_constraint',
  b_constraint: 'bias_constraint',
  bias: 'use_bias',
  dropout_W: 'dropout',
  dropout_U: 'recurrent_dropout',
  nb_filter: 'filters',
  filter_length: 'kernel_size',
  border_mode: 'padding',
  subsample_length: 'strides',
  atrous_rate: 'dilation_rate',
  pool_length: 'pool_size',
  stride: 'strides',
  input_dtype: 'dtype',
};

const PER_CLASS: Record<string, Record<string, string>> = {
  Embedding: { output_dim: 'output_dim', init: 'embeddings_initializer', W_regularizer: 'embeddings_regularizer', W_constraint: 'embeddings_constraint' },
  Dropout: { p: 'rate' },
  SpatialDropout1D: { p: 'rate' },
  GaussianDropout: { p: 'rate' },
  BatchNormalization: { beta_init: 'beta_initializer', gamma_init: 'gamma_initializer', gamma_regularizer: 'gamma_regularizer', beta_regularizer: 'beta_regularizer' },
  PReLU: { init: 'alpha_initializer' },
  UpSampling1D: { length: 'size' },
};

/** Fields with no Keras 2 constructor argument (Keras 2 refuses unknown arguments). */
const DROPPED = new Set(['input_dim', 'input_length', 'batch_input_shape', 'mode', 'forget_bias_init', 'consume_less', 'W_learning_rate_multiplier', 'b_learning_rate_multiplier', 'cache_enabled']);

const RECURRENT = new Set(['LSTM', 'GRU', 'SimpleRNN']);
const INITIALIZER_RENAMES: Record<string, string> = { zero: 'zeros', one: 'ones' };

function refuse(message: string, file: string, layer: string, className: string): never {
  throw new UnsupportedKerasConfigurationError(message, { file, layer, className });
}

/** One Keras 1 layer config as Keras 2's constructor arguments. */
function layerConfig(className: string, config: Json, file: string): { className: string; config: Json } {
  const name = String(config.name ?? '');
  if (className === 'Merge' || className === 'Highway' || className === 'MaxoutDense') {
    refuse(`Keras 1 ${className} layers are not converted to Keras 2 layers yet`, file, name, className);
  }
  if (config.border_mode === 'full') refuse("Theano's 'full' padding has no Keras 2 equivalent", file, name, className);
  const renames = { ...COMMON, ...(PER_CLASS[className] ?? {}) };
  const out: Json = {};
  for (const [k, v] of Object.entries(config)) {
    // Embedding's input_dim / input_length are its vocabulary size and sequence length
    if (DROPPED.has(k) && !(className === 'Embedding' && (k === 'input_dim' || k === 'input_length'))) continue;
    if (className === 'Embedding' && k === 'dropout') continue; // Keras 2's Embedding has no dropout
    const key = renames[k] ?? k;
    out[key] = key.endsWith('_initializer') && typeof v === 'string' ? (INITIALIZER_RENAMES[v] ?? v) : v;
  }
  if (RECURRENT.has(className)) {
    if (config.forget_bias_init !== undefined) out.unit_forget_bias = config.forget_bias_init === 'one';
    // consume_less: cpu -> 0, mem -> 1, gpu -> 2 (interfaces.py)
    const mode = config.consume_less;
    out.implementation = mode === 'gpu' ? 2 : mode === 'mem' ? 1 : 0;
    if (className === 'GRU') out.reset_after = false;
  }
  if (className === 'TimeDistributedDense') {
    const { name: n, trainable, ...dense } = out;
    return { className: 'TimeDistributed', config: { name: n, trainable: trainable ?? true, layer: { class_name: 'Dense', config: { ...dense, name: `${String(n)}_dense` } } } };
  }
  if (className === 'Convolution1D' || className === 'AtrousConvolution1D') {
    for (const k of ['kernel_size', 'strides', 'dilation_rate']) if (typeof out[k] === 'number') out[k] = [out[k]];
  }
  if (className === 'MaxPooling1D' || className === 'AveragePooling1D') {
    for (const k of ['pool_size', 'strides']) if (typeof out[k] === 'number') out[k] = [out[k]];
  }
  for (const field of ['layer', 'backward_layer']) {
    const inner = out[field];
    if (isObject(inner) && typeof inner.class_name === 'string') {
      const c = layerConfig(inner.class_name, isObject(inner.config) ? inner.config : {}, file);
      out[field] = { class_name: c.className, config: c.config };
    }
  }
  return { className: CLASS_RENAMES[className] ?? className, config: out };
}

/**
 * A Keras 1 model config in Keras 2 form. `inputShape` is the Sequential model's input shape
 * (Keras 1 declares it through input_dim / input_length on the first layer).
 */
export function keras1ModelConfig(json: unknown, file: string, inputShape: unknown): Json {
  const model = json as Json;
  const className = String(model.class_name);
  const raw = model.config;
  if (className === 'Sequential') {
    const layers = (Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw.layers) ? raw.layers : []) as Json[];
    const out = layers.map((l, i) => {
      const c = layerConfig(String(l.class_name), isObject(l.config) ? l.config : {}, file);
      if (i === 0 && l.class_name !== 'InputLayer') c.config = { batch_input_shape: inputShape, ...c.config };
      return { class_name: c.className, config: c.config };
    });
    return { class_name: 'Sequential', config: { name: isObject(raw) && typeof raw.name === 'string' ? raw.name : 'sequential_1', layers: out } };
  }
  if (className !== 'Model' || !isObject(raw)) refuse('only Sequential and Model configs of Keras 1 are converted', file, String(model.name ?? ''), className);
  const layers = (Array.isArray(raw.layers) ? raw.layers : []) as Json[];
  return {
    class_name: 'Model',
    config: {
      ...raw,
      layers: layers.map((l) => {
        const config = isObject(l.config) ? l.config : {};
        if (l.class_name === 'InputLayer') {
          const { input_dtype, ...rest } = config;
          return { ...l, config: { ...rest, dtype: input_dtype ?? 'float32' } };
        }
        if (l.class_name === 'Sequential' || l.class_name === 'Model') refuse('nested Keras 1 models are not converted yet', file, String(l.name ?? ''), String(l.class_name));
        const c = layerConfig(String(l.class_name), config, file);
        return { ...l, class_name: c.className, config: c.config };
      }),
    },
  };
}

function concatColumns(parts: Float32Array[], rows: number): Float32Array {
  const widths = parts.map((p) => p.length / rows);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let at = r * total;
    parts.forEach((p, i) => {
      out.set(p.subarray(r * widths[i], (r + 1) * widths[i]), at);
      at += widths[i];
    });
  }
  return out;
}

/** Per-gate arrays (W_x, U_x, b_x for each gate in stored order) fused as Keras 2 does. */
function fuseGates(specs: readonly WeightSpec[], arrays: readonly Float32Array[], gates: string[]): { specs: WeightSpec[]; arrays: Float32Array[] } {
  const at = (n: string) => specs.findIndex((s) => s.name === n);
  const pick = (prefix: string) => gates.map((g) => at(`${prefix}_${g}`));
  const w = pick('W');
  const u = pick('U');
  const b = pick('b');
  const units = specs[u[0]].shape[1];
  const inDim = specs[w[0]].shape[0];
  const out: { specs: WeightSpec[]; arrays: Float32Array[] } = {
    specs: [
      { name: 'kernel', shape: [inDim, units * gates.length] },
      { name: 'recurrent_kernel', shape: [units, units * gates.length] },
    ],
    arrays: [concatColumns(w.map((i) => arrays[i]), inDim), concatColumns(u.map((i) => arrays[i]), units)],
  };
  if (b.every((i) => i >= 0)) {
    out.specs.push({ name: 'bias', shape: [units * gates.length] });
    out.arrays.push(concatColumns(b.map((i) => arrays[i]), 1));
  }
  return out;
}

const KERAS2_NAMES: Record<string, string[]> = {
  Dense: ['kernel', 'bias'],
  TimeDistributedDense: ['kernel', 'bias'],
  TimeDistributed: ['kernel', 'bias'],
  Embedding: ['embeddings'],
  SimpleRNN: ['kernel', 'recurrent_kernel', 'bias'],
  Convolution1D: ['kernel', 'bias'],
  AtrousConvolution1D: ['kernel', 'bias'],
  BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
  PReLU: ['alpha'],
};

/**
 * A Keras 1 layer's arrays (in the importer's order) in Keras 2's order and shapes: per-gate LSTM
 * arrays fused in the gate order i, f, c, o and GRU's in z, r, h; Convolution1D kernels
 * (filter_length, 1, input_dim, nb_filter) reshaped to (kernel_size, input_dim, filters).
 */
export function keras1Weights(className: string, specs: readonly WeightSpec[], arrays: readonly Float32Array[], file: string, layer: string): { specs: WeightSpec[]; arrays: Float32Array[] } {
  const half = (f: (s: readonly WeightSpec[], a: readonly Float32Array[]) => { specs: WeightSpec[]; arrays: Float32Array[] }) => f(specs, arrays);
  const one = (s: readonly WeightSpec[], a: readonly Float32Array[], cls: string) => keras1Weights(cls, s, a, file, layer);
  if (className === 'Bidirectional') {
    const n = specs.length / 2;
    const cls = specs.some((s) => s.name === 'W_i') ? 'LSTM' : specs.some((s) => s.name === 'W_z') ? 'GRU' : 'SimpleRNN';
    const f = one(specs.slice(0, n), arrays.slice(0, n), cls);
    const b = one(specs.slice(n), arrays.slice(n), cls);
    return { specs: [...f.specs, ...b.specs], arrays: [...f.arrays, ...b.arrays] };
  }
  if (specs.some((s) => s.name === 'W_i')) return half((s, a) => fuseGates(s, a, ['i', 'f', 'c', 'o']));
  if (specs.some((s) => s.name === 'W_z')) return half((s, a) => fuseGates(s, a, ['z', 'r', 'h']));
  if (specs.length === 0 || specs[0].name === 'kernel') return { specs: specs.slice(), arrays: arrays.slice() };
  const names = KERAS2_NAMES[className];
  if (!names || names.length < specs.length) {
    throw new UnsupportedKerasConfigurationError('cannot convert this Keras 1 layer\'s weights to Keras 2', { file, layer, className });
  }
  return {
    specs: specs.map((s, i) => ({ name: names[i], shape: s.shape.length === 4 && s.shape[1] === 1 ? [s.shape[0], s.shape[2], s.shape[3]] : s.shape.slice() })),
    arrays: arrays.slice(),
  };
}

/** Keras 2 class of a Keras 1 class (saved-layer keys follow it). */
export function keras2ClassName(className: string): string {
  return CLASS_RENAMES[className] ?? className;
}
