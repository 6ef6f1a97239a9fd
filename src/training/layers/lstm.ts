import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { drawForRows, refuse, type Activation, type TrainableLayer } from './layer-module.js';
import { gateOf } from './gates.js';
import { planRecurrent, type RecurrentSaved } from './recurrent.js';

/**
 * LSTM, backpropagation through time over the sequence (or over the chunk of a truncated BPTT
 * step, from the state the previous chunk left in `ctx.carry`). The plain case (tanh, fused Keras
 * 2/3 weights, forward order, no mask) runs on assembly/lstm-train.ts (SIMD, units a multiple of
 * 4), else on lstmForwardTrain / lstmBackward of assembly/backward-rnn.ts (no dropout, no
 * carried state). A masked input, go_backwards (with return_sequences false), Keras 1 per-gate weights or
 * another activation go through the recurrent core of recurrent.ts (the mask-aware kernels of
 * backward-rnn.ts), which refuses dropout; return_state and stateful are refused.
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
  for (const f of ['returnState', 'stateful'] as const) if (d[f]) refuse(layer, `LSTM ${f}`, f, true);
  for (const [f, v] of [['dropout', dropout], ['recurrent_dropout', recurrentDropout]] as const) {
    if (!(v >= 0 && v < 1)) refuse(layer, `LSTM ${f} outside [0, 1)`, f, v);
  }
  if (dropping && generation.major < 3 && cfg.implementation !== 2) {
    refuse(layer, 'LSTM dropout with one mask per gate (Keras 2 implementation 0 / 1; implementation 2 and Keras 3 use one mask)', 'implementation', cfg.implementation ?? null);
  }
  // masked inputs take the general path, which has no dropout: with dropout a mask is refused
  const general = dropping ? undefined : (planRecurrent(layer, generation) as TrainableLayer<RecurrentSaved>);
  const gate = gateOf(layer, generation);
  const units = Number(d.units);
  const returnSequences = d.returnSequences === true;
  const useBias = d.useBias !== false;
  const name = layer.spec.name;
  const simd = units % 4 === 0;
  if (!simd && dropping) refuse(layer, 'LSTM dropout with units not a multiple of 4', 'units', units);
  type Saved = {
    input: Activation; pw: number; pr: number; pb: number; gates: number; cs: number; hs: number;
    h0: number; c0: number; xMask: number; hMask: number; work: number; masked?: RecurrentSaved;
  };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: useBias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'],
    masks: dropping ? 'refuse' : returnSequences ? 'pass' : 'consume',
    forward(ctx, input, w) {
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
      if (simd) {
        if (carried) [h0, c0] = [ctx.put(carried.h), ctx.put(carried.c)];
        // the masks are per sequence: a truncated BPTT step reuses its batch's masks in every chunk
        const mask = (n: number, r: number, kept: Float32Array | undefined): [number, Float32Array | undefined] => {
          if (r === 0) return [0, undefined];
          if (kept) return [ctx.put(kept), kept];
          const p = memory.scratch(n * 4);
          drawForRows(ctx, p, n, (q, m, seed) => k.dropoutMask(q, m, r, seed));
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
      if (s.masked && general) return general.backward(ctx, s.masked, dOut);
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
