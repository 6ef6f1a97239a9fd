import { UnsupportedKerasConfigurationError } from '../errors.js';
import { categoricalKernel, categoricalShape, outputModeOf } from './categorical-output.js';
import { hashBucketFast, hashBucketStrong } from './farmhash-fingerprint.js';
import { saltOf } from './index-lookup.js';
import type { LayerImporter } from './types.js';

/**
 * `Hashing`: values -> bins by `tf.strings.to_hash_bucket_fast` (FarmHash Fingerprint64), or with
 * a salt `to_hash_bucket_strong` (SipHash-2-4 keyed by the salt), of the value's string form;
 * with `mask_value` that value gets bin 0 and the others `1 + hash mod (num_bins - 1)`. Strings are
 * hashed when the model input is declared `dtype="string"`; numeric inputs are refused for now
 * (Keras hashes `tf.as_string(int64(x))`).
 */
export const HashingImporter: LayerImporter = {
  classNames: ['Hashing'],
  import(req) {
    const ctx = req.context;
    const numBins = req.config.intField('num_bins', { min: 1 });
    const mode = outputModeOf(req, ['int', 'one_hot', 'multi_hot', 'count'], 'int');
    const salt = saltOf(req);
    const mask = req.config.field('mask_value');
    if (mask !== undefined && mask !== null && typeof mask !== 'string') {
      throw new UnsupportedKerasConfigurationError('a numeric mask_value (numeric Hashing inputs) is not supported yet', { ...ctx, field: 'mask_value', value: mask });
    }
    const masked = typeof mask === 'string' && numBins > 1;
    const bins = masked ? numBins - 1 : numBins;
    const input = req.inputShapes[0];
    const hash = (s: string): number => {
      if (masked && s === mask) return 0;
      const b = salt ? hashBucketStrong(s, bins, salt) : hashBucketFast(s, bins);
      return masked ? b + 1 : b;
    };
    return {
      name: req.name,
      className: req.className,
      outputShapes: [categoricalShape(input, mode, numBins)],
      numParams: 0,
      weights: [],
      notes: [],
      inputPreprocessor: null,
      details: { numBins, outputMode: mode, salt: salt ? salt.map(String) : null, maskValue: mask ?? null },
      strings: {
        required: false,
        expects: `strings of shape ${JSON.stringify(input)}`,
        encode: (values, shape) => ({ data: Float32Array.from(values, hash), shape: shape.slice() }),
      },
      instantiate: (_arrays, memory) => categoricalKernel(req, mode, numBins, memory, { strict: false }),
    };
  },
};
