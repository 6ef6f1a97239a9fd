import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';
import { refuse, type Activation, type TrainableLayer } from './layer-module.js';
import { gateOf } from './gates.js';
import { planRecurrent, type RecurrentSaved } from './recurrent.js';
import { dropoutMaskOf, dropoutRule, stepOf, type RecurrentCarry } from './recurrent-dropout.js';

/**
 * LSTM, backpropagation through time over the sequence (or over the chunk of a truncated BPTT
 * step, from the state the previous chunk left in `ctx.carry`). The plain case (tanh, fused Keras
 * 2/3 weights, forward order, units a multiple of 4, one dropout mask for all gates) runs on
 * assembly/lstm-train.ts (SIMD); a masked input, go_backwards, Keras 1 per-gate weights, another
 * activation, other units or one dropout mask per gate go through the recurrent core of
 * recurrent.ts (the mask-aware kernels of backward-rnn.ts). stateful is refused. Initial states
 * ([h, c], from another layer or model inputs) and return_state ([h_T, c_T]) on both paths: on
 * the SIMD kernels their gradients go out through lstmBackwardSimd's dh0 / dc0, and a gradient
 * reaching the returned c_T comes in through dc0 (in / out); on the general path through the
 * RecurrentTrainParams block's dhLast / dcLast in and dh0 / dc0 out.
 *
 * `dropout` / `recurrent_dropout` in training as Keras applies them (see recurrent-dropout.ts):
 * one inverted-dropout mask per sample on the inputs ([batch, features]) and one on the recurrent
 * state ([batch, units]), drawn once per batch from the step's seeded generator and used at every
 * timestep, one mask for all gates or (Keras 2 implementation 0 / 1, Keras 3.8+ with
 * recurrent_dropout) one per gate.
 */
