import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { activationGradient, activationOf, applyActivation, denseWork, sizeOf, type Activation, type TrainableLayer } from './layer-module.js';

/** Dense on input of any rank >= 2 (the kernel applies to the last axis), activations of {@link activationOf}. */
export function planDense(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const d = layer.imported.details;
  const units = Number(d.units);
  const activation = activationOf(layer, d.activation, generation);
  const useBias = d.useBias !== false;
  type Saved = { input: Activation; pre: number; output: number; pw: number; pb: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: useBias ? ['kernel', 'bias'] : ['kernel'],
    forward(ctx, input, w) {
      const K = input.shape[input.shape.length - 1];
      const M = sizeOf(input.shape) / K;
      const pw = ctx.put(w[0]);
      const pb = useBias ? ctx.put(w[1]) : 0;
      const z = ctx.memory.scratch(M * units * 4);
      ctx.memory.kernels.denseForwardTrain(input.ptr, M, K, units, pw, pb, z, denseWork(ctx.memory, M, K, units));
      const output = applyActivation(ctx.memory, z, M * units, units, activation, true);
      return { output: { ptr: output, shape: [...input.shape.slice(0, -1), units], mask: input.mask }, saved: { input, pre: z, output, pw, pb } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const K = s.input.shape[s.input.shape.length - 1];
      const M = sizeOf(s.input.shape) / K;
      const N = units;
      const dx = memory.scratch(M * K * 4);
      const dz = activationGradient(memory, activation, s.pre, s.output, dOut, M * N, N);
      const dW = memory.scratch(K * N * 4);
      const db = s.pb ? memory.scratch(N * 4) : 0;
      memory.kernels.denseBackward(s.input.ptr, dz, M, K, N, s.pw, dx, dW, db, denseWork(memory, M, K, N));
      return { dInput: dx, grads: [memory.f32(dW, K * N).slice(), ...(db ? [memory.f32(db, N).slice()] : [])] };
    },
  };
  return plan as TrainableLayer;
}
