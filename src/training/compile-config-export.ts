import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { KerasGeneration } from '../keras/generation.js';
import { optimizerFamily, type OptimizerFamily, type OptimizerSpec } from './optimizers.js';

/**
 * The compile configuration a model was trained with, written as Keras writes it into a saved file:
 * - `.keras` (Keras 3 `saving_lib`): `compile_config` in config.json, the arguments of `compile`
 *   serialised (`Trainer._compile_config`): `optimizer` as a Keras 3 object (`module`,
 *   `class_name`, `config` from `get_config()`, `registered_name`), `loss`, `loss_weights`,
 *   `metrics`, `weighted_metrics`, `run_eagerly`, `steps_per_execution`, `jit_compile`;
 * - legacy `.h5`: the `training_config` attribute (`saving_utils.model_metadata`):
 *   `optimizer_config: {class_name, config}` plus the compile arguments, in the key order and with
 *   the optimizer fields of the Keras version the file states (Keras 3, tf.keras 2.0-2.10,
 *   tf.keras 2.11+, standalone Keras 2).
 * Losses and metrics are written as compile got them (names stay names, as Keras keeps them);
 * serialised objects are given the target schema's form.
 */

/** What compile used, as entries (names or `{class_name, config}` objects). */
export interface UsedCompileConfig {
  optimizer: OptimizerSpec;
  /** The optimizer entry compile got (for its class name, `name` and a schedule's config). */
  optimizerEntry: unknown;
  /** One entry, or per output a list (output order) or an object keyed by output name. */
  loss: unknown;
  /** A list (every output), a list of lists or an object keyed by output name; null / empty for none. */
  metrics: unknown;
  /** Keras' `loss_weights` as compile got them (list or object), or null. */
  lossWeights: unknown;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const CLASS_NAMES: Record<OptimizerSpec['name'], string> = { sgd: 'SGD', rmsprop: 'RMSprop', adam: 'Adam', adamw: 'AdamW', adagrad: 'Adagrad' };

/** Keras 3 names an optimizer after its class in snake case; tf.keras 2.0-2.10 by the class name. */
function optimizerName(spec: OptimizerSpec, entry: unknown, family: OptimizerFamily): string {
  const given = isObject(entry) && isObject(entry.config) ? entry.config.name : undefined;
  if (typeof given === 'string' && given.length > 0) return given;
  return family === 'keras3' || family === 'tf-keras-new' ? spec.name : CLASS_NAMES[spec.name];
}

/** The class-specific fields of `get_config()`, in Keras' order. */
function classFields(spec: OptimizerSpec, family: OptimizerFamily): Json {
  switch (spec.name) {
    case 'sgd':
      return { momentum: spec.momentum, nesterov: spec.nesterov };
    case 'rmsprop':
      return family === 'standalone' ? { rho: spec.rho, epsilon: spec.epsilon } : { rho: spec.rho, momentum: spec.momentum, epsilon: spec.epsilon, centered: spec.centered };
    case 'adagrad':
      return family === 'standalone' ? { epsilon: spec.epsilon } : { initial_accumulator_value: spec.initialAccumulator, epsilon: spec.epsilon };
    default:
      return { beta_1: spec.beta1, beta_2: spec.beta2, epsilon: spec.epsilon, amsgrad: spec.amsgrad };
  }
}

/** A learning-rate schedule object in the target's form (Keras 3 adds `module` / `registered_name`). */
function scheduleEntry(rate: unknown, keras3: boolean): unknown {
  if (!isObject(rate)) return rate;
  const { class_name: className, config } = rate;
  return keras3 ? { module: 'keras.optimizers.schedules', class_name: className, config, registered_name: null } : { class_name: className, config };
}

const orNull = (v: number): number | null => (v === 0 ? null : v);

/** The optimizer's `get_config()` as the writer's Keras version returns it. */
export function optimizerConfig(used: UsedCompileConfig, family: OptimizerFamily): Json {
  const { optimizer: spec, optimizerEntry: entry } = used;
  const given = isObject(entry) && isObject(entry.config) ? entry.config : {};
  const schedule = spec.schedule ? scheduleEntry(given.learning_rate ?? given.lr, family === 'keras3') : null;
  const rate = schedule ?? spec.learningRate;
  const clipping = (): Json => {
    const out: Json = {};
    if (spec.clipnorm > 0) out.clipnorm = spec.clipnorm;
    if (spec.clipvalue > 0) out.clipvalue = spec.clipvalue;
    if (spec.globalClipnorm > 0) out.global_clipnorm = spec.globalClipnorm;
    return out;
  };
  const name = optimizerName(spec, entry, family);
  // the base fields Keras 3 and tf.keras 2.11+ optimizers share (unset ones as null)
  const base: Json = {
    weight_decay: orNull(spec.weightDecay),
    clipnorm: orNull(spec.clipnorm),
    global_clipnorm: orNull(spec.globalClipnorm),
    clipvalue: orNull(spec.clipvalue),
    use_ema: false,
    ema_momentum: 0.99,
    ema_overwrite_frequency: null,
  };
  switch (family) {
    case 'keras3':
      return { name, learning_rate: rate, ...base, loss_scale_factor: null, gradient_accumulation_steps: null, ...classFields(spec, family) };
    case 'tf-keras-new':
      return { name, ...base, jit_compile: false, is_legacy_optimizer: false, learning_rate: rate, ...classFields(spec, family) };
    case 'tf-keras-v2':
      return { name, ...clipping(), learning_rate: rate, decay: spec.decay, ...classFields(spec, family) };
    default:
      return { lr: rate, ...classFields(spec, family), decay: spec.decay, ...clipping() };
  }
}

/** A loss / metric entry in Keras 3's serialised form (names stay names). */
function keras3Entry(entry: unknown, module: string): unknown {
  if (!isObject(entry) || typeof entry.class_name !== 'string') return entry;
  if (entry.class_name === 'function') return entry;
  return { module: entry.module ?? module, class_name: entry.class_name, config: entry.config ?? {}, registered_name: entry.registered_name ?? null };
}

/** A loss / metric entry in the legacy form: Keras 3's `function` wrappers become the name. */
function legacyEntry(entry: unknown): unknown {
  if (!isObject(entry) || typeof entry.class_name !== 'string') return entry;
  if (entry.class_name === 'function' && typeof entry.config === 'string') return entry.config;
  return { class_name: entry.class_name, config: entry.config ?? {} };
}

/** An entry, or a list / object of entries per output (nested lists too), each mapped. */
function perOutputOf(v: unknown, map: (e: unknown) => unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => perOutputOf(e, map));
  if (isObject(v) && typeof v.class_name !== 'string') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, perOutputOf(e, map)]));
  return map(v);
}

