import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';
import type { GraphLayer } from '../../graph/build-graph.js';
import type { WasmMemory } from '../../wasm/memory.js';
import { drawForRows, refuse, sizeOf, type TrainableLayer } from './layer-module.js';

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
      if (rate > 0) drawForRows(ctx, mask, n, (p, m, seed) => memory.kernels.dropoutMask(p, m, rate, seed));
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

/**
 * SpatialDropout1D in training: Keras drops whole channels, one inverted-dropout mask per sample
 * and channel ([batch, channels], noise_shape (batch, 1, channels)) from the step's seeded
 * generator, applied at every step by the broadcasting multiply.
 */
export function planSpatialDropout1d(layer: GraphLayer): TrainableLayer {
  const rate = Number(layer.imported.details.rate ?? 0);
  if (!(rate >= 0 && rate < 1)) refuse(layer, 'SpatialDropout1D rate outside [0, 1)', 'rate', rate);
  type Saved = { mask: number; geometry: number; n: number };
  const multiply = (memory: WasmMemory, a: number, mask: number, geometry: number, n: number) => {
    const out = memory.scratch(n * 4);
    memory.kernels.broadcastBinaryF32(a, mask, out, KERNEL_CONSTANTS.BIN_MUL, geometry);
    return out;
  };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    forward(ctx, input) {
      const { memory } = ctx;
      const [B, T, C] = input.shape;
      const mask = memory.scratch(B * C * 4);
      if (rate > 0) drawForRows(ctx, mask, B * C, (p, m, seed) => memory.kernels.dropoutMask(p, m, rate, seed));
      else memory.f32(mask, B * C).fill(1);
      // out[1][B][T][C] = x (strides T·C, C, 1) * mask (strides C, 0, 1)
      const geometry = memory.scratch(12 * 4);
      new Int32Array(memory.kernels.memory.buffer, geometry, 12).set([1, B, T, C, 0, T * C, C, 1, 0, C, 0, 1]);
      const n = B * T * C;
      return { output: { ptr: multiply(memory, input.ptr, mask, geometry, n), shape: input.shape, mask: input.mask }, saved: { mask, geometry, n } };
    },
    backward(ctx, s, dOut) {
      return { dInput: multiply(ctx.memory, dOut, s.mask, s.geometry, s.n), grads: [] };
    },
  };
  return plan as TrainableLayer;
}

/**
 * GaussianNoise in training: the input plus stddev · N(0, 1) noise from the step's seeded generator
 * (Box-Muller; the same seed gives the same noise, not Keras' random stream). The noise is
 * additive, so the gradient passes unchanged.
 */
export function planGaussianNoise(layer: GraphLayer): TrainableLayer {
  const stddev = Number(layer.imported.details.rate ?? 0);
  if (!(stddev >= 0)) refuse(layer, 'GaussianNoise stddev below 0', 'stddev', stddev);
  const plan: TrainableLayer<null> = {
    layer,
    weights: [],
    forward(ctx, input) {
      const { memory } = ctx;
      const n = sizeOf(input.shape);
      const out = memory.scratch(n * 4);
      memory.kernels.copyF32(input.ptr, out, n);
      if (stddev > 0) drawForRows(ctx, out, n, (p, m, seed) => memory.kernels.gaussianNoise(p, m, stddev, seed), true);
      return { output: { ptr: out, shape: input.shape, mask: input.mask }, saved: null };
    },
    backward(_ctx, _s, dOut) {
      return { dInput: dOut, grads: [] };
    },
  };
  return plan as TrainableLayer;
}
