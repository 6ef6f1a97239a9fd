import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { KerasGeneration } from '../keras/generation.js';
import { scheduleFromConfig, type LearningRateSchedule } from './lr-schedules.js';

/**
 * Keras optimizers with each version's update rule, run by the kernels of assembly/optimizers.ts.
 * Where Keras versions differ, the rule of the version that wrote the model is followed:
 *
 * | optimizer | Keras 3 | tf.keras 2.11+ | tf.keras 2.0-2.10 (optimizer_v2) | standalone Keras 2.0-2.3 |
 * |---|---|---|---|---|
 * | SGD | m = mu m - lr g; w += m (Nesterov: w += mu m - lr g) | same | same | same |
 * | RMSprop | lr g / sqrt(v + eps) | lr g / (sqrt(v) + eps); momentum / centered: not implemented (their rule differs again) | with momentum: lr g / sqrt(v + eps) (TF's ApplyRMSProp); without: lr g / (sqrt(v) + eps) | lr g / (sqrt(v) + eps), no momentum |
 * | Adam / AMSGrad | alpha = lr sqrt(1 - b2^t) / (1 - b1^t); w -= alpha m / (sqrt(v) + eps) | same | same | same |
 * | AdamW | Adam after w -= w wd lr | same | (no AdamW) | (no AdamW) |
 * | weight_decay (any optimizer) | w -= w wd lr before the update | same | (no such argument) | (no such argument) |
 * | Adagrad | acc starts at 0.1; lr g / sqrt(acc + eps) | same | acc 0.1; lr g / (sqrt(acc) + eps) (ApplyAdagradV2) | acc starts at 0; lr g / (sqrt(acc) + eps) |
 *
 * `decay` (tf.keras <= 2.10 and standalone Keras 2) divides the learning rate by
 * 1 + decay * iterations. Sources: keras/src/optimizers/*.py (3.x), keras/optimizers/
 * optimizer_experimental/*.py (2.11+), keras/optimizers/optimizer_v2/*.py and TensorFlow's
 * training ops (2.0-2.10), keras/optimizers.py of Keras 2.2 (standalone). The tf.keras 2.11+ column
 * follows keras/optimizers/optimizer_experimental/*.py as of May 2022, before those optimizers
 * became tf.keras' default.
 *
 * Learning-rate schedules (lr-schedules.ts) are evaluated at `iterations` before each update.
 * Gradient clipping, before the update, as the writer's version does it:
 *
 * | option | Keras 3, tf.keras 2.0+ | standalone Keras 2.0-2.3 |
 * |---|---|---|
 * | clipnorm c | each gradient g c / max(norm(g), c) (tf.clip_by_norm) | all gradients by their global norm n: g c / n where n >= c |
 * | global_clipnorm c | all gradients g c min(1 / n, 1 / c), n the global norm (tf.clip_by_global_norm) | (no such option) |
 * | clipvalue c | each element clipped to [-c, c] | same, after clipnorm |
 *
 * Keras 3 and tf.keras allow one of the three only (and so does kerasrnn for them).
 */

/** Which Keras family's rules apply. */
export type OptimizerFamily = 'keras3' | 'tf-keras-new' | 'tf-keras-v2' | 'standalone';

/** An optimizer with its hyper-parameters, as a Keras config gives them. */
export interface OptimizerSpec {
  name: 'sgd' | 'rmsprop' | 'adam' | 'adamw' | 'adagrad';
  family: OptimizerFamily;
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  rho: number;
  epsilon: number;
  centered: boolean;
  beta1: number;
  beta2: number;
  amsgrad: boolean;
  weightDecay: number;
  initialAccumulator: number;
  decay: number;
  /** A learning-rate schedule replacing `learningRate` (null: constant). */
  schedule: LearningRateSchedule | null;
  /** Gradient clipping (0: off). */
  clipnorm: number;
  clipvalue: number;
  globalClipnorm: number;
}

