import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { affineKernel } from './affine-kernel.js';
import type { LayerImporter } from './types.js';

/** Keras' backend.epsilon(), the floor of the standard deviation Normalization divides by. */
const EPSILON = 1e-7;

/**
 * `Normalization`: (x - mean) / max(sqrt(variance), 1e-7) per feature of the last axis, or with
 * `invert=True` mean + x * max(sqrt(variance), 1e-7). Mean and variance come from the config
 * when given there, else from the weights (mean, variance, count; Keras stores them after adapt).
 */
export const NormalizationImporter: LayerImporter = {
  classNames: ['Normalization'],
  import(req) {
    const ctx = req.context;
    const input = req.inputShapes[0];
    const axis = req.config.field('axis') ?? -1;
    const axes = Array.isArray(axis) ? axis : [axis];
    const last = input.length - 1;
    const perFeature = axes.length === 1 && (axes[0] === -1 || axes[0] === last);
    if (axis !== null && !perFeature) {
      throw new UnsupportedKerasConfigurationError('Normalization supports axis=-1 (the last axis) or None', { ...ctx, field: 'axis', value: axis });
    }
    const F = axis === null ? 1 : input[last];
    if (typeof F !== 'number') throw new InvalidKerasConfigurationError('Normalization needs a fixed last axis', { ...ctx, field: 'input_shape', value: input });
    const invert = req.config.boolField('invert', false);
    const stat = (field: string): Float32Array | null => {
      const v = req.config.field(field);
      if (v === undefined || v === null) return null;
      const flat = (Array.isArray(v) ? (v as unknown[]).flat(8) : [v]) as unknown[];
      if (!flat.every((x) => typeof x === 'number' && Number.isFinite(x)) || (flat.length !== 1 && flat.length !== F)) {
        throw new InvalidKerasConfigurationError(`${field} must be a number or ${F} numbers`, { ...ctx, field, value: v });
      }
      return flat.length === F ? Float32Array.from(flat as number[]) : new Float32Array(F).fill(flat[0] as number);
    };
    const mean = stat('mean');
    const variance = stat('variance');
    if ((mean === null) !== (variance === null)) throw new InvalidKerasConfigurationError('mean and variance must be given together', { ...ctx, field: mean ? 'variance' : 'mean' });
    const fromWeights = mean === null;
    const statShape = axis === null ? [] : [F];
    return {
      name: req.name,
      className: req.className,
      outputShapes: [input.slice()],
      numParams: fromWeights ? 2 * F + 1 : 0,
      weights: fromWeights ? [{ name: 'mean', shape: statShape }, { name: 'variance', shape: statShape }, { name: 'count', shape: [] }] : [],
      notes: [],
      inputPreprocessor: null,
      details: { axis, invert, statistics: fromWeights ? 'weights' : 'config' },
      instantiate(arrays, memory) {
        const m = fromWeights ? Float32Array.from(arrays[0]) : (mean as Float32Array);
        const v = fromWeights ? Float32Array.from(arrays[1]) : (variance as Float32Array);
        const sd = v.map((x) => Math.max(Math.sqrt(x), EPSILON));
        return invert ? affineKernel(memory, new Float32Array(m.length), sd, m) : affineKernel(memory, m, sd.map((x) => 1 / x), new Float32Array(m.length));
      },
    };
  },
};
