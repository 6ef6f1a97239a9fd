import { InputError, InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { ImportedLayer, ImportRequest, Shape, WeightSpec } from './types.js';
import type { WasmMemory } from '../wasm/memory.js';
import { layerWithWeights } from './imported-layer.js';

/**
 * The axes a normalisation layer works on (`axis`: an int or a list, negative counting from the
 * end), resolved against the input rank: a contiguous block of non-batch axes, returned with the
 * [outer][N][inner] split the kernels use.
 */
export interface AxisBlock {
  /** Resolved axes, ascending. */
  axes: number[];
  /** Elements of the block (product of the axes' sizes), or NaN when a size is unknown. */
  N: number;
  /** The axes' sizes, in axis order (null = unknown, allowed only with `allowUnknown`). */
  sizes: (number | null)[];
}

export function readAxisBlock(req: ImportRequest, fallback: number | number[], allowUnknown = false): AxisBlock {
  const input = req.inputShapes[0];
  if (!input || input.length < 2) {
    throw new InvalidKerasConfigurationError(`${req.className} needs an input with a batch axis and at least one more`, {
      ...req.context,
      field: 'input_shape',
      value: input,
    });
  }
  const rank = input.length;
  const raw = req.config.field('axis') ?? fallback;
  const list = Array.isArray(raw) ? raw : [raw];
  const bad = (): never => {
    throw new InvalidKerasConfigurationError(`axis must be an integer (or list) in [${-rank + 1}, ${rank - 1}] other than the batch axis`, {
      ...req.context,
      field: 'axis',
      value: raw,
    });
  };
  if (list.length === 0) bad();
  const axes = list.map((a) => {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) bad();
    const r = (a as number) < 0 ? rank + (a as number) : (a as number);
    if (r === 0) bad();
    return r;
  });
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  if (sorted.length !== axes.length) bad();
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] !== sorted[i - 1] + 1) {
      throw new UnsupportedKerasConfigurationError('normalising over non-adjacent axes is not supported', {
        ...req.context,
        field: 'axis',
        value: raw,
      });
    }
  }
  const sizes = sorted.map((a) => input[a]);
  if (!allowUnknown && sizes.some((d) => d === null)) {
    throw new InvalidKerasConfigurationError('the normalised axes must have a known size', { ...req.context, field: 'axis', value: raw });
  }
  const N = sizes.some((d) => d === null) ? NaN : (sizes as number[]).reduce((x, y) => x * y, 1);
  return { axes: sorted, N, sizes };
}

/** [outer][N][inner] sizes of a concrete tensor for an axis block. */
export function splitAround(shape: number[], block: AxisBlock, req?: ImportRequest): { outer: number; N: number; inner: number } {
  if (req) {
    // The block's sizes were fixed at import (parameters are per position): inputs must match.
    const dims = block.axes.map((a) => shape[a]);
    if (dims.some((d, j) => d !== block.sizes[j])) {
      throw new InputError(`expected axis sizes ${JSON.stringify(block.sizes)}, got ${JSON.stringify(dims)}`, {
        layer: req.name,
        className: req.className,
        field: 'input',
        value: shape,
      });
    }
  }
  const first = block.axes[0];
  const last = block.axes[block.axes.length - 1];
  const prod = (a: number[]) => a.reduce((x, y) => x * y, 1);
  return { outer: prod(shape.slice(0, first)), N: prod(shape.slice(first, last + 1)), inner: prod(shape.slice(last + 1)) };
}

/** The symbolic output shape of a shape-preserving layer. */
export function sameShape(req: ImportRequest): Shape {
  return req.inputShapes[0].slice();
}

/**
 * The learned scale (gamma) and shift (beta) of BatchNormalization and LayerNormalization, each
 * `paramShape` when enabled, in Keras' stored order, and the note that their regularizers are
 * ignored.
 */
export function scaleShiftWeights(req: ImportRequest, scale: boolean, center: boolean, paramShape: number[]): { weights: WeightSpec[]; notes: string[] } {
  const weights: WeightSpec[] = [];
  if (scale) weights.push({ name: 'gamma', shape: paramShape });
  if (center) weights.push({ name: 'beta', shape: paramShape });
  const notes: string[] = [];
  if (req.config.field('gamma_regularizer') || req.config.field('beta_regularizer')) notes.push('regularizers ignored (training only)');
  return { weights, notes };
}

/**
 * The ImportedLayer of a normalization over an axis block (BatchNormalization,
 * LayerNormalization): output shape and mask as the input's, `weights.length * N` parameters.
 * `prepare` packs the weights at instantiate and returns the kernel call that writes one input's
 * normalised copy (`outer` x N x `inner` floats) to `out`.
 */
export function axisBlockNormLayer(
  req: ImportRequest,
  block: AxisBlock,
  parts: { weights: WeightSpec[]; notes: string[]; details: Record<string, unknown> },
  prepare: (arrays: Float32Array[], memory: WasmMemory) => (x: number, out: number, outer: number, inner: number) => void,
): ImportedLayer {
  return layerWithWeights(req, {
    outputShapes: [sameShape(req)],
    numParams: parts.weights.length * block.N,
    ...parts,
    instantiate(arrays, memory) {
      const normalise = prepare(arrays, memory);
      return {
        run(inputs, masks, ctx) {
          const x = inputs[0];
          const { outer, inner } = splitAround(x.shape, block, req);
          const ptr = ctx.memory.scratch(outer * block.N * inner * 4);
          normalise(x.ptr, ptr, outer, inner);
          return { outputs: [{ ptr, shape: x.shape.slice() }], masks: [masks[0] ?? null] };
        },
      };
    },
  });
}
