import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { MaskedLossRule } from '../keras/semantics.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';

/**
 * Keras losses for training, computed by the kernels of assembly/losses.ts with Keras' default
 * reduction ("sum_over_batch_size": the mean over samples of each sample's loss, where a sample's
 * loss is the mean over its last axis for the element-wise losses and the sum over classes for the
 * cross-entropies). With sample weights (one per sample, i.e. per entry of the first axis), each
 * sample's loss is multiplied by its weight and the result still divided by the number of loss
 * values, as Keras' "sum_over_batch_size" does. A time-step mask reaching the loss (outputs
 * [batch, steps, features]) weighs each step's loss by the mask (times its sample weight) and
 * divides as the file's Keras version does ({@link MaskedLossRule} in keras/semantics.ts).
 * Other reductions are not implemented yet.
 */

/** A loss as Keras names it, with its options. */
export interface LossSpec {
  name: 'mean_squared_error' | 'mean_absolute_error' | 'huber' | 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy';
  fromLogits?: boolean;
  labelSmoothing?: number;
  /** Huber's delta (default 1). */
  delta?: number;
}

const ALIASES: Record<string, LossSpec['name']> = {
  mse: 'mean_squared_error',
  mean_squared_error: 'mean_squared_error',
  MeanSquaredError: 'mean_squared_error',
  mae: 'mean_absolute_error',
  mean_absolute_error: 'mean_absolute_error',
  MeanAbsoluteError: 'mean_absolute_error',
  huber: 'huber',
  huber_loss: 'huber',
  Huber: 'huber',
  binary_crossentropy: 'binary_crossentropy',
  BinaryCrossentropy: 'binary_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  CategoricalCrossentropy: 'categorical_crossentropy',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  SparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
};

/**
 * The loss of a Keras config entry: a name (`"mse"`) or a serialised loss object
 * (`{class_name: "Huber", config: {delta: 2}}`); anything else is refused naming it.
 */
export function lossFromConfig(entry: unknown): LossSpec {
  const className = typeof entry === 'string' ? entry : (entry as { class_name?: unknown })?.class_name;
  const name = typeof className === 'string' ? ALIASES[className] : undefined;
  if (!name) throw new UnsupportedKerasConfigurationError('this loss is not implemented for training', { field: 'loss', value: className ?? entry });
  const config = (typeof entry === 'object' && entry !== null ? (entry as { config?: Record<string, unknown> }).config : undefined) ?? {};
  const reduction = config.reduction;
  if (reduction !== undefined && reduction !== 'sum_over_batch_size' && reduction !== 'auto') {
    throw new UnsupportedKerasConfigurationError('only the "sum_over_batch_size" reduction is implemented', { field: 'loss.reduction', value: reduction });
  }
  return {
    name,
    fromLogits: config.from_logits === true,
    labelSmoothing: typeof config.label_smoothing === 'number' ? config.label_smoothing : 0,
    delta: typeof config.delta === 'number' ? config.delta : 1,
  };
}

/** A time-step mask reaching a loss: u8 [batch][steps] in wasm memory (1 = kept), and Keras' divisor rule. */
export interface LossMask {
  ptr: number;
  divisor: MaskedLossRule['loss'];
}

/**
 * The factor Keras' masked "sum_over_batch_size" puts on the masked sum (already divided by all
 * `rows` [batch, step] loss values), given the `kept` (unmasked) ones: see keras/semantics.ts.
 */
export function maskedLossFactor(divisor: MaskedLossRule['loss'], kept: number, rows: number): number {
  switch (divisor) {
    case 'all':
      return 1;
    case 'kept':
      return rows / kept;
    case 'kept-no-nan':
      return kept === 0 ? 0 : rows / kept;
    case 'kept-count-epsilon':
      return rows / (kept + 1e-7);
    case 'kept-fraction-epsilon':
      return 1 / (kept / rows + 1e-7);
  }
}

/** Loss value and gradient with respect to the predictions. */
export interface LossResult {
  loss: number;
  grad: Float32Array;
}

/**
 * Computes the loss of `pred` ([batch, ..., cols]) against `target` (same shape; for the sparse
 * loss, one class index per row) and its gradient d(loss)/d(pred), optionally sample-weighted.
 */
