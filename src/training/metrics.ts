import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';
import { maskedLossFactor, type LossSpec } from './losses.js';
import type { MaskedLossRule } from '../keras/semantics.js';

/**
 * Keras metrics for fit / evaluate (kernel: assembly/metrics.ts). Each is a running mean over
 * every sample (and timestep, for sequence outputs) of the epoch, as Keras' MeanMetricWrapper
 * keeps it; sample weights do not weigh them (Keras' `metrics`, not `weighted_metrics`).
 * `"accuracy"` / `"acc"` resolves as Keras does: binary accuracy for a one-column output or a
 * binary cross-entropy loss, sparse categorical accuracy when the targets are class ids, else
 * categorical accuracy; the history keeps the name as given. A time-step mask reaching the output
 * weighs the steps as the file's Keras version does ({@link MaskedLossRule}: a running mean over
 * the kept steps, each batch's kept-step mean averaged by samples, or no mask).
 */

/** A metric: its history key and how to compute it. */
export interface MetricSpec {
  /** The key in fit's history and evaluate's result (`val_` + key for validation). */
  name: string;
  /** `accuracy` is resolved against the loss and output when training starts. */
  kind: 'accuracy' | 'binary_accuracy' | 'categorical_accuracy' | 'sparse_categorical_accuracy' | 'mae' | 'mse';
  threshold: number;
}

const KINDS: Record<string, MetricSpec['kind']> = {
  accuracy: 'accuracy', acc: 'accuracy', Accuracy: 'accuracy',
  binary_accuracy: 'binary_accuracy', BinaryAccuracy: 'binary_accuracy',
  categorical_accuracy: 'categorical_accuracy', CategoricalAccuracy: 'categorical_accuracy',
  sparse_categorical_accuracy: 'sparse_categorical_accuracy', SparseCategoricalAccuracy: 'sparse_categorical_accuracy',
  mae: 'mae', mean_absolute_error: 'mae', MeanAbsoluteError: 'mae',
  mse: 'mse', mean_squared_error: 'mse', MeanSquaredError: 'mse',
};

/** Default history names of metric classes given as objects without a `name`. */
const CLASS_NAMES: Record<string, string> = {
  Accuracy: 'accuracy', BinaryAccuracy: 'binary_accuracy', CategoricalAccuracy: 'categorical_accuracy',
  SparseCategoricalAccuracy: 'sparse_categorical_accuracy', MeanAbsoluteError: 'mean_absolute_error', MeanSquaredError: 'mean_squared_error',
};

/** A metric from a name (`"accuracy"`, `"mae"`) or a serialised metric object; others refused by name. */
export function metricFromConfig(entry: unknown): MetricSpec {
  const className = typeof entry === 'string' ? entry : (entry as { class_name?: unknown })?.class_name;
  const kind = typeof className === 'string' ? KINDS[className] : undefined;
  if (!kind) throw new UnsupportedKerasConfigurationError('this metric is not implemented', { field: 'metrics', value: className ?? entry });
  if (className === 'Accuracy') {
    // keras.metrics.Accuracy compares values for equality: not the accuracy the string means
    throw new UnsupportedKerasConfigurationError('the Accuracy class (element equality) is not implemented; "accuracy" as a string is', { field: 'metrics', value: className });
  }
  const config = (typeof entry === 'object' && entry !== null ? (entry as { config?: Record<string, unknown> }).config : undefined) ?? {};
  const name = typeof entry === 'string' ? entry : typeof config.name === 'string' ? config.name : CLASS_NAMES[className as string];
  const threshold = typeof config.threshold === 'number' ? config.threshold : 0.5;
  return { name, kind, threshold };
}

/** Resolves `accuracy` for this loss, output width and target layout (see the module comment). */
export function resolveAccuracy(metric: MetricSpec, loss: LossSpec, outputCols: number, sparseTargets: boolean): MetricSpec {
  if (metric.kind !== 'accuracy') return metric;
  let kind: MetricSpec['kind'];
  if (loss.name === 'binary_crossentropy' || outputCols === 1) kind = 'binary_accuracy';
  else if (loss.name === 'sparse_categorical_crossentropy' || sparseTargets) kind = 'sparse_categorical_accuracy';
  else kind = 'categorical_accuracy';
  return { ...metric, kind };
}

const IDS: Record<Exclude<MetricSpec['kind'], 'accuracy'>, number> = {
  binary_accuracy: KERNEL_CONSTANTS.METRIC_BINARY_ACCURACY,
  categorical_accuracy: KERNEL_CONSTANTS.METRIC_CATEGORICAL_ACCURACY,
  sparse_categorical_accuracy: KERNEL_CONSTANTS.METRIC_SPARSE_CATEGORICAL_ACCURACY,
  mae: KERNEL_CONSTANTS.METRIC_MAE,
  mse: KERNEL_CONSTANTS.METRIC_MSE,
};

/**
 * Sum over rows (rows = values / cols of `pred`) of each metric's row value, for `pred` and
 * `target` already in wasm memory; `sparse` targets hold one class id per row.
 */
export function metricSums(memory: WasmMemory, metrics: readonly MetricSpec[], pred: number, rows: number, cols: number, target: number, weights = 0): number[] {
  return metrics.map((m) => {
    if (m.kind === 'accuracy') throw new Error('internal: accuracy must be resolved before computing it');
    return memory.kernels.metricSum(pred, target, rows, cols, IDS[m.kind], m.threshold, weights);
  });
}

/**
 * What a batch adds to the running means: each metric's sum and the count it is divided by (rows,
 * kept rows, or samples for Keras 2.0 - 2.2's per-batch means), for predictions of `samples`
 * samples in wasm memory and the output's time-step mask, if one reaches it ([samples][steps],
 * one per row). Call inside a scratch scope.
 */
export function metricScores(
  memory: WasmMemory,
  metrics: readonly MetricSpec[],
  pred: number,
  rows: number,
  cols: number,
  target: number,
  samples: number,
  mask?: { values: Uint8Array; rule: MaskedLossRule } | null,
): { sums: number[]; rows: number } {
  if (!mask || mask.rule.metrics === 'all') return { sums: metricSums(memory, metrics, pred, rows, cols, target), rows };
  if (mask.values.length !== rows) throw new UnsupportedKerasConfigurationError('a time-step mask reaching metrics needs outputs of shape [batch, steps, features]', { field: 'mask', value: mask.values.length });
  const m = memory.scratch(rows);
  memory.u8(m, rows).set(mask.values);
  const weights = memory.scratch(rows * 4);
  const kept = memory.kernels.lossRowWeights(m, 0, samples, rows / samples, weights);
  const sums = metricSums(memory, metrics, pred, rows, cols, target, weights);
  if (mask.rule.metrics === 'kept') return { sums, rows: kept };
  // Keras 2.0 - 2.2: the batch's masked mean (weighted_masked_objective), weighted by the batch's samples
  const factor = maskedLossFactor(mask.rule.loss, kept, rows);
  return { sums: sums.map((v) => ((v * factor) / rows) * samples), rows: samples };
}
