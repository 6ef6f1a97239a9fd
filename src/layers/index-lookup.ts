import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { hashBucketFast, hashBucketStrong } from './farmhash-fingerprint.js';
import type { CategoricalMode } from './categorical-output.js';
import type { ImportRequest } from './types.js';

/**
 * The vocabulary of Keras' IndexLookup (StringLookup, IntegerLookup, TextVectorization's lookup):
 * ids `[mask][oov x num_oov_indices][tokens...]`. The mask slot exists only in `int` output mode.
 */
export interface LookupTable<K extends string | number> {
  tokens: K[];
  /** token -> id. */
  index: Map<K, number>;
  maskToken: K | null;
  oovToken: K;
  numOov: number;
  oovStart: number;
  tokenStart: number;
  /** Output width of the non-int modes: max_tokens when pad_to_max_tokens, else the vocabulary size. */
  depth: number;
  /** tf_idf: one weight per output slot. */
  idf?: Float32Array;
  salt: readonly [bigint, bigint] | null;
}

function fail(req: ImportRequest, message: string, field: string, value?: unknown): never {
  throw new InvalidKerasConfigurationError(message, { ...req.context, field, ...(value === undefined ? {} : { value }) });
}

/** Lines of a `vocabulary.txt` asset as Keras' load_assets reads them (trailing empty lines dropped). */
function assetLines(bytes: Uint8Array): string[] {
  const lines = new TextDecoder('utf-8').decode(bytes).split(/\r\n|\n|\r/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The vocabulary list: the config's `vocabulary`, else the layer's `vocabulary.txt` asset. */
function vocabularyOf(req: ImportRequest): unknown[] {
  const v = req.config.field('vocabulary');
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') {
    throw new UnsupportedKerasConfigurationError('the vocabulary is a path to a file outside the model; kerasrnn reads only what the model file holds', { ...req.context, field: 'vocabulary', value: v });
  }
  const file = req.assets?.read('vocabulary.txt') ?? req.assets?.read('_lookup_layer/vocabulary.txt');
  if (file) return assetLines(file);
  return fail(
    req,
    req.assets
      ? `no vocabulary: the config has none and ${req.assets.location} holds no vocabulary.txt`
      : 'no vocabulary: the config has none and the file has no assets (an adapted vocabulary is saved only in .keras archives and SavedModels)',
    'vocabulary',
  );
}

/** Keras' `salt` (an int or two ints) as the SipHash key, or null. */
export function saltOf(req: ImportRequest): readonly [bigint, bigint] | null {
  const s = req.config.field('salt');
  if (s === undefined || s === null) return null;
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (ok(s)) return [BigInt(s), BigInt(s)];
  if (Array.isArray(s) && s.length === 2 && s.every(ok)) return [BigInt(s[0]), BigInt(s[1])];
  return fail(req, 'salt must be an integer or two integers', 'salt', s);
}

/** Builds the table from the config (and assets), with Keras' special-token and idf rules (IndexLookup.set_vocabulary). */
export function lookupTable<K extends string | number>(
  req: ImportRequest,
  mode: CategoricalMode,
  keys: 'string' | 'int',
  defaults: { maskToken: K | null; oovToken: K },
): LookupTable<K> {
  const cfg = req.config;
  const numOov = cfg.intField('num_oov_indices', { min: 0, fallback: 1 });
  // TF 2.3-2.5's IntegerLookup said mask_value / oov_value / max_values
  const either = (name: string, old: string): unknown => (cfg.field(name) !== undefined ? cfg.field(name) : cfg.field(old));
  const rawMask = either('mask_token', 'mask_value');
  const maskToken = (rawMask === undefined ? defaults.maskToken : rawMask) as K | null;
  const oovToken = (either('oov_token', 'oov_value') ?? defaults.oovToken) as K;
  const check = (t: unknown, field: string): K => {
    if (keys === 'string' ? typeof t !== 'string' : typeof t !== 'number' || !Number.isInteger(t)) fail(req, `vocabulary entries must be ${keys === 'string' ? 'strings' : 'integers'}`, field, t);
    return t as K;
  };
  const vocab = vocabularyOf(req).map((t, i) => check(t, `vocabulary[${i}]`));
  if (vocab.length === 0) fail(req, 'the vocabulary is empty', 'vocabulary');
  const oovStart = maskToken !== null && mode === 'int' ? 1 : 0;
  const tokenStart = oovStart + numOov;
  const special = [...new Array(oovStart).fill(maskToken), ...new Array(numOov).fill(oovToken)];
  const found = vocab.length >= tokenStart && special.every((t, i) => vocab[i] === t);
  const tokens = found ? vocab.slice(tokenStart) : vocab;
  const index = new Map<K, number>();
  tokens.forEach((t, i) => {
    if (index.has(t)) fail(req, 'the vocabulary repeats a token', 'vocabulary', t);
    if (maskToken !== null && t === maskToken) fail(req, 'the mask token appears inside the vocabulary', 'vocabulary', t);
    index.set(t, tokenStart + i);
  });
  const maxTokens = either('max_tokens', 'max_values');
  const size = tokenStart + tokens.length;
  if (typeof maxTokens === 'number' && size > maxTokens) fail(req, `the vocabulary holds ${size} ids, more than max_tokens`, 'max_tokens', maxTokens);
  const pad = cfg.boolField('pad_to_max_tokens', false);
  const depth = pad && typeof maxTokens === 'number' ? maxTokens : size;
  let idf: Float32Array | undefined;
  if (mode === 'tf_idf') {
    const w = cfg.field('idf_weights');
    if (!Array.isArray(w) || !w.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(req, 'tf_idf needs idf_weights in the config (weights adapted into a .keras archive are not read yet)', 'idf_weights', w);
    }
    const weights = w as number[];
    if (weights.length !== vocab.length) fail(req, `idf_weights has ${weights.length} values for a vocabulary of ${vocab.length}`, 'idf_weights', weights.length);
    // Without the special tokens in the vocabulary, Keras front-pads the weights with their mean.
    const front = found ? [] : new Array(tokenStart).fill(weights.reduce((a, b) => a + b, 0) / weights.length);
    idf = new Float32Array(depth);
    idf.set([...front, ...weights].slice(0, depth));
  }
  return { tokens, index, maskToken, oovToken, numOov, oovStart, tokenStart, depth, ...(idf ? { idf } : {}), salt: saltOf(req) };
}

/**
 * Ids of string tokens (IndexLookup._lookup_dense): known tokens their id; the mask token 0 in
 * int mode, dropped (-1) otherwise; unknown tokens the OOV id (`oovStart`), or with several OOV
 * ids `oovStart + hash bucket` (FarmHash, or SipHash with a salt). With no OOV ids an unknown
 * token is an error in Keras; `onUnknown` reports it.
 */
export function lookupString(t: LookupTable<string>, token: string, mode: CategoricalMode, onUnknown: (token: string) => never): number {
  if (t.maskToken !== null && token === t.maskToken) return mode === 'int' ? 0 : -1;
  const id = t.index.get(token);
  if (id !== undefined) return id;
  if (t.numOov === 0) return onUnknown(token);
  if (t.numOov === 1) return t.oovStart;
  return t.oovStart + (t.salt ? hashBucketStrong(token, t.numOov, t.salt) : hashBucketFast(token, t.numOov));
}
