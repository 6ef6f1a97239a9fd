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
  return !(generation.major >= 3 && initialStates > 0);
}

/**
 * Whether Bidirectional with return_sequences outputs zeros at masked steps (tf.keras 2.x and
 * Keras 3 force `zero_output_for_mask` there) rather than repeating the previous output (Keras 1,
 * standalone Keras 2).
 */
export function bidirectionalZeroesMaskedSteps(generation: KerasGeneration): boolean {
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
  if (generation.major < 3) return 'and';
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
  const m = /^\s*\d+\.(\d+)/.exec(generation.version);
  const minor = m ? Number(m[1]) : undefined;
  if (generation.major === 3) return minor !== undefined && minor >= 10 ? 'additive-zeroed' : 'additive';
  if (generation.major === 2) return minor === undefined || minor >= 4 ? 'additive' : 'ignored';
  return 'ignored';
}

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