/** The rule family of the Keras version that wrote a model. */
export function optimizerFamily(generation: KerasGeneration): OptimizerFamily {
  if (generation.major >= 3) return 'keras3';
  const m = /^2\.(\d+)/.exec(generation.version);
  const minor = m ? Number(m[1]) : 4;
  if (!/-tf/.test(generation.version) && minor <= 3) return 'standalone';
  return minor >= 11 ? 'tf-keras-new' : 'tf-keras-v2';
}

const NAMES: Record<string, OptimizerSpec['name']> = {
  sgd: 'sgd', SGD: 'sgd', rmsprop: 'rmsprop', RMSprop: 'rmsprop', adam: 'adam', Adam: 'adam', adamw: 'adamw', AdamW: 'adamw', adagrad: 'adagrad', Adagrad: 'adagrad',
};

function num(config: Record<string, unknown>, key: string, fallback: number, alias?: string): number {
  const v = config[key] ?? (alias ? config[alias] : undefined);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new UnsupportedKerasConfigurationError(`optimizer ${key} must be a number`, { field: `optimizer.${key}`, value: v });
  }
  return v;
}

/** An optimizer from a Keras config entry (`"adam"` or `{class_name, config}`), by the writer's rules. */
export function optimizerFromConfig(entry: unknown, generation: KerasGeneration): OptimizerSpec {
  const className = typeof entry === 'string' ? entry : (entry as { class_name?: unknown })?.class_name;
  const name = typeof className === 'string' ? NAMES[className.replace(/^Custom>/, '')] : undefined;
  if (!name) throw new UnsupportedKerasConfigurationError('this optimizer is not implemented for training', { field: 'optimizer', value: className ?? entry });
  const config = (typeof entry === 'object' && entry !== null ? (entry as { config?: Record<string, unknown> }).config : undefined) ?? {};
  if (config.use_ema === true) throw new UnsupportedKerasConfigurationError('use_ema is not implemented yet', { field: 'optimizer.use_ema', value: true });
  for (const k of ['loss_scale_factor', 'gradient_accumulation_steps']) {
    if (config[k] !== undefined && config[k] !== null) throw new UnsupportedKerasConfigurationError(`optimizer ${k} is not implemented yet`, { field: `optimizer.${k}`, value: config[k] });
  }
  const family = optimizerFamily(generation);
  const rate = config.learning_rate ?? config.lr;
  const schedule = typeof rate === 'object' && rate !== null && !Array.isArray(rate) ? scheduleFromConfig(rate as { class_name?: unknown; config?: unknown }) : null;
  const clip = (key: string) => {
    const v = num(config, key, 0);
    if (v < 0) throw new UnsupportedKerasConfigurationError(`optimizer ${key} must be >= 0`, { field: `optimizer.${key}`, value: v });
    return v;
  };
  const [clipnorm, clipvalue, globalClipnorm] = [clip('clipnorm'), clip('clipvalue'), clip('global_clipnorm')];
  if (family === 'standalone' && globalClipnorm > 0) throw new UnsupportedKerasConfigurationError('standalone Keras 2 has no global_clipnorm', { field: 'optimizer.global_clipnorm', value: globalClipnorm });
  if (family !== 'standalone' && [clipnorm, clipvalue, globalClipnorm].filter((v) => v > 0).length > 1) {
    throw new UnsupportedKerasConfigurationError('set only one of clipnorm, clipvalue and global_clipnorm (as Keras 3 requires)', { field: 'optimizer.clipnorm', value: { clipnorm, clipvalue, global_clipnorm: globalClipnorm } });
  }
  const defaults = { sgd: 0.01, rmsprop: 0.001, adam: 0.001, adamw: 0.001, adagrad: 0.001 }[name];
  const spec: OptimizerSpec = {
    name,
    family,
    learningRate: schedule ? schedule.at(0) : num(config, 'learning_rate', defaults, 'lr'),
    momentum: num(config, 'momentum', 0),
    nesterov: config.nesterov === true,
    rho: num(config, 'rho', 0.9),
    epsilon: num(config, 'epsilon', 1e-7),
    centered: config.centered === true,
    beta1: num(config, 'beta_1', 0.9),
    beta2: num(config, 'beta_2', 0.999),
    amsgrad: config.amsgrad === true,
    weightDecay: num(config, 'weight_decay', name === 'adamw' ? 0.004 : 0),
    initialAccumulator: num(config, 'initial_accumulator_value', family === 'standalone' ? 0 : 0.1),
    decay: num(config, 'decay', 0),
    schedule,
    clipnorm,
    clipvalue,
    globalClipnorm,
  };
  if (spec.weightDecay !== 0 && name !== 'adamw' && family !== 'keras3' && family !== 'tf-keras-new') {
    throw new UnsupportedKerasConfigurationError('weight_decay is an argument of Keras 3 / tf.keras 2.11+ optimizers (and AdamW) only', { field: 'optimizer.weight_decay', value: spec.weightDecay });
  }
  if (family === 'keras3' && spec.decay !== 0) throw new UnsupportedKerasConfigurationError('Keras 3 optimizers have no decay argument', { field: 'optimizer.decay', value: spec.decay });
  return spec;
}

