import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { drawForRows, refuse, type TrainContext } from './layer-module.js';

/**
 * Keras' train-time dropout of a recurrent layer (`dropout` on the inputs, `recurrent_dropout` on
 * the state), per Keras version: one inverted-dropout mask per sample, drawn once per sequence and
 * used at every step, either one mask for all gate blocks or one per block, and (GRU) whether the
 * update gate mixes the dropped state. The rules, from each version's recurrent cells:
 *
 * - Keras 2 / tf.keras `implementation` 1 (and 0 before 2.1.3): one mask per gate block (LSTM 4,
 *   GRU 3) for the inputs and one per block for the state; `implementation` 2: one of each. GRU implementation 2
 *   from Keras 2.1.3 on rebinds `h_tm1 *= rec_dp_mask[0]`, so `h = z * h_tm1 + ...` mixes the
 *   dropped state (2.0.0 - 2.1.2 dropped it only inside the products).
 * - Keras 3 before 3.8: one mask of each for every implementation; `h_tm1 = h_tm1 * rec_dp_mask`
 *   before the cell, so GRU's mix reads the dropped state as well.
 * - Keras 3.8 and later (keras-team/keras#20656, #20663): a non-zero `recurrent_dropout` switches
 *   the cell to implementation 1, one mask per gate block for both; the mix reads the state itself.
 *   `implementation` is not serialised there, so without recurrent dropout it is 2 (one mask).
 * - SimpleRNN: one mask of each in every version; Keras 3 before 3.2 applied its recurrent mask
 *   under the `dropout` rate's condition (keras-team/keras#19397) and is refused.
 *
 * Refused by name: Keras 1's `dropout_W` / `dropout_U`, TF.js models, rates outside [0, 1), a
 * Keras 2 file that does not state `implementation`, a Keras 3 file whose minor version is unknown
 * where 3.8 changed the rule.
 */
export interface DropoutRule {
  rate: number;
  recurrentRate: number;
  /** Masks per sample: 1, or one per gate block. */
  sets: number;
  /** GRU: z mixes the dropped state. */
  mixDroppedState: boolean;
}

/** No dropout in training. */
export const NO_DROPOUT: DropoutRule = { rate: 0, recurrentRate: 0, sets: 1, mixDroppedState: false };

/** [major, minor, patch] of a version string, missing parts as -1. */
function versionParts(version: string): [number, number, number] {
  const m = /^\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  return m ? [Number(m[1]), m[2] === undefined ? -1 : Number(m[2]), m[3] === undefined ? -1 : Number(m[3])] : [-1, -1, -1];
}

/** Whether version a.b.c is at least x.y.z (unknown parts: undefined). */
function atLeast(version: string, x: number, y: number, z = 0): boolean | undefined {
  const [a, b, c] = versionParts(version);
  if (a < 0 || b < 0) return undefined;
  if (a !== x) return a > x;
  if (b !== y) return b > y;
  return c < 0 ? (z === 0 ? true : undefined) : c >= z;
}

/**
 * The dropout rule of one recurrent layer (`className` LSTM, GRU or SimpleRNN; `config` its Keras
 * config), or a refusal naming the option. `layer` is the graph layer errors name.
 */
