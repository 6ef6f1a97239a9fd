import type { KerasGeneration } from './generation.js';

/**
 * Version-dependent behaviours that are not field names, decided here once from the file's Keras
 * generation (see shared/keras-semantics.md for the evidence behind each).
 */

/**
 * Whether a layer call receives its upstream mask. Keras 3 populates `mask` only when the call
 * has a single tensor argument, so an RNN called with `initial_state=` gets no mask; Keras 1/2
 * collect the masks of all inputs and the RNN uses the sequence's.
 */
export function callReceivesMask(generation: KerasGeneration, initialStates: number): boolean {
  // TF.js hands every layer call the mask of its first input (engine/executor.ts).
  if (generation.runtime === 'tfjs') return true;
  return !(generation.major >= 3 && initialStates > 0);
}

/**
 * Whether Bidirectional with return_sequences outputs zeros at masked steps (tf.keras 2.x and
 * Keras 3 force `zero_output_for_mask` there) rather than repeating the previous output (Keras 1,
 * standalone Keras 2).
 */
export function bidirectionalZeroesMaskedSteps(generation: KerasGeneration): boolean {
  // tfjs-layers' rnn() always repeats the previous output at masked steps.
  if (generation.runtime === 'tfjs') return false;
  if (generation.major >= 3) return true;
  if (generation.major === 1) return false;
  // tf.keras writes "2.x.y-tf"; standalone Keras 2.3+ was rebuilt on tf.keras' implementation.
  const m = /^2\.(\d+)/.exec(generation.version);
  return /-tf/.test(generation.version) || (m !== null && Number(m[1]) >= 3);
}

/**
 * Whether the file's convolutions follow Theano: Theano's conv is a true convolution, so its
 * stored kernels are flipped along the spatial axes compared with TensorFlow's cross-correlation
 * (Keras' loader applies `convert_kernel` when the file's `backend` attribute says "theano"), and
 * its 'same' padding puts floor(window / 2) steps before the input (TensorFlow: floor((window - 1)
 * / 2)), which differs for even windows. Keras 1 files do not record their backend; like Keras'
 * own loader, kerasrnn then takes the TensorFlow convention.
 */
export function theanoConvolutions(generation: KerasGeneration): boolean {
  return generation.backend === 'theano';
}

/**
 * How the merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate) treat
 * time-step masks:
 * - `'and'`: Keras 1, Keras 2 and tf.keras: the output mask is the AND of the masks present
 *   (none when no input has one); values are merged as they are.
 * - `'none'`: Keras 3.0 to 3.3 passed no masks into layers called on a list of tensors, so merge
 *   layers output no mask (keras-team/keras#19817).
 * - `'or'`: Keras 3.4 and later (keras-team/keras#19685): the element-wise merges output the OR of
 *   the masks when every input has one (no mask otherwise); Maximum and Minimum take the other
 *   input's value at an input's masked steps, and Multiply treats masked steps as 1 (0 where
 *   every input is masked). Concatenate keeps the AND of its masks.
 * An inferred "3" (no version stated) counts as a current Keras 3.
 */
export function mergeMaskRule(generation: KerasGeneration): 'and' | 'none' | 'or' {
  // tfjs-layers' Merge.computeMask is the AND of the masks present, whatever Keras wrote the config.
  if (generation.major < 3 || generation.runtime === 'tfjs') return 'and';
  const m = /^3\.(\d+)/.exec(generation.version);
  return m !== null && Number(m[1]) < 4 ? 'none' : 'or';
}

/** How a `Softmax` layer uses the mask it receives (see {@link softmaxLayerMask}). */
export type SoftmaxMaskRule = 'ignored' | 'additive' | 'additive-zeroed';

/**
 * The `Softmax` layer's mask handling by version: standalone Keras 2 (<= 2.3) and tf.keras before
 * 2.4 ignore it; tf.keras 2.4+ and Keras 3 add (1 - mask) * -1e9 to the logits (in float32, so a
 * fully masked row comes out (nearly) uniform); Keras 3.10+ also multiplies the result by the
 * mask (keras-team/keras#21149), so fully masked rows are zeros.
 */
export function softmaxLayerMask(generation: KerasGeneration): SoftmaxMaskRule {
  // tfjs-layers' Softmax adds (1 - mask) * -1e9 when it is given a mask.
  if (generation.runtime === 'tfjs') return 'additive';
  const m = /^\s*\d+\.(\d+)/.exec(generation.version);
  const minor = m ? Number(m[1]) : undefined;
  if (generation.major === 3) return minor !== undefined && minor >= 10 ? 'additive-zeroed' : 'additive';
  if (generation.major === 2) return minor === undefined || minor >= 4 ? 'additive' : 'ignored';
  return 'ignored';
}

