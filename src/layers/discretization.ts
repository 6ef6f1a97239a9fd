import { InvalidKerasConfigurationError } from '../errors.js';
import { categoricalKernel, categoricalShape, outputModeOf } from './categorical-output.js';
import type { LayerImporter } from './types.js';
import { weightlessLayer } from './weightless.js';

/**
 * `Discretization`: each value -> the number of `bin_boundaries` <= it (np.digitize /
 * tf Bucketize), then int, one_hot, multi_hot or count over len(bin_boundaries) + 1 bins; in wasm.
 */
export const DiscretizationImporter: LayerImporter = {
  classNames: ['Discretization'],
  import(req) {
    const b = req.config.field('bin_boundaries');
    if (!Array.isArray(b) || !b.every((x) => typeof x === 'number' && Number.isFinite(x)) || b.some((x, i) => i > 0 && (x as number) < (b[i - 1] as number))) {
      throw new InvalidKerasConfigurationError('bin_boundaries must be a sorted list of numbers (an adapted layer stores them in its config)', { ...req.context, field: 'bin_boundaries', value: b });
    }
    const bounds = Float32Array.from(b as number[]);
    const mode = outputModeOf(req, ['int', 'one_hot', 'multi_hot', 'count'], 'int');
    const depth = bounds.length + 1;
    const input = req.inputShapes[0];
    return weightlessLayer(
      req,
      [categoricalShape(input, mode, depth)],
      (memory) => {
        const k = memory.kernels;
        const bp = memory.allocF32(bounds);
        const encode = categoricalKernel(req, mode, depth, memory, { strict: false });
        return {
          run(inputs, masks, ctx) {
            const x = inputs[0];
            const n = x.shape.reduce((a, v) => a * v, 1);
            const out = ctx.memory.scratch(n * 4);
            k.bucketize(x.ptr, n, bp, bounds.length, out);
            return encode.run([{ ptr: out, shape: x.shape }], masks, ctx);
          },
        };
      },
      { details: { binBoundaries: Array.from(bounds), outputMode: mode } },
    );
  },
};
