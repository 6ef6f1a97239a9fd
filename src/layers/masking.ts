import type { LayerImporter } from './types.js';
import { weightlessLayer } from './weightless.js';
import { stepsInput } from './zero-padding1d.js';

/**
 * `Masking`: a time step whose features all equal `mask_value` is masked; Keras also zeroes the
 * masked steps' values (`inputs * mask`), which matters to layers that ignore masks.
 */
export const MaskingImporter: LayerImporter = {
  classNames: ['Masking'],
  import(req) {
    const maskValue = req.config.numberField('mask_value', 0);
    return weightlessLayer(
      req,
      [stepsInput(req)],
      {
        run(inputs, _masks, ctx) {
          const x = inputs[0];
          const [B, T, F] = x.shape;
          const out = ctx.memory.scratch(B * T * F * 4);
          const mask = ctx.memory.scratch(B * T);
          ctx.memory.kernels.maskingLayer(x.ptr, B * T, F, maskValue, out, mask);
          return { outputs: [{ ptr: out, shape: x.shape }], masks: [{ ptr: mask, batch: B, steps: T }] };
        },
      },
      { details: { maskValue } },
    );
  },
};
