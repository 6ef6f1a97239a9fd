import { InputError, InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { categoricalKernel, categoricalShape, outputModeOf, type CategoricalMode } from './categorical-output.js';
import { lookupString, lookupTable } from './index-lookup.js';
import { asciiLower, ngrams, splitCharacters, splitWhitespace, stripPunctuation } from './text-standardize.js';
import type { LayerImporter, Shape } from './types.js';

const STANDARDIZE = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'];

/**
 * `TextVectorization`: texts -> token ids (int, padded / truncated to output_sequence_length) or
 * multi_hot / count / tf_idf rows. The string steps (standardize, split, ngrams, vocabulary
 * lookup) run in TypeScript when the model input is given; the counting runs in wasm.
 */
export const TextVectorizationImporter: LayerImporter = {
  classNames: ['TextVectorization'],
  import(req) {
    const cfg = req.config;
    const ctx = req.context;
    // null (None) is a choice: no standardization / no splitting
    const standardize = cfg.field('standardize') === undefined ? 'lower_and_strip_punctuation' : cfg.field('standardize');
    if (standardize !== null && !STANDARDIZE.includes(standardize as string)) {
      throw new UnsupportedKerasConfigurationError('standardize is a custom function, which kerasrnn cannot run (supply the layer with customLayers)', { ...ctx, field: 'standardize', value: standardize });
    }
    const split = cfg.field('split') === undefined ? 'whitespace' : cfg.field('split');
    if (split !== null && split !== 'whitespace' && split !== 'character') {
      throw new UnsupportedKerasConfigurationError('split is a custom function, which kerasrnn cannot run', { ...ctx, field: 'split', value: split });
    }
    const ng = cfg.field('ngrams');
    let widths: number[] | null = null;
    if (typeof ng === 'number' && Number.isInteger(ng) && ng >= 1) widths = Array.from({ length: ng }, (_, i) => i + 1);
    else if (Array.isArray(ng) && ng.length > 0 && ng.every((w) => Number.isInteger(w) && w >= 1)) widths = ng as number[];
    else if (ng !== null && ng !== undefined) throw new InvalidKerasConfigurationError('ngrams must be an integer, a list of integers or null', { ...ctx, field: 'ngrams', value: ng });
    if (cfg.field('ragged') === true) throw new UnsupportedKerasConfigurationError('ragged=True outputs are not supported', { ...ctx, field: 'ragged', value: true });
    const mode = outputModeOf(req, ['int', 'multi_hot', 'count', 'tf_idf'], 'int');
    const seqLen = cfg.field('output_sequence_length');
    if (seqLen !== null && seqLen !== undefined && (!Number.isInteger(seqLen) || (seqLen as number) < 1)) {
      throw new InvalidKerasConfigurationError('output_sequence_length must be an integer >= 1 or null', { ...ctx, field: 'output_sequence_length', value: seqLen });
    }
    const table = lookupTable<string>(req, mode, 'string', { maskToken: '', oovToken: '[UNK]' });
    const input = req.inputShapes[0];
    if (input.length > 2 || (input.length === 2 && input[1] !== 1 && input[1] !== null)) {
      throw new InvalidKerasConfigurationError('TextVectorization takes one text per sample: (batch,) or (batch, 1)', { ...ctx, field: 'input_shape', value: input });
    }
    const batch = input[0];
    const output: Shape = mode === 'int' ? [batch, (seqLen as number | null | undefined) ?? null] : categoricalShape([batch, null], mode as CategoricalMode, table.depth);
    const tokensOf = (text: string): string[] => {
      let s = text;
      if (standardize === 'lower' || standardize === 'lower_and_strip_punctuation') s = asciiLower(s);
      if (standardize === 'strip_punctuation' || standardize === 'lower_and_strip_punctuation') s = stripPunctuation(s);
      const toks = split === 'whitespace' ? splitWhitespace(s) : split === 'character' ? splitCharacters(s) : [s];
      return widths ? ngrams(toks, widths) : toks;
    };
    const unknown = (token: string): never => {
      throw new InputError('num_oov_indices=0 and a token is not in the vocabulary', { ...ctx, field: 'input', value: token });
    };
    return {
      name: req.name,
      className: req.className,
      outputShapes: [output],
      numParams: 0,
      weights: [],
      notes: [],
      inputPreprocessor: null,
      details: { standardize, split, ngrams: widths, outputMode: mode, outputSequenceLength: seqLen ?? null, vocabularySize: table.tokenStart + table.tokens.length, depth: table.depth },
      strings: {
        required: true,
        expects: 'one text per sample, shape (batch,) or (batch, 1)',
        encode(texts, shape) {
          if (shape.length > 2 || (shape.length === 2 && shape[1] !== 1)) {
            throw new InputError('TextVectorization takes one text per sample: shape (batch,) or (batch, 1)', { ...ctx, field: 'input', value: shape });
          }
          const rows = texts.map((t) => tokensOf(t).map((tok) => lookupString(table, tok, mode, unknown)));
          // int: Keras pads (with 0) and truncates to output_sequence_length, or pads to the longest text
          const len = mode === 'int' ? ((seqLen as number | null | undefined) ?? Math.max(0, ...rows.map((r) => r.length))) : Math.max(1, ...rows.map((r) => r.length));
          const data = new Float32Array(rows.length * len).fill(mode === 'int' ? 0 : -1);
          rows.forEach((r, i) => data.set(r.slice(0, len), i * len));
          return { data, shape: [rows.length, len] };
        },
      },
      instantiate: (_arrays, memory) => categoricalKernel(req, mode, table.depth, memory, { strict: false, ...(table.idf ? { weights: table.idf } : {}) }),
    };
  },
};
