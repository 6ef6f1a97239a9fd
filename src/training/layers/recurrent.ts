import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import type { CellWeightLayout, GateBlock } from '../../layers/recurrent-cell.js';
import { gruWeightLayout } from '../../layers/gru.js';
import { lstmWeightLayout } from '../../layers/lstm.js';
import { simpleRnnWeightLayout } from '../../layers/simple-rnn.js';
import { KERNEL_CONSTANTS, RECURRENT_TRAIN_PARAMS } from '../../wasm/kernel-exports.js';
import { gateOf } from './gates.js';
import { dropoutMaskOf, dropoutRule, stepOf, type RecurrentCarry } from './recurrent-dropout.js';
import { refuse, type Activation, type TrainContext, type TrainableLayer } from './layer-module.js';

/**
 * GRU (reset_after true and false), SimpleRNN and the general LSTM path (masks, go_backwards,
 * Keras 1 weights, inside Bidirectional) for training, on assembly/backward-rnn.ts. The
 * stored arrays in whatever layout the file has (Keras 1 per-gate W_z/U_z/b_z..., Keras 2/3 fused,
 * the (2, 3U) bias of reset_after) are gathered into the fused layout the kernels read, through
 * the importer's own gate-block layout, and the gradients scattered back the same way: the
 * gradients always come out in the stored arrays' layout and order.
 */

/** Candidate / SimpleRNN activations the backward kernels differentiate, with their kernel ids. */
const CELL_ACTIVATIONS: Record<string, number> = { linear: 0, tanh: 1, sigmoid: 2, relu: 5 };

/** Where a recurrent layer's options come from: the layer itself or one half of a Bidirectional. */
export interface RecurrentView {
  /** The graph layer errors name. */
  layer: GraphLayer;
  className: string;
  details: Record<string, unknown>;
  config: Record<string, unknown>;
}

/** Forward / backward of one recurrent direction over a whole sequence, positions kept in input order. */
export interface RecurrentCore {
  units: number;
  returnSequences: boolean;
  /** Processes the sequence from its end (go_backwards). */
  reverse: boolean;
  weights: string[];
  /**
   * `initial`: the initial states ([h], LSTM [h, c]) of a call with initial_state. `last`: the
   * state after the last processed step (without return_sequences or with return_state), 0 else;
   * `lastC`: the LSTM's cell state there (with return_state), 0 else.
   */
  forward(ctx: TrainContext, input: Activation, w: Float32Array[], initial?: Activation[]): { seq: number; last: number; lastC: number; saved: RecurrentSaved };
  /**
   * dSeq: d(loss)/d(output) per step [B][T][U], or 0; dLast: d(loss)/d(the state after the last
   * processed step) [B][U], or 0; dLastC: the LSTM's returned cell state's, or 0. `dStates`:
   * d(loss)/d(initial states) when the forward pass took some.
   */
  backward(ctx: TrainContext, s: RecurrentSaved, dSeq: number, dLast: number, needDx: boolean, dLastC?: number): { dx: number; grads: Float32Array[]; dStates?: number[] };
}

/** What the recurrent forward keeps for backward. */
export interface RecurrentSaved {
  input: Activation;
  ptrs: number[];
  /** The forward pass started from initial states given by the call (their gradients are wanted). */
  initial?: boolean;
  /** The forward pass's RecurrentTrainParams block (at ptrs[7]), rewritten for backward with its gradient fields. */
  params: TrainParams;
}

type TrainParams = Parameters<typeof RECURRENT_TRAIN_PARAMS.write>[2];

/** Gathers blocks of stored arrays into a fused [rows][gates·U] matrix. */
function gather(arrays: Float32Array[], blocks: GateBlock[], rows: number, U: number): Float32Array {
  const G = blocks.length * U;
  const out = new Float32Array(rows * G);
  blocks.forEach((b, g) => {
    const a = arrays[b.array];
    for (let r = 0; r < rows; r++) out.set(a.subarray(r * b.stride + b.offset, r * b.stride + b.offset + U), r * G + g * U);
  });
  return out;
}

/** Scatters a fused [rows][gates·U] gradient into zeroed arrays shaped like the stored ones. */
function scatter(grads: Float32Array[], fused: Float32Array, blocks: GateBlock[], rows: number, U: number): void {
  const G = blocks.length * U;
  blocks.forEach((b, g) => {
    const a = grads[b.array];
    for (let r = 0; r < rows; r++) a.set(fused.subarray(r * G + g * U, r * G + (g + 1) * U), r * b.stride + b.offset);
  });
}

