import { InputError } from '../errors.js';
import type { Xoshiro128 } from './prng.js';

/** How the next token is chosen from a model's output row. */
export interface SamplingOptions {
  /** 0: greedy (argmax, lowest id on ties); otherwise the logits are divided by it. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (ties: lower id first). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (nucleus sampling). */
  topP?: number;
}

/** Checks sampling options, naming the bad one. */
export function checkSampling(o: SamplingOptions): void {
  const t = o.temperature ?? 1;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) throw new InputError('temperature must be a number >= 0', { field: 'temperature', value: o.temperature });
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 1)) throw new InputError('topK must be an integer >= 1', { field: 'topK', value: o.topK });
  if (o.topP !== undefined && (typeof o.topP !== 'number' || !(o.topP > 0 && o.topP <= 1))) throw new InputError('topP must be in (0, 1]', { field: 'topP', value: o.topP });
}

/** Index of the largest value; the lowest index on ties (as NumPy's argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * True when the row is a probability distribution (a softmax output): no negative value and a sum
 * within 1e-3 of 1. Otherwise the row is taken as logits.
 */
export function isDistribution(row: ArrayLike<number>): boolean {
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    if (!(row[i] >= 0)) return false;
    sum += row[i];
  }
  return Math.abs(sum - 1) <= 1e-3;
}

/**
 * Picks the next token. Temperature 0 is greedy. Otherwise, in float64: logits (log p for a
 * probability row, as the Keras char-RNN example does) are divided by the temperature and
 * softmaxed; top-k, then top-p keep the most likely tokens (ties: lower id first); one uniform
 * draw u in [0, 1) from `rng` selects, in ascending id order, the first kept token whose
 * cumulative probability exceeds u times the kept total.
 */
export function pickToken(row: ArrayLike<number>, options: SamplingOptions, rng: Xoshiro128): number {
  const n = row.length;
  const temperature = options.temperature ?? 1;
  if (temperature === 0) return argmax(row);
  const probs = isDistribution(row);
  const logits = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    logits[i] = (probs ? Math.log(row[i]) : row[i]) / temperature;
    if (logits[i] > max) max = logits[i];
  }
  if (max === -Infinity || Number.isNaN(max)) return argmax(row);
  const p = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += p[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < n; i++) p[i] /= total;
  if (options.topK !== undefined || options.topP !== undefined) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
    let keep = Math.min(options.topK ?? n, n);
    if (options.topP !== undefined) {
      let cum = 0;
      for (let r = 0; r < keep; r++) {
        cum += p[order[r]];
        if (cum >= options.topP) {
          keep = r + 1;
          break;
        }
      }
    }
    for (let r = keep; r < n; r++) p[order[r]] = 0;
  }
  let kept = 0;
  for (let i = 0; i < n; i++) kept += p[i];
  const target = rng.nextDouble() * kept;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (p[i] === 0) continue;
    cum += p[i];
    last = i;
    if (target < cum) return i;
  }
  return last;
}