/** RMSprop's denominator form: 0 = sqrt(v + eps), 1 = sqrt(v) + eps (see the table above). */
function rmspropForm(spec: OptimizerSpec): number {
  if (spec.family === 'keras3') return 0;
  if (spec.family === 'tf-keras-v2') return spec.momentum > 0 ? 0 : 1;
  return 1;
}

/** Adagrad's denominator form: 0 = sqrt(acc + eps), 1 = sqrt(acc) + eps. */
function adagradForm(spec: OptimizerSpec): number {
  return spec.family === 'keras3' || spec.family === 'tf-keras-new' ? 0 : 1;
}

/**
 * An optimizer's state for a fixed list of variables (their sizes): its slot arrays live in the
 * given wasm memory. `apply` updates the variables in place from their gradients.
 */
export class OptimizerState {
  /** Completed update steps (Keras' `iterations`). */
  iterations = 0;
  private readonly slots: number[][];
  private readonly work: { w: number; g: number }[];

  constructor(
    private readonly memory: WasmMemory,
    readonly spec: OptimizerSpec,
    private readonly sizes: readonly number[],
  ) {
    if (spec.family === 'standalone' && spec.name === 'rmsprop' && (spec.momentum !== 0 || spec.centered)) {
      throw new UnsupportedKerasConfigurationError('standalone Keras 2 RMSprop has no momentum or centered option', { field: 'optimizer' });
    }
    if (spec.family === 'tf-keras-new' && spec.name === 'rmsprop' && (spec.momentum !== 0 || spec.centered)) {
      throw new UnsupportedKerasConfigurationError('tf.keras 2.11+ RMSprop with momentum or centered is not implemented (its update rule differs from the other versions)', { field: 'optimizer' });
    }
    const count = { sgd: 1, rmsprop: 3, adam: 3, adamw: 3, adagrad: 1 }[spec.name];
    this.slots = sizes.map((n) =>
      Array.from({ length: count }, (_, i) => {
        const ptr = memory.alloc(n * 4);
        if (spec.name === 'adagrad' && i === 0) memory.f32(ptr, n).fill(spec.initialAccumulator);
        return ptr;
      }),
    );
    this.work = sizes.map((n) => ({ w: memory.alloc(n * 4), g: memory.alloc(n * 4) }));
  }

  /**
   * A copy of slot `slot` of variable `variable` (sgd: 0 momentum; rmsprop: 0 velocity,
   * 1 momentum, 2 average gradient; adam / adamw: 0 momentum, 1 velocity, 2 velocity_hat;
   * adagrad: 0 accumulator), for saving.
   */
  slotValues(variable: number, slot: number): Float32Array {
    return this.memory.f32(this.slots[variable][slot], this.sizes[variable]).slice();
  }

  /** Sets a slot (as {@link slotValues} numbers them), when a saved optimizer state is restored. */
  setSlotValues(variable: number, slot: number, values: Float32Array): void {
    const n = this.sizes[variable];
    if (values.length !== n) throw new RangeError(`variable ${variable}: expected ${n} slot values, got ${values.length}`);
    this.memory.f32(this.slots[variable][slot], n).set(values);
  }

