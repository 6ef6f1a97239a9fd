import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { globalAveragePoolingUsesMask } from '../keras/semantics.js';
import type { LayerImporter, Shape } from './types.js';
import { weightlessLayer } from './weightless.js';
import { stepsInput } from './zero-padding1d.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';

/** The kernels' pooling modes (assembly/pooling.ts). */
const { POOL_MAX, POOL_AVG } = KERNEL_CONSTANTS;

/**
 * Global pooling over time: (batch, steps, features) -> (batch, features), or (batch, 1, features)
 * with `keepdims`. `data_format='channels_first'` reads (batch, features, steps).
 *
 * Masks, as Keras: GlobalAveragePooling1D supports masking (tf.keras, Keras >= 2.1 and Keras 3:
 * sum(x * mask) / sum(mask), so an all-masked sequence gives NaN like Keras); GlobalMaxPooling1D
 * does not take a mask (Keras 3 and tf.keras max over every step, masked ones included). Neither
 * passes a mask on. TF.js' GlobalAveragePooling1D averages every step (semantics.ts).
 */
function globalPooling1d(classNames: string[], mode: number): LayerImporter {
  return {
    classNames,
    import(req) {
      const cfg = req.config;
      const format = cfg.string('data_format', 'channels_last');
      if (format !== 'channels_last' && format !== 'channels_first') {
        throw new InvalidKerasConfigurationError('data_format must be channels_last or channels_first', { ...req.context, field: 'data_format', value: format });
      }
      const first = format === 'channels_first';
      const keepdims = cfg.boolField('keepdims', false);
      const useMask = globalAveragePoolingUsesMask(req.generation);
      const input = stepsInput(req);
      const features = first ? input[1] : input[2];
      const out: Shape = keepdims ? (first ? [input[0], features, 1] : [input[0], 1, features]) : [input[0], features];
      return weightlessLayer(
        req,
        [out],
        {
          run(inputs, masks, ctx) {
            const x = inputs[0];
            const [B, d1, d2] = x.shape;
            const k = ctx.memory.kernels;
            const mask = mode === POOL_AVG && useMask ? masks[0] : null;
            const F = first ? d1 : d2;
            const ptr = ctx.memory.scratch(B * F * 4);
            if (first) {
              if (mask) {
                // Keras would broadcast a (batch, steps) mask against (batch, features, steps) data
                // as (batch, 1, steps) -- but the upstream mask describes axis 1, not the steps.
                throw new UnsupportedKerasConfigurationError('a masked input in channels_first layout is not supported', {
                  layer: req.name,
                  className: req.className,
                  field: 'data_format',
                  value: format,
                });
              }
              k.globalPoolRows(x.ptr, B * d1, d2, mode, ptr);
            } else {
              k.globalPool1d(x.ptr, B, d1, d2, mask ? mask.ptr : 0, mode, ptr);
            }
            const shape = keepdims ? (first ? [B, F, 1] : [B, 1, F]) : [B, F];
            return { outputs: [{ ptr, shape }], masks: [null] };
          },
        },
        { details: { dataFormat: format, keepdims, maskAware: mode === POOL_AVG && useMask } },
      );
    },
  };
}

/** `GlobalMaxPooling1D` (alias `GlobalMaxPool1D`). */
export const GlobalMaxPooling1DImporter = globalPooling1d(['GlobalMaxPooling1D', 'GlobalMaxPool1D'], POOL_MAX);

/** `GlobalAveragePooling1D` (alias `GlobalAvgPool1D`), mask-aware. */
export const GlobalAveragePooling1DImporter = globalPooling1d(['GlobalAveragePooling1D', 'GlobalAvgPool1D'], POOL_AVG);
