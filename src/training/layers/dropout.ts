import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';
import type { GraphLayer } from '../../graph/build-graph.js';
import type { WasmMemory } from '../../wasm/memory.js';
import { drawForRows, refuse, sizeOf, type TrainableLayer, type TrainContext } from './layer-module.js';

/**
 * Keras' `noise_shape` of Dropout / AlphaDropout as broadcast strides over the input (rank <= 4):
 * null entries take the input's size, 1 broadcasts the mask along that axis; null for none.
 */
function readNoiseShape(layer: GraphLayer): (number | null)[] | null {
  const v = layer.spec.config.noise_shape;
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((d) => d !== null && !(Number.isInteger(d) && d >= 1))) refuse(layer, `noise_shape ${JSON.stringify(v)}`, 'noise_shape', v);
  if (v.length > 4) refuse(layer, 'noise_shape of more than 4 axes', 'noise_shape', v);
  return v as (number | null)[];
}

/**
 * An inverted-dropout mask over the whole input (1 / (1 - rate) kept, 0 dropped) drawn from the
 * step's seeded generator at the noise shape, then broadcast to the input's shape.
 */
function dropoutMaskFor(ctx: TrainContext, layer: GraphLayer, shape: number[], rate: number, noiseShape: (number | null)[] | null): number {
  const { memory } = ctx;
  const n = sizeOf(shape);
  const mask = memory.scratch(n * 4);
  if (!noiseShape) {
    if (rate > 0) drawForRows(ctx, mask, n, (q, c, seed) => memory.kernels.dropoutMask(q, c, rate, seed));
    else memory.f32(mask, n).fill(1);
    return mask;
  }
  if (noiseShape.length !== shape.length) refuse(layer, `noise_shape of rank ${noiseShape.length} for an input of rank ${shape.length}`, 'noise_shape', noiseShape);
  const dims = noiseShape.map((d, i) => {
    if (d !== null && d !== 1 && d !== shape[i]) refuse(layer, `noise_shape ${JSON.stringify(noiseShape)} for an input of shape ${JSON.stringify(shape)}`, 'noise_shape', noiseShape);
    return d ?? shape[i];
  });
  const m = sizeOf(dims);
  const small = memory.scratch(m * 4);
  // a mask per sample is drawn for the whole batch and sliced (threads); one broadcast over the batch is the same on every thread
  if (rate > 0 && dims[0] === shape[0]) drawForRows(ctx, small, m, (q, c, seed) => memory.kernels.dropoutMask(q, c, rate, seed));
  else if (rate > 0) ctx.seed = memory.kernels.dropoutMask(small, m, rate, ctx.seed) >>> 0;
  else memory.f32(small, m).fill(1);
  // element strides of the small mask, 0 along broadcast axes; padded to the copy's 4 axes
  const strides = dims.map((d, i) => (d === 1 && shape[i] !== 1 ? 0 : sizeOf(dims.slice(i + 1))));
  const pad = 4 - shape.length;
  const d4 = [...new Array(pad).fill(1), ...shape];
  const s4 = [...new Array(pad).fill(0), ...strides];
  memory.kernels.stridedCopy4(small, mask, d4[0], d4[1], d4[2], d4[3], s4[0], s4[1], s4[2], s4[3]);
  return mask;
}

/** Dropout in training: inverted dropout with a mask from the step's seeded generator (`noise_shape` broadcast). */
export function planDropout(layer: GraphLayer): TrainableLayer {
  return dropoutPlan(layer, Number(layer.imported.details.rate ?? 0), readNoiseShape(layer));
}

function dropoutPlan(layer: GraphLayer, rate: number, noiseShape: (number | null)[] | null): TrainableLayer {
  return multiplicativePlan(layer, (ctx, shape) => dropoutMaskFor(ctx, layer, shape, rate, noiseShape));
}

/**
 * A layer that multiplies its input by a factor drawn at every step (a dropout mask, Gaussian
 * noise); the gradient is the same factor. The input's time-step mask passes.
 */
function multiplicativePlan(layer: GraphLayer, factorFor: (ctx: TrainContext, shape: number[]) => number): TrainableLayer {
  type Saved = { n: number; factor: number };
  const plan: TrainableLayer<Saved> = {
    layer,
    weights: [],
    forward(ctx, input) {
      const n = sizeOf(input.shape);
      const factor = factorFor(ctx, input.shape);
      return { output: { ptr: multiplied(ctx.memory, input.ptr, factor, n), shape: input.shape, mask: input.mask }, saved: { n, factor } };
    },
    backward(ctx, s, dOut) {
      return { dInput: multiplied(ctx.memory, dOut, s.factor, s.n), grads: [] };
    },
  };
  return plan as TrainableLayer;
}