/**
 * The recurrent activation an LSTM / GRU config that omits it gets: `hard_sigmoid` in Keras 1/2
 * and in TF.js (tfjs-layers' default, also for configs converted from Keras 3), `sigmoid` in
 * Keras 3.
 */
export function defaultRecurrentActivation(generation: KerasGeneration): string {
  return generation.major >= 3 && generation.runtime !== 'tfjs' ? 'sigmoid' : 'hard_sigmoid';
}

/**
 * GRU's `reset_after` when the config omits it: true in Keras 3, false in Keras 2 configs (whose
 * savers always write it) and in TF.js, which implements only `reset_after=False`. (A TF.js
 * config that says `reset_after: true` is refused by tfjs-layers; kerasrnn runs it as Keras does.)
 */
export function defaultGruResetAfter(generation: KerasGeneration): boolean {
  return generation.major >= 3 && generation.runtime !== 'tfjs';
}

/**
 * The floor of the squared L2 norm in `Dot(normalize=True)`: tf.math.l2_normalize uses 1e-12;
 * Keras 3 floors the norm at 1e-7 (squared 1e-14); tfjs-layers floors the squared norm at its
 * epsilon, 1e-7.
 */
export function dotNormalizeEpsilon(generation: KerasGeneration): number {
  if (generation.runtime === 'tfjs') return 1e-7;
  return generation.major >= 3 ? 1e-14 : 1e-12;
}

/**
 * Whether GlobalAveragePooling1D averages over unmasked steps only: Keras >= 2.1 and Keras 3 do;
 * tfjs-layers averages every step (its GlobalAveragePooling1D takes no mask).
 */
export function globalAveragePoolingUsesMask(generation: KerasGeneration): boolean {
  return generation.runtime !== 'tfjs';
}

/**
 * tfjs-layers passes a mask on only from layers that declare `supportsMasking` (and Embedding,
 * which makes one); the output mask of any other layer is dropped, where Keras may carry it on
 * (e.g. LeakyReLU, ELU, Softmax, SpatialDropout1D). Returns false for a layer whose output mask
 * TF.js drops; true otherwise (the layer's own rule then applies).
 */
export function layerPassesMask(generation: KerasGeneration, className: string): boolean {
  return generation.runtime !== 'tfjs' || TFJS_MASKING_LAYERS.has(className);
}

/** tfjs-layers classes with `supportsMasking = true` (or their own computeMask), as of tfjs 4.22. */
const TFJS_MASKING_LAYERS = new Set([
  'Embedding', 'Masking', 'Dense', 'Dropout', 'SpatialDropout1D', 'Activation', 'ReLU', 'PReLU',
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot',
  'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'BatchNormalization', 'LayerNormalization',
  'RNN', 'LSTM', 'GRU', 'SimpleRNN', 'TimeDistributed', 'Bidirectional', 'MultiHeadAttention', 'InputLayer',
]);

const MERGE_CLASSES = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate']);

function mentionsValue(v: unknown, value: string, depth = 0): boolean {
  if (v === value) return true;
  if (depth > 32 || v === null || typeof v !== 'object') return false;
  return Object.values(v as Record<string, unknown>).some((x) => mentionsValue(x, value, depth + 1));
}

/**
 * Why a model read as `from` would compute differently if written as a file of generation `to`
 * (the version-dependent rules above), naming the first layer concerned; null when it would not.
 * Used before saving a model in another generation's format (e.g. tf.keras `.h5` to `.keras`).
 */
export function semanticsChange(
  layers: readonly { name: string; className: string; config: Record<string, unknown>; initialStates: number }[],
  from: KerasGeneration,
  to: KerasGeneration,
): { layer: string; className: string; reason: string } | null {
  const crossesKeras3 = from.major >= 3 !== to.major >= 3;
  const masked = layers.some((l) => l.className === 'Masking' || l.config?.mask_zero === true);
  for (const l of layers) {
    const at = (reason: string) => ({ layer: l.name, className: l.className, reason });
    if (crossesKeras3 && mentionsValue(l.config, 'hard_sigmoid')) {
      return at('hard_sigmoid is clip(0.2x + 0.5, 0, 1) before Keras 3 and relu6(x + 3) / 6 in Keras 3');
    }
    if (/Conv/.test(l.className) && theanoConvolutions(from) !== theanoConvolutions(to)) return at('Theano and TensorFlow convolutions differ (flipped kernels, \'same\' padding)');
    if (crossesKeras3 && l.className === 'Dot' && l.config?.normalize === true) return at('Dot(normalize=True) uses epsilon 1e-12 before Keras 3 and 1e-14 in Keras 3');
    if (!masked) continue;
    if (MERGE_CLASSES.has(l.className) && mergeMaskRule(from) !== mergeMaskRule(to)) return at('merge layers combine time-step masks differently in these Keras versions');
    if (l.className === 'Softmax' && softmaxLayerMask(from) !== softmaxLayerMask(to)) return at('Softmax applies a mask differently in these Keras versions');
    if (l.className === 'Bidirectional' && bidirectionalZeroesMaskedSteps(from) !== bidirectionalZeroesMaskedSteps(to)) {
      return at('Bidirectional fills masked steps differently in these Keras versions');
    }
    if (l.initialStates > 0 && callReceivesMask(from, l.initialStates) !== callReceivesMask(to, l.initialStates)) {
      return at('an RNN called with initial_state receives the mask in one of these Keras versions only');
    }
    if (crossesKeras3 && /Attention$/.test(l.className)) return at('attention layers use masks differently in these Keras versions');
  }
  return null;
}