/** Refuses the recurrent options training does not support (by name). */
function checkOptions(v: RecurrentView): void {
  if (v.details.stateful) refuse(v.layer, `${v.className} stateful`, 'stateful', true);
}

/**
 * One recurrent direction of a GRU, SimpleRNN or LSTM. `reverse` is the layer's go_backwards
 * (inside a Bidirectional, the backward copy's); the sequence buffers stay in input order (the
 * layer or the Bidirectional puts them in Keras' order). Dropout follows {@link dropoutRule}; in a
 * truncated BPTT step (`ctx.carry`) the state the previous chunk ended in starts the chunk.
 */
export function recurrentCore(v: RecurrentView, generation: KerasGeneration): RecurrentCore {
  const d = v.details;
  checkOptions(v);
  const gru = v.className === 'GRU';
  const lstm = v.className === 'LSTM';
  if (!gru && !lstm && v.className !== 'SimpleRNN') refuse(v.layer, `${v.className} layers`);
  const units = Number(d.units);
  const actName = String(d.activation);
  if (!(actName in CELL_ACTIVATIONS)) refuse(v.layer, `${v.className} activation ${actName}`, 'activation', actName);
  const actId = CELL_ACTIVATIONS[actName];
  const recAct = gru || lstm ? gateOf({ ...v.layer, imported: { ...v.layer.imported, className: v.className, details: d } }, generation) : 0;
  const useBias = d.useBias !== false;
  const resetAfter = gru && d.resetAfter === true;
  const perGate = d.weightLayout === 'keras1-per-gate';
  const reverse = d.goBackwards === true;
  const returnSequences = d.returnSequences === true;
  const zeroOut = d.zeroOutputForMask === true;
  const returnState = d.returnState === true;
  const layoutOf = (D: number): CellWeightLayout =>
    gru
      ? gruWeightLayout(D, units, useBias, perGate, resetAfter)
      : lstm
        ? lstmWeightLayout(D, units, useBias, perGate)
        : simpleRnnWeightLayout(D, units, useBias, generation.major === 1);
  const G = (gru ? 3 : lstm ? 4 : 1) * units;
  const rule = dropoutRule(v.layer, v.className, v.config, generation);
  const name = v.layer.spec.name;
  return {
    units,
    returnSequences,
    reverse,
    weights: layoutOf(1).specs.map((s) => s.name),
    forward(ctx, input, w, initial) {
      const { memory } = ctx;
      const k = memory.kernels;
      const [B, T, D] = input.shape;
      const U = units;
      const layout = layoutOf(D);
      const pw = ctx.put(gather(w, layout.input, D, U));
      const pr = ctx.put(gather(w, layout.recurrent, U, U));
      const pb = layout.bias ? ctx.put(gather(w, layout.bias, 1, U)) : 0;
      const pbr = layout.recurrentBias ? ctx.put(gather(w, layout.recurrentBias, 1, U)) : 0;
      const hs = memory.scratch(B * T * U * 4);
      const seq = returnSequences ? memory.scratch(B * T * U * 4) : 0;
      const mask = input.mask ?? 0;
      const carried = ctx.carry?.get(name) as RecurrentCarry | undefined;
      const sets = rule.sets;
      const [inputMask, xKept] = dropoutMaskOf(ctx, B * sets * D, rule.rate, carried?.xMask);
      const [stateMask, hKept] = dropoutMaskOf(ctx, B * sets * U, rule.recurrentRate, carried?.hMask);
      // Keras' initial_state order: [h] (LSTM [h, c]); they start the chunk as a carried state would
      const h0 = initial ? initial[0].ptr : carried ? ctx.put(carried.h) : 0;
      const c0 = initial && lstm ? initial[1].ptr : carried?.c ? ctx.put(carried.c) : 0;
      // dhLast .. dc0 are backward's: it rewrites the block (which lives in this step's scratch memory)
      const params: TrainParams = { h0, c0, inputMask, stateMask, maskSets: sets, mixDroppedState: rule.mixDroppedState ? 1 : 0, dhLast: 0, dcLast: 0, dh0: 0, dc0: 0 };
      const extra = memory.paramBlock(RECURRENT_TRAIN_PARAMS, params);
      let gates = 0;
      let rech = 0;
      if (lstm) {
        // rech holds the cell states
        gates = memory.scratch(B * T * G * 4);
        rech = memory.scratch(B * T * U * 4);
        const scratch = memory.scratch(4 * (D + U) * 4);
        k.lstmForwardTrainMasked(input.ptr, B, T, D, U, pw, pr, pb, actId, recAct, mask, reverse ? 1 : 0, zeroOut ? 1 : 0, gates, rech, hs, seq, scratch, extra);
      } else if (gru) {
        gates = memory.scratch(B * T * G * 4);
        rech = resetAfter ? memory.scratch(B * T * U * 4) : 0;
        const scratch = memory.scratch((2 * G + 3 * (D + U)) * 4);
        k.gruForwardTrain(input.ptr, B, T, D, U, pw, pr, pb, pbr, resetAfter ? 1 : 0, actId, recAct, mask, reverse ? 1 : 0, zeroOut ? 1 : 0, gates, rech, hs, seq, scratch, extra);
      } else {
        const scratch = memory.scratch((D + U) * 4);
        k.simpleRnnForwardTrain(input.ptr, B, T, D, U, pw, pr, pb, actId, mask, reverse ? 1 : 0, zeroOut ? 1 : 0, hs, seq, scratch, extra);
      }
      if (ctx.carry) {
        // the state after the chunk's last step starts the next chunk (detached: no gradient crosses)
        ctx.carry.set(name, { h: stepOf(ctx, hs, B, T, U, T - 1), ...(lstm ? { c: stepOf(ctx, rech, B, T, U, T - 1) } : {}), xMask: xKept, hMask: hKept } satisfies RecurrentCarry);
      }
      // the state after the last processed step (t = 0 when reversed), carried over masked steps
      const lastOf = (p: number) => {
        const out = memory.scratch(B * U * 4);
        k.copySteps(p, T, reverse ? 0 : T - 1, out, 1, 0, B, 1, U);
        return out;
      };
      const last = !returnSequences || returnState ? lastOf(hs) : 0;
      const lastC = lstm && returnState ? lastOf(rech) : 0;
      return { seq, last, lastC, saved: { input, ptrs: [pw, pr, pb, pbr, hs, gates, rech, extra], initial: !!initial, params } };
    },
    backward(ctx, s, dSeq, dLast, needDx, dLastC = 0) {
      const { memory } = ctx;
      const k = memory.kernels;
      const [B, T, D] = s.input.shape;
      const U = units;
      const [pw, pr, pb, pbr, hs, gates, rech, extra] = s.ptrs;
      const dOut = dSeq;
      // the last state's gradient enters the backward pass before the last processed step; the
      // initial states' come out after the first (d(c0) for the LSTM)
      const dh0 = s.initial ? memory.scratch(B * U * 4) : 0;
      const dc0 = s.initial && lstm ? memory.scratch(B * U * 4) : 0;
      RECURRENT_TRAIN_PARAMS.write(memory.kernels.memory.buffer, extra, { ...s.params, dhLast: dLast, dcLast: dLastC, dh0, dc0 });
      const dx = needDx ? memory.scratch(B * T * D * 4) : 0;
      const dW = memory.scratch(D * G * 4);
      const dR = memory.scratch(U * G * 4);
      const db = pb ? memory.scratch(G * 4) : 0;
      const dbr = pbr ? memory.scratch(G * 4) : 0;
      const mask = s.input.mask ?? 0;
      if (lstm) {
        const scratch = memory.scratch((G + 2 * U + 4 * (D + U)) * 4);
        k.lstmBackwardMasked(s.input.ptr, B, T, D, U, pw, pr, actId, recAct, mask, reverse ? 1 : 0, zeroOut ? 1 : 0, gates, rech, hs, dOut, dx, dW, dR, db, scratch, extra);
      } else if (gru) {
        const scratch = memory.scratch((2 * G + 2 * U + 3 * (D + U)) * 4);
        k.gruBackward(s.input.ptr, B, T, D, U, pw, pr, resetAfter ? 1 : 0, actId, recAct, mask, reverse ? 1 : 0, zeroOut ? 1 : 0, gates, rech, hs, dOut, dx, dW, dR, db, dbr, scratch, extra);
      } else {
        const scratch = memory.scratch((3 * U + D) * 4);
        k.simpleRnnBackward(s.input.ptr, B, T, D, U, pw, pr, actId, mask, reverse ? 1 : 0, zeroOut ? 1 : 0, hs, dOut, dx, dW, dR, db, scratch, extra);
      }
      const layout = layoutOf(D);
      const grads = layout.specs.map((spec) => new Float32Array(spec.shape.reduce((a, b) => a * b, 1)));
      scatter(grads, memory.f32(dW, D * G), layout.input, D, U);
      scatter(grads, memory.f32(dR, U * G), layout.recurrent, U, U);
      if (layout.bias) scatter(grads, memory.f32(db, G), layout.bias, 1, U);
      if (layout.recurrentBias) scatter(grads, memory.f32(dbr, G), layout.recurrentBias, 1, U);
      return { dx, grads, ...(s.initial ? { dStates: lstm ? [dh0, dc0] : [dh0] } : {}) };
    },
  };
}

