import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';

/**
 * Keras losses for training, computed by the kernels of assembly/losses.ts with Keras' default
 * reduction ("sum_over_batch_size": the mean over samples of each sample's loss, where a sample's
 * loss is the mean over its last axis for the element-wise losses and the sum over classes for the
 * cross-entropies). With sample weights (one per sample, i.e. per entry of the first axis), each
 * sample's loss is multiplied by its weight and the result still divided by the number of loss
 * values, as Keras' "sum_over_batch_size" does. Other reductions are not implemented yet.
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

/** Loss value and gradient with respect to the predictions. */
export interface LossResult {
  loss: number;
  grad: Float32Array;
}

/**
 * Computes the loss of `pred` ([batch, ..., cols]) against `target` (same shape; for the sparse
 * loss, one class index per row) and its gradient d(loss)/d(pred), optionally sample-weighted.
 */
export function computeLoss(memory: WasmMemory, spec: LossSpec, pred: { data: Float32Array; shape: number[] }, target: Float32Array, sampleWeights?: Float32Array | null): LossResult {
  memory.beginScratch();
  try {
    const n = pred.data.length;
    const p = memory.scratch(n * 4);
    memory.f32(p, n).set(pred.data);
    const t = memory.scratch(Math.max(1, target.length) * 4);
    memory.f32(t, target.length).set(target);
    const g = memory.scratch(n * 4);
    const loss = lossInto(memory, spec, p, pred.shape, t, target, g, sampleWeights);
    return { loss, grad: memory.f32(g, n).slice() };
  } finally {
    memory.endScratch();
  }
}

/**
 * The loss of predictions already in wasm memory (`pred`, shape `shape`) against `target` (its
 * values at `targetPtr`, also given as an array for the checks); writes the gradient to `grad`.
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
  const elementScale = 1 / (batch?.values ?? n);
  const rowScale = 1 / (batch?.rows ?? rows);
  const logits = spec.fromLogits ? 1 : 0;
  /** Sum of the loss over `count` values from value `at` (rows from `row`), gradient scaled by `w`. */
  const part = (at: number, row: number, count: number, w: number): number => {
    const [p, t, g] = [pred + at * 4, targetPtr + (sparse ? row : at) * 4, grad + at * 4];
    const es = elementScale * w;
    switch (spec.name) {
      case 'mean_squared_error':
        return k.lossMse(p, t, count, es, g) * elementScale;
      case 'mean_absolute_error':
        return k.lossMae(p, t, count, es, g) * elementScale;
      case 'huber':
        return k.lossHuber(p, t, count, spec.delta ?? 1, es, g) * elementScale;
      case 'binary_crossentropy':
        return k.lossBinaryCrossentropy(p, t, count, logits, smoothing, es, g) * elementScale;
      default:
        return k.lossCategoricalCrossentropy(p, sparse ? 0 : t, sparse ? t : 0, count / cols, cols, logits, smoothing, rowScale * w, g) * rowScale;
    }
  };
  if (!sampleWeights) return part(0, 0, n, 1);
  const samples = shape[0];
  if (sampleWeights.length !== samples) {
    throw new InputError(`${sampleWeights.length} sample weights for ${samples} samples`, { field: 'sampleWeight', value: sampleWeights.length });
  }
  // one kernel call per sample (its values are contiguous): weights scale its loss and gradient
  const perSample = n / samples;
  let total = 0;
  for (let b = 0; b < samples; b++) total += sampleWeights[b] * part(b * perSample, (b * perSample) / cols, perSample, sampleWeights[b]);
  return total;
}