/**
 * How Keras weighs a model output's loss by the time-step mask that reaches the output (a mask
 * from Masking / Embedding(mask_zero) through layers that pass it on). Every version multiplies
 * each step's loss (and sample weight) by the mask; they differ in what the masked sum is divided
 * by under the default "sum_over_batch_size" reduction, with `n` the number of [batch, step] loss
 * values and `kept` the number of unmasked ones:
 * - `kept`: sum / kept. Keras 1 and standalone Keras 2.0 - 2.2.4 (`weighted_masked_objective`:
 *   `score_array /= K.mean(mask)`, then the mean), tf.keras 2.11+ (`losses_utils.apply_valid_mask`
 *   scales the mask by n / kept; keras-team/keras commit 2fd719d, first in v2.11.0).
 * - `kept-fraction-epsilon`: sum / (n (kept / n + 1e-7)). Standalone Keras 2.2.5
 *   (`score_array /= K.mean(mask) + K.epsilon()`).
 * - `kept-count-epsilon`: sum n / (kept + 1e-7) / n. Keras 3.0 - 3.12 (`keras/src/losses/loss.py`
 *   `apply_mask`: `mask *= total / (valid + backend.epsilon())`).
 * - `kept-no-nan`: sum / kept, 0 when every step is masked. Keras 3.13+ (`divide_no_nan(total, valid)`).
 * - `all`: sum / n. Standalone Keras 2.3.x (`_prepare_total_loss`: the mask multiplies the sample
 *   weights, then `reduce_weighted_loss` divides by every element) and tf.keras 2.6 - 2.10
 *   (`compile_utils.LossesContainer`: `sw = apply_mask(y_p, sw, get_mask(y_p))`, same reduction).
 *
 * Metrics (the unweighted `metrics` kerasrnn computes): `kept` is a running mean over the unmasked
 * steps (tf.keras 2 / Keras 2.3 `MetricsContainer` passes the mask as the metrics' sample weight;
 * Keras 3.12+ `MeanMetricWrapper` always applies it); `batch-kept` is each batch's mean over its
 * unmasked steps, averaged over batches weighted by their sample count (Keras 2.0 - 2.2.5
 * `weighted_masked_objective` on the metric, then the BaseLogger's average); `all` ignores the
 * mask (Keras 1 computes metrics without masks; Keras 3.0 - 3.11 apply it only with a sample
 * weight: `if sample_weight is not None and mask is not None`).
 *
 * tf.keras written as `2.x.y-tf` (TensorFlow 1.x - 2.2), tf.keras 2.4 / 2.5 (in TensorFlow's own
 * repository), TF.js models and files whose version is not stated return null: their rule is not
 * pinned here and a mask reaching the loss is refused for them by name.
 */
export interface MaskedLossRule {
  loss: 'kept' | 'kept-fraction-epsilon' | 'kept-count-epsilon' | 'kept-no-nan' | 'all';
  metrics: 'kept' | 'batch-kept' | 'all';
}

/** The {@link MaskedLossRule} of the file's Keras version, or null where it is not pinned (training then refuses a masked loss). */
export function maskedLossRule(generation: KerasGeneration): MaskedLossRule | null {
  if (generation.runtime === 'tfjs' || generation.inferred) return null;
  const m = /^\s*(\d+)\.(\d+)\.(\d+)/.exec(generation.version);
  if (!m) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (major === 1) return { loss: 'kept', metrics: 'all' };
  if (major >= 3) return { loss: minor >= 13 || major > 3 ? 'kept-no-nan' : 'kept-count-epsilon', metrics: minor >= 12 || major > 3 ? 'kept' : 'all' };
  if (/-tf/.test(generation.version)) return null;
  if (minor < 2 || (minor === 2 && patch <= 4)) return { loss: 'kept', metrics: 'batch-kept' };
  if (minor === 2) return { loss: 'kept-fraction-epsilon', metrics: 'batch-kept' };
  if (minor === 3) return { loss: 'all', metrics: 'kept' };
  if (minor >= 6 && minor <= 10) return { loss: 'all', metrics: 'kept' };
  if (minor >= 11) return { loss: 'kept', metrics: 'kept' };
  return null;
}
