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
 * LSTM (tanh activation, fused Keras 2/3 weights, zero initial state, no mask, return_state,
 * go_backwards, stateful or dropout), backpropagation through time over the whole sequence.
 */
export function planLstm(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  if (d.weightLayout !== 'fused') refuse(layer, 'Keras 1 per-gate LSTM weights', 'weightLayout', d.weightLayout);
  if (d.activation !== 'tanh') refuse(layer, `LSTM activation ${String(d.activation)}`, 'activation', d.activation);
  for (const f of ['returnState', 'goBackwards', 'stateful'] as const) if (d[f]) refuse(layer, `LSTM ${f}`, f, true);
  const cfg = layer.spec.config;
  for (const f of ['dropout', 'recurrent_dropout']) if (typeof cfg[f] === 'number' && (cfg[f] as number) > 0) refuse(layer, `LSTM ${f} in training`, f, cfg[f]);
  const gate = gateOf(layer, generation);
  const units = Number(d.units);
  const returnSequences = d.returnSequences === true;
  const useBias = d.useBias !== false;
  type Saved = { input: Activation; pw: number; pr: number; pb: number; gates: number; cs: number; hs: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: useBias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'],
    masks: 'refuse',
    forward(ctx, input, w) {
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
