import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import { categoricalKernel, categoricalShape, outputModeOf } from './categorical-output.js';
import { lookupTable } from './index-lookup.js';
import type { LayerImporter } from './types.js';
import { LOOKUP_SORTED_PARAMS } from '../wasm/kernel-exports.js';

/**
 * `IntegerLookup`: integer values -> vocabulary ids, or with `invert=True` ids -> values. The
 * lookup (binary search over the sorted vocabulary) and the encodings run in wasm. Mask token
 * (default none) -> 0 in int mode; unknown values -> the OOV id, or with num_oov_indices > 1
 * `floormod(value, num_oov_indices)` (Keras' default oov_method).
 */
export const IntegerLookupImporter: LayerImporter = {
  classNames: ['IntegerLookup'],
  import(req) {
    const ctx = req.context;
    const invert = req.config.boolField('invert', false);
    const mode = outputModeOf(req, invert ? ['int'] : ['int', 'one_hot', 'multi_hot', 'count', 'tf_idf'], 'int');
    const method = req.config.field('oov_method');
    if (method === 'farmhash') throw new UnsupportedKerasConfigurationError('oov_method="farmhash" for IntegerLookup is not supported yet', { ...ctx, field: 'oov_method', value: method });
    const table = lookupTable<number>(req, mode, 'int', { maskToken: null, oovToken: -1 });
    if (table.idfFromWeights) throw new UnsupportedKerasConfigurationError('IntegerLookup tf_idf needs idf_weights in the config', { ...ctx, field: 'idf_weights' });
    const input = req.inputShapes[0];
    // sorted keys -> values for the wasm binary search
    const pairs: [number, number][] = invert
      ? [...table.index].map(([tok, id]) => [id, tok])
      : [...table.index].map(([tok, id]) => [tok, id]);
    if (invert) for (let i = 0; i < table.numOov; i++) pairs.push([table.oovStart + i, table.oovToken]);
    pairs.sort((a, b) => a[0] - b[0]);
    const keys = Float32Array.from(pairs, (p) => p[0]);
    const values = Float32Array.from(pairs, (p) => p[1]);
    if (pairs.some((p) => Math.abs(p[0]) > 2 ** 24 || Math.abs(p[1]) > 2 ** 24)) {
      throw new UnsupportedKerasConfigurationError('vocabulary values beyond 2^24 are not exact in float32', { ...ctx, field: 'vocabulary' });
    }
    const hasMask = table.maskToken !== null;
    return {
      name: req.name,
      className: req.className,
      outputShapes: [categoricalShape(input, mode, table.depth)],
      numParams: 0,
      weights: [],
      notes: [],
      inputPreprocessor: null,
      ...(table.fromAssets ? { configForSaving: { vocabulary: table.fromAssets } } : {}),
      details: { invert, outputMode: mode, numOovIndices: table.numOov, maskToken: table.maskToken, vocabularySize: table.tokenStart + table.tokens.length, depth: table.depth },
      instantiate(_arrays, memory) {
        const k = memory.kernels;
        const kp = memory.allocF32(keys);
        const vp = memory.allocF32(values);
        const encode = categoricalKernel(req, mode, table.depth, memory, { strict: false, ...(table.idf ? { weights: table.idf } : {}) });
        // int mode: mask -> 0; other modes: mask dropped (-1). Invert: id 0 -> mask token, unknown ids -> oov token.
        const missing = invert ? table.oovToken : table.oovStart;
        const maskKey = invert ? 0 : (table.maskToken ?? 0);
        const maskValue = invert ? (table.maskToken ?? 0) : mode === 'int' ? 0 : -1;
        return {
          run(inputs, masks, runCtx) {
            const x = inputs[0];
            const n = x.shape.reduce((a, b) => a * b, 1);
            const out = runCtx.memory.scratch(n * 4);
            const strictVocab = !invert && table.numOov === 0 ? 1 : 0;
            const bad = k.lookupSorted(runCtx.memory.paramBlock(LOOKUP_SORTED_PARAMS, {
              x: x.ptr, n, keys: kp, values: vp, keyCount: keys.length, missing, numOov: invert ? 0 : table.numOov, oovStart: table.oovStart,
              hasMask: hasMask ? 1 : 0, maskKey, maskValue, missingIsError: strictVocab, out,
            }));
            if (bad >= n) {
              throw new InputError('num_oov_indices=0 and a value is not in the vocabulary', { ...ctx, field: 'input', value: runCtx.memory.f32(x.ptr + (bad - n) * 4, 1)[0] });
            }
            if (bad >= 0) throw new InputError('IntegerLookup takes integer values', { ...ctx, field: 'input', value: runCtx.memory.f32(x.ptr + bad * 4, 1)[0] });
            return encode.run([{ ptr: out, shape: x.shape }], masks, runCtx);
          },
        };
      },
    };
  },
};
