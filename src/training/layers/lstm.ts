import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';
import { refuse, type Activation, type TrainableLayer } from './layer-module.js';
import { gateOf } from './gates.js';
import { planRecurrent, type RecurrentSaved } from './recurrent.js';

/**
 * LSTM, backpropagation through time over the sequence (or over the chunk of a truncated BPTT
 * step, from the state the previous chunk left in `ctx.carry`). The plain case (tanh, fused Keras
 * 2/3 weights, forward order, no mask) runs on assembly/lstm-train.ts (SIMD, units a multiple of
 * 4), else on lstmForwardTrain / lstmBackward of assembly/backward-rnn.ts (no dropout, no
 * carried state). A masked input, go_backwards (with return_sequences false), Keras 1 per-gate weights or
 * another activation go through the recurrent core of recurrent.ts (the mask-aware kernels of
 * backward-rnn.ts), which refuses dropout; stateful is refused. Initial states ([h, c], from
 * another layer or model inputs) and return_state ([h_T, c_T]) run on the SIMD kernels: their
 * gradients go out through lstmBackwardSimd's dh0 / dc0, and a gradient reaching the returned
 * c_T comes in through dc0 (in / out).
 *
 * `dropout` / `recurrent_dropout` in training as Keras applies them: one inverted-dropout mask per
 * sample on the inputs ([batch, features]) and one on the recurrent state ([batch, units]), drawn
 * once per batch from the step's seeded generator and used at every timestep (Keras 3, and Keras
 * 2 with `implementation: 2`; Keras 2's implementation 0 / 1 draw one mask per gate and are
 * refused). A time-step mask reaching an LSTM with dropout is refused at planning.
 */
