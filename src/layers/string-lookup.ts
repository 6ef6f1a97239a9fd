import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import { categoricalKernel, categoricalShape, outputModeOf } from './categorical-output.js';
import { lookupString, lookupTable } from './index-lookup.js';
import type { LayerImporter } from './types.js';

/**
 * `StringLookup`: string tokens -> vocabulary ids (int, one_hot, multi_hot, count, tf_idf), with
 * Keras' mask token, OOV ids (hashed into several with num_oov_indices > 1) and vocabulary from the
 * config or the archive's assets. The lookup runs in TypeScript on the model input's strings; the
 * encodings in wasm. `invert=True` outputs strings, which predict cannot return: refused.
 */
export const StringLookupImporter: LayerImporter = {
  classNames: ['StringLookup'],
  import(req) {
    const ctx = req.context;
    if (req.config.field('invert') === true) {
      throw new UnsupportedKerasConfigurationError('StringLookup(invert=True) outputs strings, which predict cannot return; map the ids with the vocabulary instead', { ...ctx, field: 'invert', value: true });
    }
    const mode = outputModeOf(req, ['int', 'one_hot', 'multi_hot', 'count', 'tf_idf'], 'int');
    const table = lookupTable<string>(req, mode, 'string', { maskToken: null, oovToken: '[UNK]' });
    const input = req.inputShapes[0];
    const unknown = (token: string): never => {
      throw new InputError('num_oov_indices=0 and a token is not in the vocabulary', { ...ctx, field: 'input', value: token });
    };
    return {
      name: req.name,
      className: req.className,
      outputShapes: [categoricalShape(input, mode, table.depth)],
      numParams: 0,
      weights: [],
      notes: [],
      inputPreprocessor: null,
      details: { outputMode: mode, numOovIndices: table.numOov, maskToken: table.maskToken, vocabularySize: table.tokenStart + table.tokens.length, depth: table.depth },
      strings: {
        required: true,
        expects: `string tokens of shape ${JSON.stringify(input)}`,
        encode(tokens, shape) {
          const data = Float32Array.from(tokens, (t) => lookupString(table, t, mode, unknown));
          return { data, shape: shape.slice() };
        },
      },
      instantiate: (_arrays, memory) => categoricalKernel(req, mode, table.depth, memory, { strict: false, ...(table.idf ? { weights: table.idf } : {}) }),
    };
  },
};
