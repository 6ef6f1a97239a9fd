import { UnsupportedKerasConfigurationError } from '../errors.js';

/**
 * Learning-rate schedules as Keras serialises them inside an optimizer's config
 * (`learning_rate: { class_name: "ExponentialDecay", config: {...} }`), evaluated at the
 * optimizer's `iterations` before each update, as Keras does. Formulas of
 * keras/src/optimizers/schedules/learning_rate_schedule.py (Keras 3; tf.keras 2's
 * keras/optimizers/schedules/learning_rate_schedule.py has the same ones, CosineDecay's warmup from
 * 2.13). Keras evaluates them in float32; here in float64, rounded to float32 at the end (the
 * learning rate may differ from Keras' in the last bit or two).
 */

/** A schedule: step (completed updates) -> learning rate. */
export interface LearningRateSchedule {
  className: string;
  at(step: number): number;
}

function field(className: string, config: Record<string, unknown>, key: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new UnsupportedKerasConfigurationError(`learning-rate schedule ${className} needs a number ${key}`, { field: `optimizer.learning_rate.${key}`, value: config[key] });
  }
  return v;
}

function positive(className: string, key: string, v: number): number {
  if (!(v > 0)) throw new UnsupportedKerasConfigurationError(`learning-rate schedule ${className}: ${key} must be > 0`, { field: `optimizer.learning_rate.${key}`, value: v });
  return v;
}

/** The schedule of a serialised Keras schedule object; unknown ones are refused by class name. */
export function scheduleFromConfig(entry: { class_name?: unknown; config?: unknown }): LearningRateSchedule {
  const className = String(entry.class_name ?? '');
  const c = (typeof entry.config === 'object' && entry.config !== null ? entry.config : {}) as Record<string, unknown>;
  const f = (k: string, d?: number) => field(className, c, k, d);
  const at = (fn: (step: number) => number): LearningRateSchedule => ({ className, at: (step) => Math.fround(fn(step)) });
  switch (className) {
    case 'ExponentialDecay':
    case 'InverseTimeDecay': {
      const init = f('initial_learning_rate');
      const steps = positive(className, 'decay_steps', f('decay_steps'));
      const rate = f('decay_rate');
      const staircase = c.staircase === true;
      return at((step) => {
        const p = staircase ? Math.floor(step / steps) : step / steps;
        return className === 'ExponentialDecay' ? init * Math.pow(rate, p) : init / (1 + rate * p);
      });
    }
    case 'PiecewiseConstantDecay': {
      const boundaries = c.boundaries;
      const values = c.values;
      if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1 || ![...boundaries, ...values].every((v) => typeof v === 'number')) {
        throw new UnsupportedKerasConfigurationError('PiecewiseConstantDecay needs number lists boundaries and values (one more value than boundaries)', { field: 'optimizer.learning_rate.boundaries', value: boundaries });
      }
      // step <= b[0] -> v[0]; b[i-1] < step <= b[i] -> v[i]; step > b[last] -> v[last]
      return at((step) => {
        const i = (boundaries as number[]).findIndex((b) => step <= b);
        return (values as number[])[i === -1 ? boundaries.length : i];
      });
    }
    case 'PolynomialDecay': {
      const init = f('initial_learning_rate');
      const steps = positive(className, 'decay_steps', f('decay_steps'));
      const end = f('end_learning_rate', 0.0001);
      const power = f('power', 1);
      const cycle = c.cycle === true;
      return at((step) => {
        let s = step;
        let d = steps;
        if (cycle) d = steps * (step === 0 ? 1 : Math.ceil(step / steps));
        else s = Math.min(step, steps);
        return (init - end) * Math.pow(1 - s / d, power) + end;
      });
    }
    case 'CosineDecay': {
      const init = f('initial_learning_rate');
      const steps = positive(className, 'decay_steps', f('decay_steps'));
      const alpha = f('alpha', 0);
      const warmupTarget = c.warmup_target === null || c.warmup_target === undefined ? null : f('warmup_target');
      const warmupSteps = f('warmup_steps', 0);
      const decay = (s: number, from: number) => from * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * (s / steps))) + alpha);
      return at((step) => {
        if (warmupTarget === null) return decay(Math.min(step, steps), init);
        const s = Math.min(step, steps + warmupSteps);
        if (s < warmupSteps) return (warmupTarget - init) * (s / warmupSteps) + init;
        return decay(s - warmupSteps, warmupTarget);
      });
    }
    case 'CosineDecayRestarts': {
      const init = f('initial_learning_rate');
      const first = positive(className, 'first_decay_steps', f('first_decay_steps'));
      const tMul = f('t_mul', 2);
      const mMul = f('m_mul', 1);
      const alpha = f('alpha', 0);
      return at((step) => {
        let fraction = step / first;
        let restart: number;
        if (tMul === 1) {
          restart = Math.floor(fraction);
          fraction -= restart;
        } else {
          restart = Math.floor(Math.log(1 - fraction * (1 - tMul)) / Math.log(tMul));
          const sum = (1 - Math.pow(tMul, restart)) / (1 - tMul);
          fraction = (fraction - sum) / Math.pow(tMul, restart);
        }
        const cosine = 0.5 * Math.pow(mMul, restart) * (1 + Math.cos(Math.PI * fraction));
        return init * ((1 - alpha) * cosine + alpha);
      });
    }
    default:
      throw new UnsupportedKerasConfigurationError(`the learning-rate schedule ${className || '(unnamed)'} is not implemented`, { field: 'optimizer.learning_rate', value: className });
  }
}