/** dOut * factor, element-wise, into a new scratch buffer. */
function multiplied(memory: WasmMemory, a: number, factor: number, n: number): number {
  const out = memory.scratch(n * 4);
  memory.kernels.binaryF32(a, factor, out, n, KERNEL_CONSTANTS.BIN_MUL);
  return out;
}

/**
 * GaussianDropout in training: the input times 1 + sqrt(rate / (1 - rate)) · N(0, 1) noise (Keras
 * 1, 2 and 3: `inputs * random.normal(mean=1, stddev=sqrt(rate / (1 - rate)))`), the noise drawn
 * as GaussianNoise's from the step's seeded generator; the gradient is the noise.
 */
export function planGaussianDropout(layer: GraphLayer): TrainableLayer {
  const rate = Number(layer.imported.details.rate ?? 0);
  if (!(rate >= 0 && rate < 1)) refuse(layer, 'GaussianDropout rate outside [0, 1)', 'rate', rate);
  const stddev = Math.sqrt(rate / (1 - rate));
  return multiplicativePlan(layer, (ctx, shape) => {
    const { memory } = ctx;
    const n = sizeOf(shape);
    const noise = memory.scratch(n * 4);
    memory.f32(noise, n).fill(1);
    if (stddev > 0) drawForRows(ctx, noise, n, (q, c, seed) => memory.kernels.gaussianNoise(q, c, stddev, seed), true);
    return noise;
  });
}

/** SELU's constants, which AlphaDropout's affine correction is built from. */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * AlphaDropout in training, Keras 2 / 3's formula: kept = uniform >= rate (the step's seeded
 * generator, `noise_shape` broadcast), alpha' = -alpha · scale of SELU, a = ((1 - rate)(1 + rate
 * alpha'^2))^-1/2, b = -a alpha' rate, output a (x kept + alpha' (1 - kept)) + b.
 */
export function planAlphaDropout(layer: GraphLayer): TrainableLayer {
  const noiseShape = readNoiseShape(layer);
  const rate = Number(layer.imported.details.rate ?? 0);
  if (!(rate >= 0 && rate < 1)) refuse(layer, 'AlphaDropout rate outside [0, 1)', 'rate', rate);
  const alphaP = -SELU_ALPHA * SELU_SCALE;
  const a = ((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5;
  const b = -a * alphaP * rate;
  type Saved = { n: number; slope: number };
  const plan: TrainableLayer<Saved | null> = {
    layer,
    weights: [],
    forward(ctx, input) {
      // Keras skips the layer at rate 0 (`if training and self.rate > 0`)
      if (rate === 0) return { output: input, saved: null };
      const { memory } = ctx;
      const n = sizeOf(input.shape);
      const mask = dropoutMaskFor(ctx, layer, input.shape, rate, noiseShape);
      const out = memory.scratch(n * 4);
      const slope = memory.scratch(n * 4);
      memory.kernels.alphaDropoutApply(input.ptr, mask, n, a, b, a * alphaP + b, out, slope);
      return { output: { ptr: out, shape: input.shape, mask: input.mask }, saved: { n, slope } };
    },
    backward(ctx, s, dOut) {
      return { dInput: s ? multiplied(ctx.memory, dOut, s.slope, s.n) : dOut, grads: [] };
    },
  };
  return plan as TrainableLayer;
}

/** ActivityRegularization: the identity; its l1 / l2 penalty on the output is added by the trainer (regularizers.ts). */
export function planActivityRegularization(layer: GraphLayer): TrainableLayer {
  const plan: TrainableLayer<null> = {
    layer,
    weights: [],
    forward(_ctx, input) {
      return { output: input, saved: null };
    },
    backward(_ctx, _s, dOut) {
      return { dInput: dOut, grads: [] };
    },
  };
  return plan as TrainableLayer;
}

/**
 * SpatialDropout1D in training: Keras drops whole channels, Dropout with noise_shape (batch, 1,
 * channels): one inverted-dropout mask per sample and channel, the same at every step.
 */
export function planSpatialDropout1d(layer: GraphLayer): TrainableLayer {
  const rate = Number(layer.imported.details.rate ?? 0);
  if (!(rate >= 0 && rate < 1)) refuse(layer, 'SpatialDropout1D rate outside [0, 1)', 'rate', rate);
  return dropoutPlan(layer, rate, [null, 1, null]);
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