export function planLstm(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  const cfg = layer.spec.config;
  const rate = (f: string) => (typeof cfg[f] === 'number' ? (cfg[f] as number) : 0);
  const [dropout, recurrentDropout] = [rate('dropout'), rate('recurrent_dropout')];
  const dropping = dropout > 0 || recurrentDropout > 0;
  // the general path (recurrent.ts) refuses dropout by name itself
  if (d.weightLayout !== 'fused' || d.activation !== 'tanh' || d.goBackwards) return planRecurrent(layer, generation);
  if (d.stateful) refuse(layer, 'LSTM stateful', 'stateful', true);
  for (const [f, v] of [['dropout', dropout], ['recurrent_dropout', recurrentDropout]] as const) {
    if (!(v >= 0 && v < 1)) refuse(layer, `LSTM ${f} outside [0, 1)`, f, v);
  }
  if (dropping && generation.major < 3 && cfg.implementation !== 2) {
    refuse(layer, 'LSTM dropout with one mask per gate (Keras 2 implementation 0 / 1; implementation 2 and Keras 3 use one mask)', 'implementation', cfg.implementation ?? null);
  }
  // masked inputs take the general path, which has no dropout and no states: with either a mask is refused
  const general = dropping || d.returnState ? undefined : (planRecurrent(layer, generation) as TrainableLayer<RecurrentSaved>);
  const gate = gateOf(layer, generation);
  const units = Number(d.units);
  const returnSequences = d.returnSequences === true;
  const useBias = d.useBias !== false;
  const name = layer.spec.name;
  const simd = units % 4 === 0;
  if (!simd && dropping) refuse(layer, 'LSTM dropout with units not a multiple of 4', 'units', units);
  // initial states and returned states run on the SIMD kernels only
  if (!simd && d.returnState) refuse(layer, 'LSTM return_state with units not a multiple of 4', 'units', units);
  type Saved = {
    input: Activation; pw: number; pr: number; pb: number; gates: number; cs: number; hs: number;
    h0: number; c0: number; xMask: number; hMask: number; work: number; masked?: RecurrentSaved;
    /** Whether the call passed initial states (their gradients are returned). */
    initial?: boolean;
  };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: useBias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'],
    masks: dropping ? 'refuse' : returnSequences ? 'pass' : 'consume',
    states: simd,
    forward(ctx, input, w, initial) {
      if (input.mask && general) {
        const r = general.forward(ctx, input, w);
        return { output: r.output, saved: { input, pw: 0, pr: 0, pb: 0, gates: 0, cs: 0, hs: 0, h0: 0, c0: 0, xMask: 0, hMask: 0, work: 0, masked: r.saved } };
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
      const carried = ctx.carry?.get(name) as LstmCarry | undefined;
      if (ctx.carry && !simd) refuse(layer, 'truncated BPTT for an LSTM whose units are not a multiple of 4', 'units', U);
      let [h0, c0, xMask, hMask, work] = [0, 0, 0, 0, 0];
      if (initial && !simd) refuse(layer, 'LSTM initial states with units not a multiple of 4', 'units', U);
      if (simd) {
        if (carried) [h0, c0] = [ctx.put(carried.h), ctx.put(carried.c)];
        // Keras' initial_state order: [h, c]
        if (initial) [h0, c0] = [initial[0].ptr, initial[1].ptr];
        // the masks are per sequence: a truncated BPTT step reuses its batch's masks in every chunk
        const mask = (n: number, r: number, kept: Float32Array | undefined): [number, Float32Array | undefined] => {
          if (r === 0) return [0, undefined];
          if (kept) return [ctx.put(kept), kept];
          const p = memory.scratch(n * 4);
          ctx.seed = k.dropoutMask(p, n, r, ctx.seed) >>> 0;
          return [p, memory.f32(p, n).slice()];
        };
        const [xm, xKept] = mask(B * D, dropout, carried?.xMask);
        const [hm, hKept] = mask(B * U, recurrentDropout, carried?.hMask);
        [xMask, hMask] = [xm, hm];
        work = memory.scratch(k.lstmTrainWorkFloats(B, T, D, U) * 4);
        k.lstmForwardTrainSimd(input.ptr, B, T, D, U, pw, pr, pb, gate, h0, c0, xMask, hMask, gates, cs, hs, work);
        if (ctx.carry) {
          // the state at the chunk's last step starts the next chunk (detached: no gradient crosses)
          const last = (p: number) => {
            const out = new Float32Array(B * U);
            const v = memory.f32(p, B * T * U);
            for (let b = 0; b < B; b++) out.set(v.subarray((b * T + T - 1) * U, (b * T + T) * U), b * U);
            return out;
          };
          ctx.carry.set(name, { h: last(hs), c: last(cs), xMask: xKept, hMask: hKept } satisfies LstmCarry);
        }
      } else {
        k.lstmForwardTrain(input.ptr, B, T, D, U, pw, pr, pb, gate, gates, cs, hs);
      }
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
      if (s.masked && general) return general.backward(ctx, s.masked, dOut);
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
      const withStates = simd && (s.initial || dReturned !== undefined);
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
      if (simd) {
        memory.kernels.lstmBackwardSimd(s.input.ptr, B, T, D, U, s.pw, s.pr, gate, s.h0, s.c0, s.xMask, s.hMask, s.gates, s.cs, s.hs, dhs, dx, dW, dR, db, dh0, dc0, s.work);
      } else {
        const scratch = memory.scratch(6 * U * 4);
        memory.kernels.lstmBackward(s.input.ptr, B, T, D, U, s.pw, s.pr, gate, s.gates, s.cs, s.hs, dhs, dx, dW, dR, db, scratch);
      }
      const grads = [memory.f32(dW, D * 4 * U).slice(), memory.f32(dR, U * 4 * U).slice(), ...(db ? [memory.f32(db, 4 * U).slice()] : [])];
      return { dInput: dx, grads, ...(s.initial ? { dStates: [dh0, dc0] } : {}) };
    },
  };
  return plan as TrainableLayer;
}

/** What an LSTM leaves for the next chunk of a truncated BPTT step: its last state and its masks. */
interface LstmCarry {
  h: Float32Array;
  c: Float32Array;
  xMask?: Float32Array;
  hMask?: Float32Array;
}