export function dropoutRule(layer: GraphLayer, className: string, config: Record<string, unknown>, generation: KerasGeneration): DropoutRule {
  if (generation.major === 1) {
    for (const f of ['dropout_W', 'dropout_U']) {
      const v = config[f];
      if (typeof v === 'number' && v > 0) refuse(layer, `${className} ${f} in training (Keras 1 dropout)`, f, v);
    }
    return NO_DROPOUT;
  }
  const rateOf = (f: string) => {
    const v = config[f] ?? 0;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) refuse(layer, `${className} ${f} outside [0, 1)`, f, v);
    return v;
  };
  const rate = rateOf('dropout');
  const recurrentRate = rateOf('recurrent_dropout');
  if (rate === 0 && recurrentRate === 0) return NO_DROPOUT;
  if (generation.runtime === 'tfjs') refuse(layer, `${className} dropout in training of a TF.js model (tfjs-layers' own masks)`, rate > 0 ? 'dropout' : 'recurrent_dropout', rate || recurrentRate);
  const gates = className === 'LSTM' ? 4 : className === 'GRU' ? 3 : 1;
  const gru = className === 'GRU';
  if (gates === 1) {
    if (generation.major === 3 && recurrentRate > 0 && atLeast(generation.version, 3, 2) !== true) {
      refuse(layer, 'SimpleRNN recurrent_dropout of Keras 3 before 3.2 (applied under the dropout rate there) or of an unstated Keras 3 version', 'recurrent_dropout', recurrentRate);
    }
    return { rate, recurrentRate, sets: 1, mixDroppedState: false };
  }
  if (generation.major === 2) {
    const impl = config.implementation;
    if (impl !== 0 && impl !== 1 && impl !== 2) refuse(layer, `${className} dropout without a stated implementation (0 / 1: one mask per gate, 2: one mask)`, 'implementation', impl ?? null);
    // implementation 0 drew per-gate masks in the layers of 2.0.0 - 2.1.2; the cells of 2.1.3+ deprecate it
    if (impl === 0 && atLeast(generation.version, 2, 1, 3) !== false) refuse(layer, `${className} dropout with the deprecated implementation 0 of Keras 2.1.3+ (or an unstated version)`, 'implementation', 0);
    if (impl !== 2) return { rate, recurrentRate, sets: gates, mixDroppedState: false };
    let mix = false;
    if (gru && recurrentRate > 0) {
      const late = atLeast(generation.version, 2, 1, 3);
      if (late === undefined) refuse(layer, 'GRU recurrent_dropout with implementation 2 of an unstated Keras 2 version (2.1.3 changed the state the update gate mixes)', 'recurrent_dropout', recurrentRate);
      mix = late;
    }
    return { rate, recurrentRate, sets: 1, mixDroppedState: mix };
  }
  const late = atLeast(generation.version, 3, 8);
  if (late === undefined && recurrentRate > 0) refuse(layer, `${className} recurrent_dropout of an unstated Keras 3 version (3.8 changed its masks)`, 'recurrent_dropout', recurrentRate);
  if (late) return { rate, recurrentRate, sets: recurrentRate > 0 ? gates : 1, mixDroppedState: false };
  return { rate, recurrentRate, sets: 1, mixDroppedState: gru && recurrentRate > 0 };
}

/** The per-sequence masks a truncated BPTT step reuses in every chunk, and the state it carries on. */
export interface RecurrentCarry {
  h: Float32Array;
  c?: Float32Array;
  xMask?: Float32Array;
  hMask?: Float32Array;
}

/**
 * Draws a [B][sets][n] inverted-dropout mask from the step's seeded generator (or reuses `kept`,
 * the sequence's mask in a later truncated-BPTT chunk); returns its pointer (0 for rate 0) and
 * the values to keep.
 */
export function dropoutMaskOf(ctx: TrainContext, count: number, rate: number, kept: Float32Array | undefined): [number, Float32Array | undefined] {
  if (rate === 0) return [0, undefined];
  if (kept) return [ctx.put(kept), kept];
  const { memory } = ctx;
  const p = memory.scratch(count * 4);
  drawForRows(ctx, p, count, (q, c, seed) => memory.kernels.dropoutMask(q, c, rate, seed));
  return [p, memory.f32(p, count).slice()];
}

/** Row t of every batch row of a [B][T][U] buffer, as a [B][U] array (a chunk's last state). */
export function stepOf(ctx: TrainContext, p: number, B: number, T: number, U: number, t: number): Float32Array {
  const { memory } = ctx;
  const out = memory.scratch(B * U * 4);
  memory.kernels.copySteps(p, T, t, out, 1, 0, B, 1, U);
  return memory.f32(out, B * U).slice();
}
