import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { softmaxLayerMask } from '../keras/semantics.js';
import type { KernelExports } from '../wasm/kernel-exports.js';
import { readAxisBlock, sameShape, splitAround } from './normalization-axes.js';
import type { ImportRequest, LayerImporter, LayerKernel, Tensor } from './types.js';
import { weightlessLayer } from './weightless.js';

// Keras' activation layers (`advanced_activations` in Keras 1/2, `layers/activations` in Keras 3).
// All of them support masking: the mask passes through unchanged.

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A kernel applying `op(k, src, dst, n)` into a fresh buffer (inputs may be needed elsewhere). */
function elementwiseKernel(op: (k: KernelExports, src: number, dst: number, n: number) => void): LayerKernel {
  return {
    run(inputs, masks, ctx) {
      const x = inputs[0];
      const n = size(x.shape);
      const ptr = ctx.memory.scratch(n * 4);
      op(ctx.memory.kernels, x.ptr, ptr, n);
      return { outputs: [{ ptr, shape: x.shape.slice() }], masks: [masks[0] ?? null] };
    },
  };
}

/** A finite number field with a default; `min` when given. */
function numberAtLeast(req: ImportRequest, field: string, fallback: number, min?: number, value: unknown = req.config.field(field)): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || (min !== undefined && value < min)) {
    throw new InvalidKerasConfigurationError(min !== undefined ? `expected a finite number >= ${min}` : 'expected a finite number', {
      ...req.context,
      field,
      value,
    });
  }
  return value;
}

/**
 * `ReLU(max_value, negative_slope, threshold)` (Keras 2.2+ and 3): x for threshold < x < max_value,
 * max_value above, negative_slope * (x - threshold) at or below the threshold -- Keras'
 * backend relu, evaluated in the same order (so max_value also caps values when threshold >
 * max_value).
 */
export const ReLUImporter: LayerImporter = {
  classNames: ['ReLU'],
  import(req) {
    const maxField = req.config.field('max_value');
    const maxValue = maxField === null || maxField === undefined ? null : numberAtLeast(req, 'max_value', 0, 0);
    const slope = numberAtLeast(req, 'negative_slope', 0, 0);
    const threshold = numberAtLeast(req, 'threshold', 0);
    const max = maxValue ?? Infinity;
    return weightlessLayer(
      req,
      [sameShape(req)],
      elementwiseKernel((k, s, d, n) => k.reluLayer(s, d, n, slope, max, threshold)),
      { details: { maxValue, negativeSlope: slope, threshold } },
    );
  },
};

/** `LeakyReLU`: x if x > 0 else slope * x; Keras 1/2 `alpha`, Keras 3 `negative_slope` (default 0.3). */
export const LeakyReLUImporter: LayerImporter = {
  classNames: ['LeakyReLU'],
  import(req) {
    const field = req.config.fieldOf('negativeSlope') ?? 'alpha';
    const slope = numberAtLeast(req, field, 0.3, undefined, req.config.get('negativeSlope'));
    return weightlessLayer(
      req,
      [sameShape(req)],
      elementwiseKernel((k, s, d, n) => k.reluLayer(s, d, n, slope, Infinity, 0)),
      { details: { negativeSlope: slope } },
    );
  },
};

/** `ELU(alpha)`: x if x > 0 else alpha * (exp(x) - 1) (default alpha 1). */
export const ELUImporter: LayerImporter = {
  classNames: ['ELU'],
  import(req) {
    const alpha = numberAtLeast(req, 'alpha', 1);
    return weightlessLayer(req, [sameShape(req)], elementwiseKernel((k, s, d, n) => k.eluLayer(s, d, n, alpha)), { details: { alpha } });
  },
};

/** `ThresholdedReLU(theta)`: x if x > theta else 0 (default theta 1; Keras 1 and 2). */
export const ThresholdedReLUImporter: LayerImporter = {
  classNames: ['ThresholdedReLU'],
  import(req) {
    const theta = numberAtLeast(req, 'theta', 1);
    return weightlessLayer(req, [sameShape(req)], elementwiseKernel((k, s, d, n) => k.thresholdedRelu(s, d, n, theta)), { details: { theta } });
  },
};

/**
 * `PReLU`: x if x >= 0 else alpha * x with a learned alpha of the input's shape (without batch);
 * `shared_axes` (1-based) share one alpha along those axes (stored with size 1 there). Keras 1
 * stores the array as `alphas`, Keras 2/3 as `alpha`. 2D and 3D inputs.
 */
