import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { LayerImporter } from './types.js';
import { axisBlockNormLayer, readAxisBlock, scaleShiftWeights } from './normalization-axes.js';

/**
 * `LayerNormalization` (tf.keras, Keras 3): for each sample (and each position outside `axis`),
 * mean and variance over the `axis` block, then (x - mean) / sqrt(var + epsilon) * gamma + beta.
 * gamma / beta have the shape of the normalised axes (`scale` / `center` = false drops them).
 * Keras 3's `rms_scaling` is refused: its formula changed between Keras 3 releases. The mask
 * passes through unchanged.
 */
export const LayerNormalizationImporter: LayerImporter = {
  classNames: ['LayerNormalization'],
  import(req) {
    const cfg = req.config;
    if (cfg.boolField('rms_scaling', false)) {
      throw new UnsupportedKerasConfigurationError('LayerNormalization with rms_scaling=True is not supported', {
        ...req.context,
        field: 'rms_scaling',
        value: true,
      });
    }
    const epsilon = cfg.numberField('epsilon', 1e-3);
    const center = cfg.boolField('center', true);
    const scale = cfg.boolField('scale', true);
    const block = readAxisBlock(req, -1);
    // Keras stores gamma / beta with one dimension per normalised axis, in `axis` order; the data
    // is used flat (Keras reshapes it to the broadcast shape), so the order does not matter here.
    const raw = cfg.field('axis') ?? -1;
    const rank = req.inputShapes[0].length;
    const listed = (Array.isArray(raw) ? (raw as number[]) : [raw as number]).map((a) => (a < 0 ? rank + a : a));
    const paramShape = listed.map((a) => req.inputShapes[0][a] as number);
    const { weights, notes } = scaleShiftWeights(req, scale, center, paramShape);
    return axisBlockNormLayer(req, block, { weights, notes, details: { axis: block.axes, epsilon, center, scale } }, (arrays, memory) => {
      let i = 0;
      const gamma = scale ? memory.allocF32(arrays[i++]) : 0;
      const beta = center ? memory.allocF32(arrays[i++]) : 0;
      return (x, out, outer, inner) => memory.kernels.layerNorm(x, out, outer, block.N, inner, gamma, beta, epsilon);
    });
  },
};
