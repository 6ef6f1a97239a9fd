import { InputError, InvalidKerasConfigurationError } from '../errors.js';
import { categoricalKernel, categoricalShape, outputModeOf } from './categorical-output.js';
import { hashBucketFast, hashBucketStrong } from './farmhash-fingerprint.js';
import { saltOf } from './index-lookup.js';
import type { LayerImporter, StringFrontEnd } from './types.js';
import { weightlessLayer } from './weightless.js';

/**
 * `Hashing`: values -> bins by `tf.strings.to_hash_bucket_fast` (FarmHash Fingerprint64), or with
 * a salt `to_hash_bucket_strong` (SipHash-2-4 keyed by the salt), of the value's string form;
 * with `mask_value` that value gets bin 0 and the others `1 + hash mod (num_bins - 1)`. Strings
 * (a model input declared `dtype="string"`) are hashed before wasm; numbers are hashed as Keras
 * does, by the decimal digits of `int64(x)`.
 */
export const HashingImporter: LayerImporter = {
  classNames: ['Hashing'],
  import(req) {
    const ctx = req.context;
    const numBins = req.config.intField('num_bins', { min: 1 });
    const mode = outputModeOf(req, ['int', 'one_hot', 'multi_hot', 'count'], 'int');
    const salt = saltOf(req);
    const mask = req.config.field('mask_value');
    if (mask !== undefined && mask !== null && typeof mask !== 'string' && typeof mask !== 'number') {
      throw new InvalidKerasConfigurationError('mask_value must be a string, a number or null', { ...ctx, field: 'mask_value', value: mask });
    }
    const masked = mask !== undefined && mask !== null && numBins > 1;
    const bins = masked ? numBins - 1 : numBins;
    const input = req.inputShapes[0];
    const bucket = (s: string): number => {
      const b = salt ? hashBucketStrong(s, bins, salt) : hashBucketFast(s, bins);
      return masked ? b + 1 : b;
    };
    const hash = (s: string): number => (masked && s === mask ? 0 : bucket(s));
    // Numbers: Keras compares with mask_value, casts floats to int64 (toward zero) and hashes
    // tf.as_string of that, i.e. its decimal digits. String processing, one hash per value.
    const hashNumber = (v: number): number => {
      if (masked && v === mask) return 0;
      if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 63) throw new InputError('Hashing takes values that fit an int64', { ...ctx, field: 'input', value: v });
      return bucket(BigInt(Math.trunc(v)).toString());
    };
    let fedStrings = false;
    const strings: StringFrontEnd = {
      required: false,
      expects: `strings of shape ${JSON.stringify(input)}`,
      encode: (values, shape) => ({ data: Float32Array.from(values, hash), shape: shape.slice() }),
      fedStrings: () => {
        fedStrings = true;
      },
    };
    return weightlessLayer(
      req,
      [categoricalShape(input, mode, numBins)],
      (memory) => {
        const encode = categoricalKernel(req, mode, numBins, memory, { strict: false });
        return {
          run(inputs, masks, runCtx) {
            if (fedStrings) return encode.run(inputs, masks, runCtx);
            const x = inputs[0];
            const n = x.shape.reduce((a, b) => a * b, 1);
            const out = runCtx.memory.scratch(n * 4);
            runCtx.memory.f32(out, n).set(Array.from(runCtx.memory.f32(x.ptr, n), hashNumber));
            return encode.run([{ ptr: out, shape: x.shape }], masks, runCtx);
          },
        };
      },
      { details: { numBins, outputMode: mode, salt: salt ? salt.map(String) : null, maskValue: mask ?? null }, strings },
    );
  },
};
