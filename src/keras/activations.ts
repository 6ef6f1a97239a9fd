import { UnsupportedKerasConfigurationError, type ErrorContext } from '../errors.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';
import type { KerasGeneration } from './generation.js';

/** Kernel ids of element-wise activations: the ACT_* constants of `assembly/activation-ids.ts`. */
export const ActivationId = {
  linear: KERNEL_CONSTANTS.ACT_LINEAR,
  tanh: KERNEL_CONSTANTS.ACT_TANH,
  sigmoid: KERNEL_CONSTANTS.ACT_SIGMOID,
  hardSigmoidKeras2: KERNEL_CONSTANTS.ACT_HARD_SIGMOID,
  hardSigmoidKeras3: KERNEL_CONSTANTS.ACT_HARD_SIGMOID_K3,
  relu: KERNEL_CONSTANTS.ACT_RELU,
  elu: KERNEL_CONSTANTS.ACT_ELU,
  selu: KERNEL_CONSTANTS.ACT_SELU,
  softplus: KERNEL_CONSTANTS.ACT_SOFTPLUS,
  softsign: KERNEL_CONSTANTS.ACT_SOFTSIGN,
  exponential: KERNEL_CONSTANTS.ACT_EXPONENTIAL,
  swish: KERNEL_CONSTANTS.ACT_SWISH,
  gelu: KERNEL_CONSTANTS.ACT_GELU,
  geluTanh: KERNEL_CONSTANTS.ACT_GELU_TANH,
  relu6: KERNEL_CONSTANTS.ACT_RELU6,
  leakyRelu: KERNEL_CONSTANTS.ACT_LEAKY_RELU,
  hardSilu: KERNEL_CONSTANTS.ACT_HARD_SILU,
  mish: KERNEL_CONSTANTS.ACT_MISH,
  hardTanh: KERNEL_CONSTANTS.ACT_HARD_TANH,
} as const;

/** A resolved activation: an element-wise kernel, or a row-wise (log-)softmax over an axis. */
export type Activation =
  | { kind: 'elementwise'; name: string; id: number; alpha: number }
  | { kind: 'softmax' | 'logSoftmax'; name: string; axis: number };

const ELEMENTWISE: Record<string, number> = {
  linear: ActivationId.linear,
  tanh: ActivationId.tanh,
  sigmoid: ActivationId.sigmoid,
  relu: ActivationId.relu,
  elu: ActivationId.elu,
  selu: ActivationId.selu,
  softplus: ActivationId.softplus,
  softsign: ActivationId.softsign,
  exponential: ActivationId.exponential,
  swish: ActivationId.swish,
  silu: ActivationId.swish,
  gelu: ActivationId.gelu,
  relu6: ActivationId.relu6,
  leaky_relu: ActivationId.leakyRelu,
  hard_silu: ActivationId.hardSilu,
  hard_swish: ActivationId.hardSilu,
  mish: ActivationId.mish,
  hard_tanh: ActivationId.hardTanh,
};

/**
 * Keras serialises an activation as a name, or (Keras 3, some tf.keras) as an object whose
 * `config` is the name. Custom Python functions appear under their own name and are refused.
 */
function activationName(value: unknown): string | undefined {
  if (value === undefined || value === null) return 'linear';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (typeof v.config === 'string') return v.config;
    if (v.config && typeof v.config === 'object' && typeof (v.config as Record<string, unknown>).name === 'string') {
      return (v.config as Record<string, unknown>).name as string;
    }
    if (typeof v.class_name === 'string' && v.class_name !== 'function') return v.class_name;
  }
  return undefined;
}

/**
 * Resolves a Keras activation for this file's generation. `hard_sigmoid` is the one whose
 * meaning changed: clip(0.2x + 0.5, 0, 1) in Keras 1/2, relu6(x + 3) / 6 in Keras 3 (including
 * legacy .h5 files that Keras 3 wrote).
 */
export function resolveActivation(value: unknown, generation: KerasGeneration, ctx: ErrorContext): Activation {
  const raw = activationName(value);
  if (raw === undefined) {
    throw new UnsupportedKerasConfigurationError('activation is not a Keras built-in that kerasrnn knows', { ...ctx, value });
  }
  const name = raw.toLowerCase();
  if (name === 'softmax') return { kind: 'softmax', name, axis: -1 };
  if (name === 'log_softmax') return { kind: 'logSoftmax', name, axis: -1 };
  if (name === 'hard_sigmoid' || name === 'hardsigmoid') {
    // TF.js' hardSigmoid is clip(0.2x + 0.5, 0, 1) whatever Keras version converted the model.
    const id = generation.major >= 3 && generation.runtime !== 'tfjs' ? ActivationId.hardSigmoidKeras3 : ActivationId.hardSigmoidKeras2;
    return { kind: 'elementwise', name, id, alpha: 0 };
  }
  // 'gelu_new' is TF.js' name for the tanh approximation.
  if (name === 'gelu_approximate' || name === 'gelu_new') return { kind: 'elementwise', name, id: ActivationId.geluTanh, alpha: 0 };
  const id = ELEMENTWISE[name];
  if (id === undefined) {
    throw new UnsupportedKerasConfigurationError(
      `activation "${raw}" is not supported (custom Python activations cannot be loaded)`,
      { ...ctx, value: raw },
    );
  }
  // Keras 3's leaky_relu activation uses negative_slope 0.2.
  return { kind: 'elementwise', name, id, alpha: id === ActivationId.leakyRelu ? 0.2 : 0 };
}

/** Resolves an activation that must be element-wise (recurrent cells cannot take softmax). */
export function resolveElementwiseActivation(value: unknown, generation: KerasGeneration, ctx: ErrorContext) {
  const a = resolveActivation(value, generation, ctx);
  if (a.kind !== 'elementwise') {
    throw new UnsupportedKerasConfigurationError(`activation "${a.name}" is not supported here (only element-wise activations)`, {
      ...ctx,
      value: a.name,
    });
  }
  return a;
}
