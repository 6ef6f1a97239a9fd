import { InvalidKerasConfigurationError } from '../errors.js';
import { affineKernel } from './affine-kernel.js';
import type { LayerImporter } from './types.js';

/** Reads a scalar, or (Keras 3) a list broadcast over the last axis. */
function values(req: Parameters<LayerImporter['import']>[0], field: string, fallback: number, last: number | null): Float32Array {
  const v = req.config.field(field) ?? fallback;
  if (typeof v === 'number' && Number.isFinite(v)) return Float32Array.of(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && (v.length === 1 || v.length === last)) return Float32Array.from(v as number[]);
  throw new InvalidKerasConfigurationError(`${field} must be a number or one number per feature`, { ...req.context, field, value: v });
}

/** `Rescaling`: out = x * scale + offset (in wasm). */
export const RescalingImporter: LayerImporter = {
  classNames: ['Rescaling'],
  import(req) {
    const input = req.inputShapes[0];
    const last = input[input.length - 1] ?? null;
    let scale = values(req, 'scale', 1, last);
    let offset = values(req, 'offset', 0, last);
    if (scale.length !== offset.length) {
      const n = Math.max(scale.length, offset.length);
      scale = scale.length === n ? scale : new Float32Array(n).fill(scale[0]);
      offset = offset.length === n ? offset : new Float32Array(n).fill(offset[0]);
    }
    return {
      name: req.name,
      className: req.className,
      outputShapes: [input.slice()],
      numParams: 0,
      weights: [],
      notes: [],
      inputPreprocessor: null,
      details: { scale: Array.from(scale), offset: Array.from(offset) },
      instantiate: (_a, memory) => affineKernel(memory, new Float32Array(scale.length), scale, offset),
    };
  },
};