/**
 * d(loss)/d(the last state) from the gradient of the output without return_sequences (`dOut`, or
 * 0) and of the returned h (`dState`, or 0): the same state, so their sum (n floats), or 0.
 */
export function lastStateGradient(ctx: TrainContext, dOut: number, dState: number, n: number): number {
  if (!dOut || !dState) return dOut || dState;
  const sum = ctx.memory.scratch(n * 4);
  ctx.memory.kernels.binaryF32(dOut, dState, sum, n, KERNEL_CONSTANTS.BIN_ADD);
  return sum;
}

/** A [B][T][F] sequence with its steps in reverse order, in fresh scratch memory. */
export function reversedSteps(ctx: TrainContext, p: number, B: number, T: number, F: number): number {
  const out = ctx.memory.scratch(B * T * F * 4);
  ctx.memory.kernels.reverseSequence(p, B, T, F, out);
  return out;
}

/**
 * GRU, SimpleRNN (and LSTM's general path) layers: masks from Masking / Embedding(mask_zero)
 * carry the state over masked steps. initial_state ([h], LSTM [h, c]) from other layers or model
 * inputs, and return_state: Keras returns [output, h] (LSTM [output, h, c]), the state after the
 * last processed step (the first position with go_backwards), carried over masked steps.
 */