  /** The learning rate of the next update (schedule at `iterations`, then `decay`). */
  learningRate(): number {
    const { spec } = this;
    const base = spec.schedule ? spec.schedule.at(this.iterations) : spec.learningRate;
    return spec.decay !== 0 ? base / (1 + spec.decay * this.iterations) : base;
  }

  /** One update step over every variable (`weights[i]` updated in place from `grads[i]`). */
  apply(weights: Float32Array[], grads: readonly Float32Array[]): void {
    const { spec, memory } = this;
    const k = memory.kernels;
    const lr = this.learningRate();
    const t = this.iterations + 1;
    const alpha = (lr * Math.sqrt(1 - Math.pow(spec.beta2, t))) / (1 - Math.pow(spec.beta1, t));
    weights.forEach((w, i) => {
      const n = this.sizes[i];
      if (w.length !== n || grads[i].length !== n) throw new RangeError(`variable ${i}: expected ${n} values`);
      memory.f32(this.work[i].w, n).set(w);
      memory.f32(this.work[i].g, n).set(grads[i]);
    });
    this.clip();
    const decay = spec.weightDecay !== 0 ? Math.fround(spec.weightDecay * lr) : 0;
    weights.forEach((w, i) => {
      const n = this.sizes[i];
      const { w: wp, g: gp } = this.work[i];
      const [s0, s1, s2] = this.slots[i];
      // decoupled weight decay before the update (Adam's kernel applies it itself)
      if (decay !== 0 && spec.name !== 'adam' && spec.name !== 'adamw') k.decayWeightsF32(wp, n, decay);
      switch (spec.name) {
        case 'sgd':
          k.sgdUpdate(wp, gp, s0, n, lr, spec.momentum, spec.nesterov ? 1 : 0);
          break;
        case 'rmsprop':
          k.rmspropUpdate(wp, gp, s0, s1, s2, n, lr, spec.rho, spec.momentum, spec.epsilon, spec.centered ? 1 : 0, rmspropForm(spec));
          break;
        case 'adagrad':
          k.adagradUpdate(wp, gp, s0, n, lr, spec.epsilon, adagradForm(spec));
          break;
        default:
          k.adamUpdate(wp, gp, s0, s1, s2, n, alpha, spec.beta1, spec.beta2, spec.epsilon, spec.amsgrad ? 1 : 0, decay);
      }
      w.set(memory.f32(wp, n));
    });
    this.iterations++;
  }

  /** Gradient clipping in place on the gradients in wasm memory (see the table above). */
  private clip(): void {
    const { spec, memory } = this;
    const k = memory.kernels;
    const grads = this.work.map((v, i) => ({ ptr: v.g, n: this.sizes[i] }));
    const globalNorm = () => Math.sqrt(grads.reduce((a, g) => a + k.sumSquaresF32(g.ptr, g.n), 0));
    if (spec.family === 'standalone') {
      if (spec.clipnorm > 0) {
        const norm = globalNorm();
        if (norm >= spec.clipnorm) for (const g of grads) k.scaleF32(g.ptr, g.n, Math.fround(spec.clipnorm / norm));
      }
    } else if (spec.clipnorm > 0) {
      for (const g of grads) {
        const norm = Math.sqrt(k.sumSquaresF32(g.ptr, g.n));
        if (norm > spec.clipnorm) k.scaleF32(g.ptr, g.n, Math.fround(spec.clipnorm / norm));
      }
    } else if (spec.globalClipnorm > 0) {
      const norm = globalNorm();
      if (norm > spec.globalClipnorm) for (const g of grads) k.scaleF32(g.ptr, g.n, Math.fround(spec.globalClipnorm * (1 / norm)));
    }
    if (spec.clipvalue > 0) for (const g of grads) k.clipValueF32(g.ptr, g.n, spec.clipvalue);
  }
}
