import { InputError } from '../errors.js';
import type { Callback, Logs } from './model-training.js';
import type { LayerWeights } from './model-info.js';

/** What early stopping needs of a model. */
export interface EarlyStoppingTarget {
  stopTraining: boolean;
  getWeights(): LayerWeights[];
  setWeights(values: LayerWeights[]): Promise<void>;
}

/** Options of {@link earlyStopping}, named as Keras' EarlyStopping arguments. */
export interface EarlyStoppingOptions {
  /** The history key to watch (default `val_loss`). */
  monitor?: string;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** `min`, `max`, or `auto` (max for names containing "acc", else min). */
  mode?: 'auto' | 'min' | 'max';
  /** Keep training while the value has not beaten this. */
  baseline?: number;
  /** Restore the weights of the best epoch when training ends. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching at all (default 0). */
  startFromEpoch?: number;
}

/**
 * Keras' EarlyStopping callback for `fit`: stops training (`model.stopTraining`) when `monitor`
 * has not improved by `minDelta` for `patience` epochs, with Keras 3's rules (the wait counter,
 * `baseline`, `start_from_epoch`, restoring the best weights at the end of training).
 */
export function earlyStopping(model: EarlyStoppingTarget, options: EarlyStoppingOptions = {}): Callback & { stoppedEpoch: number; bestEpoch: number } {
  const monitor = options.monitor ?? 'val_loss';
  const patience = options.patience ?? 0;
  const minDelta = Math.abs(options.minDelta ?? 0);
  const start = options.startFromEpoch ?? 0;
  const mode = options.mode ?? 'auto';
  if (!['auto', 'min', 'max'].includes(mode)) throw new InputError('mode must be "auto", "min" or "max"', { field: 'mode', value: mode });
  if (!Number.isInteger(patience) || patience < 0) throw new InputError('patience must be an integer >= 0', { field: 'patience', value: patience });
  const max = mode === 'max' || (mode === 'auto' && /acc/.test(monitor));
  // Keras: monitor_op(value - min_delta, reference), min_delta negated for "min"
  const better = (value: number, reference: number | undefined) => reference === undefined || (max ? value - minDelta > reference : value + minDelta < reference);
  let best: number | undefined;
  let wait = 0;
  let bestWeights: LayerWeights[] | null = null;
  const state = {
    stoppedEpoch: 0,
    bestEpoch: 0,
    onTrainBegin() {
      best = undefined;
      wait = 0;
      bestWeights = null;
      state.stoppedEpoch = 0;
      state.bestEpoch = 0;
    },
    onEpochEnd(epoch: number, logs: Logs) {
      const value = logs[monitor];
      if (value === undefined) throw new InputError(`early stopping watches ${monitor}, which fit does not report (${Object.keys(logs).join(', ')})`, { field: 'monitor', value: monitor });
      if (epoch < start) return;
      if (options.restoreBestWeights && !bestWeights) bestWeights = model.getWeights();
      wait++;
      if (better(value, best)) {
        best = value;
        state.bestEpoch = epoch;
        if (options.restoreBestWeights) bestWeights = model.getWeights();
        if (options.baseline === undefined || better(value, options.baseline)) wait = 0;
        return;
      }
      if (wait >= patience && epoch > 0) {
        state.stoppedEpoch = epoch;
        model.stopTraining = true;
      }
    },
    async onTrainEnd() {
      if (options.restoreBestWeights && bestWeights) await model.setWeights(bestWeights);
    },
  };
  return state;
}