export const PReLUImporter: LayerImporter = {
  classNames: ['PReLU'],
  import(req) {
    const input = req.inputShapes[0];
    if (!input || (input.length !== 2 && input.length !== 3)) {
      throw new UnsupportedKerasConfigurationError('PReLU is supported on 2D and 3D inputs', { ...req.context, field: 'input_shape', value: input });
    }
    const rawShared = req.config.field('shared_axes');
    const shared = rawShared === undefined || rawShared === null ? [] : Array.isArray(rawShared) ? rawShared : [rawShared];
    for (const a of shared) {
      if (typeof a !== 'number' || !Number.isInteger(a) || a < 1 || a >= input.length) {
        throw new InvalidKerasConfigurationError(`shared_axes must list axes in [1, ${input.length - 1}]`, { ...req.context, field: 'shared_axes', value: rawShared });
      }
    }
    const paramShape = input.slice(1).map((d, i) => (shared.includes(i + 1) ? 1 : d));
    if (paramShape.some((d) => d === null)) {
      throw new InvalidKerasConfigurationError('PReLU needs known sizes on every axis it does not share', { ...req.context, field: 'shared_axes', value: rawShared });
    }
    const shape = paramShape as number[];
    const [aT, aF] = shape.length === 2 ? shape : [1, shape[0]];
    const keras1 = req.generation.major === 1;
    return {
      name: req.name,
      className: req.className,
      outputShapes: [sameShape(req)],
      numParams: size(shape),
      weights: [{ name: keras1 ? 'alphas' : 'alpha', shape }],
      notes: [],
      inputPreprocessor: null,
      details: { sharedAxes: shared },
      instantiate(arrays, memory) {
        const alpha = memory.allocF32(arrays[0]);
        const tStride = aT === 1 ? 0 : aF;
        const fStride = aF === 1 ? 0 : 1;
        return {
          run(inputs, masks, ctx) {
            const x = inputs[0];
            const [B, T, F] = x.shape.length === 3 ? x.shape : [x.shape[0], 1, x.shape[1]];
            const ptr = ctx.memory.scratch(size(x.shape) * 4);
            ctx.memory.kernels.prelu(x.ptr, ptr, B, T, F, alpha, tStride, fStride);
            return { outputs: [{ ptr, shape: x.shape.slice() }], masks: [masks[0] ?? null] };
          },
        };
      },
    };
  },
};

/** Keras' "large negative number" for float32 logits at masked positions. */
const MASKED_LOGIT = -1e9;

/**
 * `Softmax(axis)`: softmax over one axis (or a block of adjacent axes). With a mask -- only a
 * (batch, steps) mask on a (batch, steps) input lines up with the logits -- tf.keras 2.4+ and
 * Keras 3 add -1e9 to the masked logits, and Keras 3.10+ zeroes them afterwards (see
 * `softmaxLayerMask`); older Keras ignores the mask. The mask passes through.
 */
export const SoftmaxImporter: LayerImporter = {
  classNames: ['Softmax'],
  import(req) {
    const block = readAxisBlock(req, -1, true);
    const rule = softmaxLayerMask(req.generation);
    const kernel: LayerKernel = {
      run(inputs, masks, ctx) {
        const x = inputs[0];
        const n = size(x.shape);
        const k = ctx.memory.kernels;
        const ptr = ctx.memory.scratch(n * 4);
        k.copyF32(x.ptr, ptr, n);
        const mask = rule === 'ignored' ? null : masks[0] ?? null;
        if (mask) {
          if (x.shape.length !== 2 || mask.batch !== x.shape[0] || mask.steps !== x.shape[1]) {
            throw new UnsupportedKerasConfigurationError('a Softmax mask must have the shape of its (batch, steps) input', {
              layer: req.name,
              className: req.className,
              field: 'mask',
              value: x.shape,
            });
          }
          k.addWhereMasked(ptr, mask.ptr, n, MASKED_LOGIT);
        }
        const { outer, N, inner } = splitAround(x.shape, block);
        k.softmaxStrided(ptr, outer, N, inner);
        if (mask && rule === 'additive-zeroed') k.zeroWhereMasked(ptr, mask.ptr, n);
        const out: Tensor = { ptr, shape: x.shape.slice() };
        return { outputs: [out], masks: [masks[0] ?? null] };
      },
    };
    return weightlessLayer(req, [sameShape(req)], kernel, { details: { axis: block.axes, maskRule: rule } });
  },
};