export function planRecurrent(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const core = recurrentCore({ layer, className: layer.imported.className, details: layer.imported.details, config: layer.spec.config }, generation);
  // go_backwards with return_sequences: Keras returns the outputs in processing order (reversed)
  const flipped = core.reverse && core.returnSequences;
  const returnState = layer.imported.details.returnState === true;
  const plan: TrainableLayer<RecurrentSaved> = {
    layer,
    weights: core.weights,
    masks: core.returnSequences ? 'pass' : 'consume',
    states: true,
    forward(ctx, input, w, initial) {
      const r = core.forward(ctx, input, w, initial);
      const [B, T] = input.shape;
      const U = core.units;
      const seq = flipped ? reversedSteps(ctx, r.seq, B, T, U) : r.seq;
      // the output mask is the input's, unreversed, as Keras' compute_mask returns it
      const output: Activation = core.returnSequences ? { ptr: seq, shape: [B, T, U], mask: input.mask } : { ptr: r.last, shape: [B, U] };
      if (!returnState) return { output, saved: r.saved };
      // the returned h is its own tensor (the output without return_sequences holds the same values)
      const h = core.returnSequences ? r.last : ctx.put(ctx.memory.f32(r.last, B * U));
      const states: Activation[] = [{ ptr: h, shape: [B, U] }, ...(r.lastC ? [{ ptr: r.lastC, shape: [B, U] }] : [])];
      return { output, saved: r.saved, states };
    },
    backward(ctx, s, dOut, dReturned) {
      const [B, T] = s.input.shape;
      const U = core.units;
      const dSeq = core.returnSequences ? (flipped ? reversedSteps(ctx, dOut, B, T, U) : dOut) : 0;
      const dLast = lastStateGradient(ctx, core.returnSequences ? 0 : dOut, dReturned?.[0] ?? 0, B * U);
      const r = core.backward(ctx, s, dSeq, dLast, true, dReturned?.[1] ?? 0);
      return { dInput: r.dx, grads: r.grads, ...(r.dStates ? { dStates: r.dStates } : {}) };
    },
  };
  return plan as TrainableLayer;
}
