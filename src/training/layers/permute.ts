import type { GraphLayer } from '../../graph/build-graph.js';
import { permuteAxes } from '../../layers/permute.js';
import type { TrainableLayer } from './layer-module.js';

/**
 * Permute(dims) for training: the forward pass is the inference strided copy; the gradient is the
 * output gradient permuted back by the inverse order. Masks are refused (Keras' Permute does not
 * support masking).
 */
export function planPermute(layer: GraphLayer): TrainableLayer {
  const axes = [0, ...(layer.imported.details.dims as number[])];
  const inverse = axes.map((_, i) => axes.indexOf(i));
  const plan: TrainableLayer<number[]> = {
    layer,
    weights: [],
    masks: 'refuse',
    forward(ctx, input) {
      const { ptr, shape } = permuteAxes(ctx.memory, input.ptr, input.shape, axes);
      return { output: { ptr, shape }, saved: shape };
    },
    backward(ctx, outShape, dOut) {
      return { dInput: permuteAxes(ctx.memory, dOut, outShape, inverse).ptr, grads: [] };
    },
  };
  return plan as TrainableLayer;
}