function metricsOf(used: UsedCompileConfig, map: (e: unknown) => unknown): unknown {
  const m = used.metrics;
  const empty = m === null || m === undefined || (Array.isArray(m) && m.length === 0);
  return empty ? null : perOutputOf(m, map);
}

/** `compile_config` of a `.keras` archive's config.json. */
export function keras3CompileConfig(used: UsedCompileConfig, file: string): Json {
  if (used.optimizer.decay !== 0) {
    // Keras 3 optimizers refuse `decay`; dropping it would change the learning rate
    throw new UnsupportedKerasConfigurationError('Keras 3 optimizers have no decay argument: a model compiled with decay cannot be saved as .keras (save as .h5)', {
      file,
      field: 'optimizer.decay',
      value: used.optimizer.decay,
    });
  }
  return {
    optimizer: { module: 'keras.optimizers', class_name: CLASS_NAMES[used.optimizer.name], config: optimizerConfig(used, 'keras3'), registered_name: null },
    loss: perOutputOf(used.loss, (e) => keras3Entry(e, 'keras.losses')),
    loss_weights: used.lossWeights ?? null,
    metrics: metricsOf(used, (m) => keras3Entry(m, 'keras.metrics')),
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

/** The `training_config` attribute of a legacy `.h5` stating Keras version `generation`. */
export function legacyTrainingConfig(used: UsedCompileConfig, generation: KerasGeneration): Json {
  const family = optimizerFamily(generation);
  const optimizer_config = { class_name: CLASS_NAMES[used.optimizer.name], config: optimizerConfig(used, family) };
  const loss = perOutputOf(used.loss, legacyEntry);
  const loss_weights = used.lossWeights ?? null;
  const metrics = metricsOf(used, legacyEntry);
  switch (family) {
    case 'keras3':
      return { loss, loss_weights, metrics, weighted_metrics: null, run_eagerly: false, steps_per_execution: 1, jit_compile: false, optimizer_config };
    case 'standalone':
      return { optimizer_config, loss, metrics, sample_weight_mode: null, loss_weights };
    default:
      return { loss, metrics, weighted_metrics: null, loss_weights, optimizer_config };
  }
}
