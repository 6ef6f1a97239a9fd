import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { LayerImporter } from './types.js';
import { axisBlockNormLayer, readAxisBlock, scaleShiftWeights } from './normalization-axes.js';

/**
 * `BatchNormalization` at inference: (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma +
 * beta along `axis` (any non-batch axis, or a block of adjacent axes), folded at load into one
 * scale per channel. `center` / `scale` = false drop beta / gamma (Keras then stores fewer arrays).
 * Keras 1: only `mode=0` (feature-wise with moving statistics at test time); its weights are gamma,
 * beta, running_mean and `running_std`, which despite its name holds the moving *variance* (Keras
 * 1.x feeds it to K.batch_normalization as the variance). The mask passes through unchanged.
 */
export const BatchNormalizationImporter: LayerImporter = {
  classNames: ['BatchNormalization'],
  import(req) {
    const cfg = req.config;
    const keras1 = req.generation.major === 1;
    if (keras1) {
      const mode = cfg.intField('mode', { min: 0, fallback: 0 });
      if (mode !== 0) {
        throw new UnsupportedKerasConfigurationError(
          `Keras 1 BatchNormalization mode ${mode} normalises with the statistics of each batch or sample at test time; only mode 0 is supported`,
          { ...req.context, field: 'mode', value: mode },
        );
      }
    }
    if (cfg.boolField('renorm', false)) {
      throw new UnsupportedKerasConfigurationError('batch renormalization (renorm=True) is not supported', { ...req.context, field: 'renorm', value: true });
    }
    const epsilon = cfg.numberField('epsilon', 1e-3);
    const center = keras1 ? true : cfg.boolField('center', true);
    const scale = keras1 ? true : cfg.boolField('scale', true);
    const block = readAxisBlock(req, -1);
    const rank = req.inputShapes[0].length;
    // tf.keras stores a single axis' parameters as (C,), several axes' as the full rank with 1s.
    const paramShape = block.axes.length === 1 ? [block.N] : Array.from({ length: rank }, (_, i) => (block.axes.includes(i) ? (req.inputShapes[0][i] as number) : 1));
    const { weights, notes } = scaleShiftWeights(req, scale, center, paramShape);
    weights.push({ name: keras1 ? 'running_mean' : 'moving_mean', shape: paramShape });
    weights.push({ name: keras1 ? 'running_std' : 'moving_variance', shape: paramShape });
    return axisBlockNormLayer(req, block, { weights, notes, details: { axis: block.axes, epsilon, center, scale } }, (arrays, memory) => {
      let i = 0;
      const gamma = scale ? arrays[i++] : null;
      const beta = center ? arrays[i++] : null;
      const mean = arrays[i++];
      const variance = arrays[i++];
      const mul = new Float32Array(block.N);
      for (let n = 0; n < block.N; n++) mul[n] = (gamma ? gamma[n] : 1) / Math.sqrt(variance[n] + epsilon);
      const meanPtr = memory.allocF32(mean);
      const scalePtr = memory.allocF32(mul);
      const shiftPtr = memory.allocF32(beta ?? new Float32Array(block.N));
      return (x, out, outer, inner) => memory.kernels.batchNormInference(x, out, outer, block.N, inner, meanPtr, scalePtr, shiftPtr);
    });
  },
};