export function computeLoss(
  memory: WasmMemory,
  spec: LossSpec,
  pred: { data: Float32Array; shape: number[] },
  target: Float32Array,
  sampleWeights?: Float32Array | null,
  mask?: { values: Uint8Array; divisor: MaskedLossRule['loss'] } | null,
): LossResult {
  memory.beginScratch();
  try {
    const n = pred.data.length;
    const p = memory.scratch(n * 4);
    memory.f32(p, n).set(pred.data);
    const t = memory.scratch(Math.max(1, target.length) * 4);
    memory.f32(t, target.length).set(target);
    const g = memory.scratch(n * 4);
    let m: LossMask | null = null;
    if (mask) {
      const ptr = memory.scratch(mask.values.length);
      memory.u8(ptr, mask.values.length).set(mask.values);
      m = { ptr, divisor: mask.divisor };
    }
    const loss = lossInto(memory, spec, p, pred.shape, t, target, g, sampleWeights, m);
    return { loss, grad: memory.f32(g, n).slice() };
  } finally {
    memory.endScratch();
  }
}

/**
 * The loss of predictions already in wasm memory (`pred`, shape `shape`) against `target` (its
 * values at `targetPtr`, also given as an array for the checks); writes the gradient to `grad`.
 * Scratch memory of the caller's scope holds the row weights.
 * `batch` gives the loss denominators of the whole batch when `pred` holds only some of its
 * samples (a thread's slice, parallel-trainer.ts): the slice's loss and gradient are then its
 * exact share of the batch's "sum_over_batch_size" mean, element for element the same values.
 */
export function lossInto(
  memory: WasmMemory,
  spec: LossSpec,
  pred: number,
  shape: readonly number[],
  targetPtr: number,
  target: Float32Array,
  grad: number,
  sampleWeights?: Float32Array | null,
  mask?: LossMask | null,
  batch?: { values: number; rows: number },
): number {
  const n = shape.reduce((a, b) => a * b, 1);
  const cols = shape[shape.length - 1] ?? 1;
  const rows = n / cols;
  const sparse = spec.name === 'sparse_categorical_crossentropy';
  const expected = sparse ? rows : n;
  if (target.length !== expected) {
    throw new InputError(`the targets have ${target.length} values, ${spec.name} needs ${expected}`, { field: 'y', value: target.length });
  }
  const smoothing = spec.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new InputError('label_smoothing must be in [0, 1]', { field: 'label_smoothing', value: smoothing });
  if (sparse) {
    for (let i = 0; i < target.length; i++) {
      const id = target[i];
      if (!(Number.isInteger(id) && id >= 0 && id < cols)) throw new InputError(`class index ${id} at row ${i} is outside [0, ${cols})`, { field: 'y', value: id });
    }
  }
  if (sparse && smoothing !== 0) throw new UnsupportedKerasConfigurationError('sparse_categorical_crossentropy has no label smoothing in Keras', { field: 'label_smoothing', value: smoothing });
  const k = memory.kernels;
  const samples = shape[0];
  if (sampleWeights && sampleWeights.length !== samples) {
    throw new InputError(`${sampleWeights.length} sample weights for ${samples} samples`, { field: 'sampleWeight', value: sampleWeights.length });
  }
  if (mask && (shape.length !== 3 || rows !== samples * shape[1])) {
    throw new UnsupportedKerasConfigurationError('a time-step mask reaching a loss needs outputs of shape [batch, steps, features]', { field: 'mask', value: shape });
  }
  // one weight per row: the sample's weight times the step's mask
  let weights = 0;
  let factor = 1;
  if (sampleWeights || mask) {
    let sw = 0;
    if (sampleWeights) {
      sw = memory.scratch(samples * 4);
      memory.f32(sw, samples).set(sampleWeights);
    }
    weights = memory.scratch(rows * 4);
    const kept = k.lossRowWeights(mask?.ptr ?? 0, sw, samples, rows / samples, weights);
    if (mask) factor = maskedLossFactor(mask.divisor, kept, rows);
  }
  const elementScale = factor / (batch?.values ?? n);
  const rowScale = factor / (batch?.rows ?? rows);
  const flags = (spec.fromLogits ? KERNEL_CONSTANTS.CCE_FROM_LOGITS : 0) | (sparse ? KERNEL_CONSTANTS.CCE_SPARSE : 0);
  switch (spec.name) {
    case 'mean_squared_error':
      return k.lossMse(pred, targetPtr, n, cols, weights, elementScale, grad) * elementScale;
    case 'mean_absolute_error':
      return k.lossMae(pred, targetPtr, n, cols, weights, elementScale, grad) * elementScale;
    case 'huber':
      return k.lossHuber(pred, targetPtr, n, cols, spec.delta ?? 1, weights, elementScale, grad) * elementScale;
    case 'binary_crossentropy':
      return k.lossBinaryCrossentropy(pred, targetPtr, n, cols, spec.fromLogits ? 1 : 0, smoothing, weights, elementScale, grad) * elementScale;
    default:
      return k.lossCategoricalCrossentropy(pred, targetPtr, rows, cols, flags, smoothing, weights, rowScale, grad) * rowScale;
  }
}
