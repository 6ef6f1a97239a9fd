import type { GraphLayer } from '../../graph/build-graph.js';
import { type TrainableLayer } from './layer-module.js';

/** Masking: steps whose features all equal mask_value are masked and zeroed (so get no gradient). */
export function planMasking(layer: GraphLayer): TrainableLayer {
  const maskValue = Number(layer.imported.details.maskValue ?? 0);
  type Saved = { rows: number; features: number; mask: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    masks: 'produce',
    forward(ctx, input) {
      const { memory } = ctx;
      const [B, T, F] = input.shape;
      const out = memory.scratch(B * T * F * 4);
      const mask = memory.scratch(B * T);
      memory.kernels.maskingLayer(input.ptr, B * T, F, maskValue, out, mask);
      return { output: { ptr: out, shape: input.shape, mask }, saved: { rows: B * T, features: F, mask } };
    },
    backward(ctx, s, dOut) {
      const { memory } = ctx;
      const n = s.rows * s.features;
      const dx = memory.scratch(n * 4);
      memory.kernels.copyF32(dOut, dx, n);
      memory.kernels.mulRowsByMask(dx, s.mask, s.rows, s.features);
      return { dInput: dx, grads: [] };
    },
  };
  return plan as TrainableLayer;
}
