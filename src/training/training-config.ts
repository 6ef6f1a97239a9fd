import { UnsupportedKerasConfigurationError } from '../errors.js';

/**
 * The training configuration a model file carries, in one form for every writer: the
 * `training_config` attribute of a Keras 2 / tf.keras / Keras 3 legacy `.h5` (`optimizer_config`,
 * `loss`, `metrics`, ...), the `compile_config` of a Keras 3 `.keras` archive's config.json
 * (`optimizer`, `loss`, `metrics`, ...), or TF.js' `trainingConfig` / `modelTopology.training_config`.
 * `model.compile()` takes its defaults from it.
 */
export interface FileTrainingConfig {
  /** Where it was read: `training_config`, `compile_config` or `trainingConfig`. */
  source: string;
  /** The optimizer entry (`{ class_name, config }`), or null. */
  optimizer: unknown;
  /** The loss entry (a name or `{ class_name, config }`), or null. */
  loss: unknown;
  /** The metrics entries of a single output; a per-output structure is read from `raw.metrics`. */
  metrics: unknown[];
  /** The entries as the file gives them, for the record. */
  raw: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Keras 3 serialises function losses / metrics as `{ class_name: "function", config: "mse" }`;
 * those become the name they stand for. Other entries are kept as they are.
 */
export function unwrapFunction(entry: unknown): unknown {
  if (isObject(entry) && entry.class_name === 'function' && typeof entry.config === 'string') return entry.config;
  return entry;
}

/**
 * Reads a training configuration object; null when absent or empty (a Keras 3 model saved before
 * `compile` has `compile_config: {}` or none). Per-output dictionaries / lists of losses are kept
 * as they are and refused when compile uses them (training supports one output).
 */
export function readTrainingConfig(raw: unknown, source: string): FileTrainingConfig | null {
  if (!isObject(raw) || Object.keys(raw).length === 0) return null;
  const optimizer = raw.optimizer_config ?? raw.optimizer ?? raw.optimizerConfig ?? null;
  const loss = unwrapFunction(raw.loss ?? null);
  let metrics: unknown = raw.metrics ?? [];
  // one output: Keras may wrap its metrics list once more ([["accuracy"]]) or key it by output name
  if (Array.isArray(metrics) && metrics.length === 1 && Array.isArray(metrics[0])) metrics = metrics[0];
  if (isObject(metrics)) {
    const lists = Object.values(metrics);
    metrics = lists.length === 1 ? lists[0] : metrics;
  }
  const list = metrics === null ? [] : Array.isArray(metrics) ? metrics : [metrics];
  return { source, optimizer, loss, metrics: list.map(unwrapFunction), raw };
}

/**
 * A per-output compile entry (loss, metrics, loss weights) spread over the model's outputs, as
 * Keras reads it: a list in output order (one per output), an object keyed by output name, or
 * (when `isEntry` says it is one entry) the same entry for every output. An output missing from
 * a mapping, or a name that is no output, is refused naming it.
 */
export function perOutput<T>(value: unknown, outputs: readonly string[], field: string, isEntry: (v: unknown) => boolean, missing?: T): T[] {
  if (isEntry(value)) return outputs.map(() => value as T);
  if (Array.isArray(value)) {
    if (value.length !== outputs.length) {
      throw new UnsupportedKerasConfigurationError(`${field} lists ${value.length} entries for ${outputs.length} outputs (${outputs.join(', ')})`, { field, value: value.length });
    }
    return value as T[];
  }
  if (isObject(value)) {
    const unknown = Object.keys(value).filter((k) => !outputs.includes(k));
    if (unknown.length) throw new UnsupportedKerasConfigurationError(`${field} names ${unknown.join(', ')}, which is not an output (outputs: ${outputs.join(', ')})`, { field, value: unknown });
    return outputs.map((o) => {
      if (o in value) return value[o] as T;
      if (missing !== undefined) return missing;
      throw new UnsupportedKerasConfigurationError(`${field} has no entry for output ${o} (an output without a loss is not supported)`, { field, value: o });
    });
  }
  throw new UnsupportedKerasConfigurationError(`${field} must be one entry, a list per output or an object keyed by output name`, { field, value });
}

/** Whether a loss / metric value is one entry (a name or a serialised `{ class_name, config }`), not a per-output structure. */
export function isEntry(v: unknown): boolean {
  return typeof v === 'string' || (isObject(v) && 'class_name' in v);
}
