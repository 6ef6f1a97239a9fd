import { InvalidKerasConfigurationError } from '../errors.js';
import { categoricalKernel, categoricalShape, outputModeOf } from './categorical-output.js';
import type { LayerImporter } from './types.js';
import { weightlessLayer } from './weightless.js';

/**
 * `CategoryEncoding`: integer ids in [0, num_tokens) -> one_hot, multi_hot or count rows (in wasm).
 * An id outside the range is an error naming the layer, as Keras' range check.
 */
export const CategoryEncodingImporter: LayerImporter = {
  classNames: ['CategoryEncoding'],
  import(req) {
    // TF 2.3-2.5 called it max_tokens
    const depth = req.config.intField(req.config.field('num_tokens') === undefined && req.config.field('max_tokens') !== undefined ? 'max_tokens' : 'num_tokens', { min: 1 });
    const mode = outputModeOf(req, ['one_hot', 'multi_hot', 'count'], 'multi_hot');
    const input = req.inputShapes[0];
    if (mode !== 'one_hot' && input.length < 2) {
      throw new InvalidKerasConfigurationError(`${mode} takes (batch, ids) inputs`, { ...req.context, field: 'input_shape', value: input });
    }
    if (req.call?.args.length && req.call.args.length > 1) {
      throw new InvalidKerasConfigurationError('count_weights are not supported', { ...req.context, field: 'count_weights' });
    }
    return weightlessLayer(req, [categoricalShape(input, mode, depth)], (memory) => categoricalKernel(req, mode, depth, memory, { strict: true }), {
      details: { numTokens: depth, outputMode: mode },
    });
  },
};
