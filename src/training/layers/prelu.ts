import type { GraphLayer } from '../../graph/build-graph.js';
import { sizeOf, type Activation, type TrainableLayer } from './layer-module.js';

/**
 * PReLU (2D and 3D inputs, any `shared_axes`): forward on the predict kernel `prelu`, backward on
 * assembly/prelu-backward.ts, which sums the alpha gradient over the batch and the shared axes.
 * The mask passes, as in Keras.
 */
export function planPrelu(layer: GraphLayer): TrainableLayer {
  const spec = layer.imported.weights[0];
  const shape = spec.shape as number[];
  const [aT, aF] = shape.length === 2 ? shape : [1, shape[0]];
  // a shared axis (size 1 in alpha) has stride 0
  const tStride = aT === 1 ? 0 : aF;
  const fStride = aF === 1 ? 0 : 1;
  type Saved = { input: Activation; alpha: number };
  const view = (s: number[]) => (s.length === 3 ? s : [s[0], 1, s[1]]);
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [spec.name],
    masks: 'pass',
    forward(ctx, input, w) {
      const { memory } = ctx;
      const [B, T, F] = view(input.shape);
      const alpha = ctx.put(w[0]);
      const out = memory.scratch(sizeOf(input.shape) * 4);
      memory.kernels.prelu(input.ptr, out, B, T, F, alpha, tStride, fStride);
      return { output: { ptr: out, shape: input.shape, mask: input.mask }, saved: { input, alpha } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const [B, T, F] = view(s.input.shape);
      const dx = memory.scratch(B * T * F * 4);
      const n = aT * aF;
      const dAlpha = memory.scratch(n * 4, true);
      memory.kernels.preluBackward(s.input.ptr, dOut, dx, B, T, F, s.alpha, tStride, fStride, dAlpha);
      return { dInput: dx, grads: [memory.f32(dAlpha, n).slice()] };
    },
  };
  return plan as TrainableLayer;
}
