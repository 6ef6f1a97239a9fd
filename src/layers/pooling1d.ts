import { UnsupportedKerasConfigurationError } from '../errors.js';
import { theanoConvolutions } from '../keras/semantics.js';
import { readWindowLayer, windowOverInput } from './conv-utils.js';
import type { LayerImporter } from './types.js';
import { weightlessLayer } from './weightless.js';
import { KERNEL_CONSTANTS, POOL1D_PARAMS } from '../wasm/kernel-exports.js';

/** The kernels' pooling modes (assembly/pooling.ts). */
const { POOL_MAX, POOL_AVG } = KERNEL_CONSTANTS;

function pooling1d(classNames: string[], mode: number): LayerImporter {
  return {
    classNames,
    import(req) {
      const layer = readWindowLayer(req, 'pool', ['valid', 'same'], false);
      const { win, B, C, Tout } = layer;
      const { size, stride, padding } = win;
      if (padding === 'same' && theanoConvolutions(req.generation)) {
        // Theano pads both sides by pool - 1 (or pool - 2) and crops; not reproduced.
        throw new UnsupportedKerasConfigurationError("'same' pooling of a Theano-backend file is not supported", {
          ...req.context,
          field: req.config.fieldOf('convPadding') ?? 'padding',
          value: padding,
        });
      }
      return weightlessLayer(
        req,
        [[B, Tout, C]],
        {
          run(inputs, _masks, ctx) {
            const x = inputs[0];
            const { b, t, tOut, padLeft } = windowOverInput(layer, x.shape, req);
            const out = { ptr: ctx.memory.scratch(b * tOut * C * 4), shape: [b, tOut, C] };
            ctx.memory.kernels.pool1d(ctx.memory.paramBlock(POOL1D_PARAMS, {
              x: x.ptr, batch: b, steps: t, channels: C, out: out.ptr, outSteps: tOut, size, stride, padLeft, mode,
            }));
            // Pooling1D does not support masking: Keras 3 drops the mask, Keras 1/2 refuse one.
            return { outputs: [out], masks: [null] };
          },
        },
        { details: { poolSize: size, strides: stride, padding } },
      );
    },
  };
}

/**
 * `MaxPooling1D` (alias `MaxPool1D`): Keras 1 `pool_length` / `stride` / `border_mode`, Keras 2-3
 * `pool_size` / `strides` / `padding`. 'same' windows ignore the padded steps, as TensorFlow does.
 */
export const MaxPooling1DImporter = pooling1d(['MaxPooling1D', 'MaxPool1D'], POOL_MAX);

/** `AveragePooling1D` (alias `AvgPool1D`): the average over the real steps of each window. */
export const AveragePooling1DImporter = pooling1d(['AveragePooling1D', 'AvgPool1D'], POOL_AVG);
