import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import type { Activation, TrainableLayer } from './layer-module.js';
import { gateOf } from './gates.js';
import { planRecurrent, type RecurrentSaved } from './recurrent.js';

/**
 * LSTM, backpropagation through time over the whole sequence. The plain case (tanh, fused Keras
 * 2/3 weights, no mask, forward order) runs on lstmForwardTrain / lstmBackward of
 * assembly/backward.ts; a masked input, go_backwards (with return_sequences false), Keras 1
 * per-gate weights or another activation go through the recurrent core of recurrent.ts (the
 * mask-aware kernels of backward-rnn.ts). return_state, stateful and dropout are refused there.
 */
export function planLstm(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  const general = planRecurrent(layer, generation) as TrainableLayer<RecurrentSaved>;
  if (d.weightLayout !== 'fused' || d.activation !== 'tanh' || d.goBackwards) return general as TrainableLayer;
  const gate = gateOf(layer, generation);
  const units = Number(d.units);
  const returnSequences = d.returnSequences === true;
  const useBias = d.useBias !== false;
  type Saved = { input: Activation; pw: number; pr: number; pb: number; gates: number; cs: number; hs: number; masked?: RecurrentSaved };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: useBias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'],
    masks: returnSequences ? 'pass' : 'consume',
    forward(ctx, input, w) {
      if (input.mask) {
        const r = general.forward(ctx, input, w);
        return { output: r.output, saved: { input, pw: 0, pr: 0, pb: 0, gates: 0, cs: 0, hs: 0, masked: r.saved } };
      }
      const { memory } = ctx;
      const [B, T, D] = input.shape;
      const U = units;
      const [pw, pr] = [ctx.put(w[0]), ctx.put(w[1])];
      const pb = useBias ? ctx.put(w[2]) : 0;
      const gates = memory.scratch(B * T * 4 * U * 4);
      const cs = memory.scratch(B * T * U * 4);
      const hs = memory.scratch(B * T * U * 4);
      memory.kernels.lstmForwardTrain(input.ptr, B, T, D, U, pw, pr, pb, gate, gates, cs, hs);
      const saved = { input, pw, pr, pb, gates, cs, hs };
      if (returnSequences) return { output: { ptr: hs, shape: [B, T, U] }, saved };
      const out = memory.scratch(B * U * 4);
      const hv = memory.f32(hs, B * T * U);
      const ov = memory.f32(out, B * U);
      for (let b = 0; b < B; b++) ov.set(hv.subarray((b * T + T - 1) * U, (b * T + T) * U), b * U);
      return { output: { ptr: out, shape: [B, U] }, saved };
    },
    backward(ctx, s, dOut) {
      if (s.masked) return general.backward(ctx, s.masked, dOut);
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
      const scratch = memory.scratch(6 * U * 4);
      memory.kernels.lstmBackward(s.input.ptr, B, T, D, U, s.pw, s.pr, gate, s.gates, s.cs, s.hs, dhs, dx, dW, dR, db, scratch);
      return { dInput: dx, grads: [memory.f32(dW, D * 4 * U).slice(), memory.f32(dR, U * 4 * U).slice(), ...(db ? [memory.f32(db, 4 * U).slice()] : [])] };
    },
  };
  return plan as TrainableLayer;
}
