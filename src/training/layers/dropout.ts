import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';
import type { GraphLayer } from '../../graph/build-graph.js';
import { refuse, sizeOf, type TrainableLayer } from './layer-module.js';

/** Dropout in training: inverted dropout with a mask from the step's seeded generator (no noise_shape). */
export function planDropout(layer: GraphLayer): TrainableLayer {
  const noiseShape = layer.spec.config.noise_shape;
  if (noiseShape !== undefined && noiseShape !== null) refuse(layer, 'Dropout noise_shape', 'noise_shape', noiseShape);
  const rate = Number(layer.imported.details.rate ?? 0);
  type Saved = { n: number; mask: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    forward(ctx, input) {
      const { memory } = ctx;
      const n = sizeOf(input.shape);
      const mask = memory.scratch(n * 4);
      if (rate > 0) ctx.seed = memory.kernels.dropoutMask(mask, n, rate, ctx.seed) >>> 0;
      else memory.f32(mask, n).fill(1);
      const out = memory.scratch(n * 4);
      memory.kernels.binaryF32(input.ptr, mask, out, n, KERNEL_CONSTANTS.BIN_MUL);
      return { output: { ptr: out, shape: input.shape, mask: input.mask }, saved: { n, mask } };
    },
    backward(ctx, s, dOut) {
      const dx = ctx.memory.scratch(s.n * 4);
      ctx.memory.kernels.binaryF32(dOut, s.mask, dx, s.n, KERNEL_CONSTANTS.BIN_MUL);
      return { dInput: dx, grads: [] };
    },
  };
  return plan as TrainableLayer;
}
