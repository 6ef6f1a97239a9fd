import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { activationGradient, activationOf, applyActivation, sizeOf, type TrainableLayer } from './layer-module.js';

/** Activation layers with the activations of {@link activationOf}. */
export function planActivation(layer: GraphLayer, generation: KerasGeneration): TrainableLayer {
  const activation = activationOf(layer, layer.imported.details.activation, generation);
  type Saved = { n: number; cols: number; input: number; output: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    forward(ctx, input) {
      const n = sizeOf(input.shape);
      const cols = input.shape[input.shape.length - 1];
      const out = applyActivation(ctx.memory, input.ptr, n, cols, activation, false);
      return { output: { ptr: out, shape: input.shape, mask: input.mask }, saved: { n, cols, input: input.ptr, output: out } };
    },
    backward(ctx, s, dOut) {
      return { dInput: activationGradient(ctx.memory, activation, s.input, s.output, dOut, s.n, s.cols), grads: [] };
    },
  };
  return plan as TrainableLayer;
}
