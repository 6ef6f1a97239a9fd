import type { GraphLayer } from '../../graph/build-graph.js';
import { activateInPlace, activationOf, sizeOf, type TrainableLayer } from './layer-module.js';

/** Activation layers with the activations of {@link activationOf}. */
export function planActivation(layer: GraphLayer): TrainableLayer {
  const activation = activationOf(layer, layer.imported.details.activation);
  type Saved = { n: number; cols: number; output: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    forward(ctx, input) {
      const n = sizeOf(input.shape);
      const cols = input.shape[input.shape.length - 1];
      const out = ctx.memory.scratch(n * 4);
      ctx.memory.f32(out, n).set(ctx.memory.f32(input.ptr, n));
      activateInPlace(ctx.memory, out, n, cols, activation);
      return { output: { ptr: out, shape: input.shape, mask: input.mask }, saved: { n, cols, output: out } };
    },
    backward(ctx, s, dOut) {
      const dx = ctx.memory.scratch(s.n * 4);
      ctx.memory.kernels.activationBackward(s.output, dOut, s.n, s.cols, activation, dx);
      return { dInput: dx, grads: [] };
    },
  };
  return plan as TrainableLayer;
}