export function planLstm(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  const cfg = layer.spec.config;
  const rule = dropoutRule(layer, 'LSTM', cfg, generation);
  const units = Number(d.units);
  if (d.weightLayout !== 'fused' || d.activation !== 'tanh' || d.goBackwards || units % 4 !== 0 || rule.sets > 1) return planRecurrent(layer, generation);
  if (d.stateful) refuse(layer, 'LSTM stateful', 'stateful', true);
  // a masked input takes the general path (with the call's initial states and return_state)
  const general = planRecurrent(layer, generation) as TrainableLayer<RecurrentSaved>;
  const gate = gateOf(layer, generation);
  const returnSequences = d.returnSequences === true;
  const useBias = d.useBias !== false;
  const name = layer.spec.name;
  type Saved = {
    input: Activation; pw: number; pr: number; pb: number; gates: number; cs: number; hs: number;
    h0: number; c0: number; xMask: number; hMask: number; work: number; initial?: boolean; masked?: RecurrentSaved;
  };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: useBias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'],
    masks: returnSequences ? 'pass' : 'consume',
    states: true,
    forward(ctx, input, w, initial) {
      if (input.mask) {
        const r = general.forward(ctx, input, w, initial);
        return { output: r.output, saved: { input, pw: 0, pr: 0, pb: 0, gates: 0, cs: 0, hs: 0, h0: 0, c0: 0, xMask: 0, hMask: 0, work: 0, masked: r.saved }, ...(r.states ? { states: r.states } : {}) };
      }
      const { memory } = ctx;
      const k = memory.kernels;
      const [B, T, D] = input.shape;
      const U = units;
      const [pw, pr] = [ctx.put(w[0]), ctx.put(w[1])];
      const pb = useBias ? ctx.put(w[2]) : 0;
      const gates = memory.scratch(B * T * 4 * U * 4);
      const cs = memory.scratch(B * T * U * 4);
      const hs = memory.scratch(B * T * U * 4);
      const carried = ctx.carry?.get(name) as RecurrentCarry | undefined;
      let [h0, c0] = carried ? [ctx.put(carried.h), carried.c ? ctx.put(carried.c) : 0] : [0, 0];
      // Keras' initial_state order: [h, c]
      if (initial) [h0, c0] = [initial[0].ptr, initial[1].ptr];
      // the masks are per sequence: a truncated BPTT step reuses its batch's masks in every chunk
      const [xMask, xKept] = dropoutMaskOf(ctx, B * D, rule.rate, carried?.xMask);
      const [hMask, hKept] = dropoutMaskOf(ctx, B * U, rule.recurrentRate, carried?.hMask);
      const work = memory.scratch(k.lstmTrainWorkFloats(B, T, D, U) * 4);
      k.lstmForwardTrainSimd(input.ptr, B, T, D, U, pw, pr, pb, gate, h0, c0, xMask, hMask, gates, cs, hs, work);
      // the state at the chunk's last step starts the next chunk (detached: no gradient crosses)
      if (ctx.carry) ctx.carry.set(name, { h: stepOf(ctx, hs, B, T, U, T - 1), c: stepOf(ctx, cs, B, T, U, T - 1), xMask: xKept, hMask: hKept } satisfies RecurrentCarry);
      const saved = { input, pw, pr, pb, gates, cs, hs, h0, c0, xMask, hMask, work, initial: !!initial };
      const lastStep = (p: number) => {
        const out = memory.scratch(B * U * 4);
        k.copySteps(p, T, T - 1, out, 1, 0, B, 1, U);
        return { ptr: out, shape: [B, U] };
      };
      // return_state: [h_T, c_T] after the output
      const states = d.returnState ? [lastStep(hs), lastStep(cs)] : undefined;
      const output = returnSequences ? { ptr: hs, shape: [B, T, U] } : lastStep(hs);
      return { output, saved, ...(states ? { states } : {}) };
    },
    backward(ctx, s, dOut, dReturned) {
      if (s.masked) return general.backward(ctx, s.masked, dOut, dReturned);
      const { memory } = ctx;
      const k = memory.kernels;
      const [B, T, D] = s.input.shape;
      const U = units;
      const dx = memory.scratch(B * T * D * 4);
      let dhs = dOut;
      if (!returnSequences) {
        dhs = memory.scratch(B * T * U * 4, true);
        k.copySteps(dOut, 1, 0, dhs, T, T - 1, B, 1, U);
      }
      // with initial or returned states: d/d(h0, c0) out, d/d(c_T) in (dc0 is in / out), d/d(h_T) added to the last step
      const withStates = s.initial || dReturned !== undefined;
      const dh0 = withStates ? memory.scratch(B * U * 4) : 0;
      const dc0 = withStates ? memory.scratch(B * U * 4, true) : 0;
      if (dReturned) {
        if (returnSequences) {
          const copy = memory.scratch(B * T * U * 4);
          k.copyF32(dhs, copy, B * T * U);
          dhs = copy;
        }
        const last = memory.scratch(B * U * 4);
        k.copySteps(dhs, T, T - 1, last, 1, 0, B, 1, U);
        k.binaryF32(last, dReturned[0], last, B * U, KERNEL_CONSTANTS.BIN_ADD);
        k.copySteps(last, 1, 0, dhs, T, T - 1, B, 1, U);
        k.copyF32(dReturned[1], dc0, B * U);
      }
      const dW = memory.scratch(D * 4 * U * 4);
      const dR = memory.scratch(U * 4 * U * 4);
      const db = s.pb ? memory.scratch(4 * U * 4) : 0;
      k.lstmBackwardSimd(s.input.ptr, B, T, D, U, s.pw, s.pr, gate, s.h0, s.c0, s.xMask, s.hMask, s.gates, s.cs, s.hs, dhs, dx, dW, dR, db, dh0, dc0, s.work);
      const grads = [memory.f32(dW, D * 4 * U).slice(), memory.f32(dR, U * 4 * U).slice(), ...(db ? [memory.f32(db, 4 * U).slice()] : [])];
      return { dInput: dx, grads, ...(s.initial ? { dStates: [dh0, dc0] } : {}) };
    },
  };
  return plan as TrainableLayer;
}
