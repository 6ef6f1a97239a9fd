import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { refuse, type Activation, type TrainableLayer } from './layer-module.js';

/** Gate activations the LSTM kernels implement, by the name the importer resolved (hard_sigmoid by version). */
export const LSTM_GATES: Record<string, number> = { sigmoid: 2, hard_sigmoid_keras2: 3, hard_sigmoid_keras3: 4 };

/** The kernel id of a recurrent layer's gate activation (hard_sigmoid in the form of the file's Keras version), or its refusal. */
export function gateOf(layer: GraphLayer, generation: KerasGeneration): number {
  const d = layer.imported.details;
  let gate = String(d.recurrentActivation);
  if (gate === 'hard_sigmoid') gate = generation.major >= 3 && generation.runtime !== 'tfjs' ? 'hard_sigmoid_keras3' : 'hard_sigmoid_keras2';
  if (!(gate in LSTM_GATES)) refuse(layer, `${layer.imported.className} recurrent_activation ${String(d.recurrentActivation)}`, 'recurrent_activation', d.recurrentActivation);
  return LSTM_GATES[gate];
}

/**
 * LSTM (tanh activation, fused Keras 2/3 weights, no mask, return_state, go_backwards or
 * stateful), backpropagation through time over the sequence (or over the chunk of a truncated
 * BPTT step, from the state the previous chunk left in `ctx.carry`).
 *
 * `dropout` / `recurrent_dropout` in training as Keras applies them: one inverted-dropout mask per
 * sample on the inputs ([batch, features]) and one on the recurrent state ([batch, units]), drawn
 * once per batch from the step's seeded generator and used at every timestep (Keras 3, and Keras
 * 2 with `implementation: 2`; Keras 2's implementation 0 / 1 draw one mask per gate and are
 * refused). Kernels: assembly/lstm-train.ts (SIMD, units a multiple of 4), else the scalar ones of
 * assembly/backward.ts (no masks, no carried state).
 */
export function planLstm(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  if (d.weightLayout !== 'fused') refuse(layer, 'Keras 1 per-gate LSTM weights', 'weightLayout', d.weightLayout);
  if (d.activation !== 'tanh') refuse(layer, `LSTM activation ${String(d.activation)}`, 'activation', d.activation);
  for (const f of ['returnState', 'goBackwards', 'stateful'] as const) if (d[f]) refuse(layer, `LSTM ${f}`, f, true);
  const cfg = layer.spec.config;
  const rate = (f: string) => (typeof cfg[f] === 'number' ? (cfg[f] as number) : 0);
  const [dropout, recurrentDropout] = [rate('dropout'), rate('recurrent_dropout')];
  for (const [f, v] of [['dropout', dropout], ['recurrent_dropout', recurrentDropout]] as const) {
    if (!(v >= 0 && v < 1)) refuse(layer, `LSTM ${f} outside [0, 1)`, f, v);
  }
  if ((dropout > 0 || recurrentDropout > 0) && generation.major < 3 && cfg.implementation !== 2) {
    refuse(layer, 'LSTM dropout with one mask per gate (Keras 2 implementation 0 / 1; implementation 2 and Keras 3 use one mask)', 'implementation', cfg.implementation ?? null);
  }
  const gate = gateOf(layer, generation);
  const units = Number(d.units);
  const returnSequences = d.returnSequences === true;
  const useBias = d.useBias !== false;
  const name = layer.spec.name;
  const simd = units % 4 === 0;
  if (!simd && (dropout > 0 || recurrentDropout > 0)) refuse(layer, 'LSTM dropout with units not a multiple of 4', 'units', units);
  type Saved = {
    input: Activation; pw: number; pr: number; pb: number; gates: number; cs: number; hs: number;
    h0: number; c0: number; xMask: number; hMask: number; work: number;
  };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: useBias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'],
    masks: 'refuse',
    forward(ctx, input, w) {
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
      if (carried && !simd) refuse(layer, 'truncated BPTT for an LSTM whose units are not a multiple of 4', 'units', U);
      let [h0, c0, xMask, hMask, work] = [0, 0, 0, 0, 0];
      if (simd) {
        if (carried) [h0, c0] = [ctx.put(carried.h), ctx.put(carried.c)];
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
      const saved = { input, pw, pr, pb, gates, cs, hs, h0, c0, xMask, hMask, work };
      if (returnSequences) return { output: { ptr: hs, shape: [B, T, U] }, saved };
      const out = memory.scratch(B * U * 4);
      const hv = memory.f32(hs, B * T * U);
      const ov = memory.f32(out, B * U);
      for (let b = 0; b < B; b++) ov.set(hv.subarray((b * T + T - 1) * U, (b * T + T) * U), b * U);
      return { output: { ptr: out, shape: [B, U] }, saved };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const [B, T, D] = s.input.shape;
      const U = units;
      const dx = memory.scratch(B * T * D * 4);
      let dhs = dOut;
      if (!returnSequences) {
        dhs = memory.scratch(B * T * U * 4, true);
        const dv = memory.f32(dhs, B * T * U);
        const gv = memory.f32(dOut, B * U);
        for (let b = 0; b < B; b++) dv.set(gv.subarray(b * U, (b + 1) * U), (b * T + T - 1) * U);
      }
      const dW = memory.scratch(D * 4 * U * 4);
      const dR = memory.scratch(U * 4 * U * 4);
      const db = s.pb ? memory.scratch(4 * U * 4) : 0;
      if (simd) {
        memory.kernels.lstmBackwardSimd(s.input.ptr, B, T, D, U, s.pw, s.pr, gate, s.h0, s.c0, s.xMask, s.hMask, s.gates, s.cs, s.hs, dhs, dx, dW, dR, db, 0, 0, s.work);
      } else {
        const scratch = memory.scratch(6 * U * 4);
        memory.kernels.lstmBackward(s.input.ptr, B, T, D, U, s.pw, s.pr, gate, s.gates, s.cs, s.hs, dhs, dx, dW, dR, db, scratch);
      }
      return { dInput: dx, grads: [memory.f32(dW, D * 4 * U).slice(), memory.f32(dR, U * 4 * U).slice(), ...(db ? [memory.f32(db, 4 * U).slice()] : [])] };
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
