import { InputError, InvalidKerasConfigurationError } from '../errors.js';

/** Keras' default `filters` of `Tokenizer` / `text_to_word_sequence`: ASCII punctuation, tab, newline. */
export const KERAS_TOKENIZER_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';

/** The options `keras.preprocessing.text.Tokenizer` was built with (its `get_config()` fields). */
export interface TokenizerOptions {
  /** Only ids below this are kept (`None` / 0 in Keras: no limit). */
  numWords: number | null;
  /** Characters replaced by `split` before splitting (code points). */
  filters: string;
  lower: boolean;
  split: string;
  charLevel: boolean;
  oovToken: string | null;
}

/**
 * Keras' `text_to_word_sequence`: lowercase (optional), replace every character of `filters` by
 * `split`, split on `split`, drop empty pieces. Works on code points, as Python's `str` does.
 */
export function textToWordSequence(
  text: string,
  options: { filters?: string; lower?: boolean; split?: string } = {},
): string[] {
  const filters = options.filters ?? KERAS_TOKENIZER_FILTERS;
  const split = options.split ?? ' ';
  const lower = options.lower ?? true;
  if (typeof text !== 'string') throw new InputError('text_to_word_sequence takes a string', { field: 'text', value: typeof text });
  if (split === '') throw new InputError('split must not be empty (Python raises "empty separator")', { field: 'split', value: split });
  let s = lower ? text.toLowerCase() : text;
  if (filters.length > 0) {
    const drop = new Set(Array.from(filters));
    let out = '';
    for (const ch of s) out += drop.has(ch) ? split : ch;
    s = out;
  }
  return s.split(split).filter((w) => w.length > 0);
}

/** A Keras `Tokenizer` restored from its JSON: maps texts to id sequences and back like Keras. */
export class KerasTokenizer {
  /** Word -> id (ids from 1; 0 is reserved for padding), as Keras' `word_index`. */
  readonly wordIndex: ReadonlyMap<string, number>;
  /** Id -> word, as Keras' `index_word`. */
  readonly indexWord: ReadonlyMap<number, string>;
  /** The tokenizer's options (Keras' config, camelCase). */
  readonly options: Readonly<TokenizerOptions>;

  constructor(wordIndex: Map<string, number>, options: TokenizerOptions, indexWord?: Map<number, string>) {
    this.wordIndex = wordIndex;
    this.options = { ...options };
    if (!indexWord) {
      indexWord = new Map();
      for (const [w, i] of wordIndex) indexWord.set(i, w);
    }
    this.indexWord = indexWord;
  }

  /** Keras' `num_words` (null when unlimited). */
  get numWords(): number | null {
    return this.options.numWords;
  }

  /**
   * The number of classes an output over this vocabulary has: `num_words` when set, else the
   * largest id + 1 (id 0 is padding).
   */
  get vocabularySize(): number {
    if (this.options.numWords) return this.options.numWords;
    let max = 0;
    for (const i of this.wordIndex.values()) if (i > max) max = i;
    return max + 1;
  }

  /** The tokens of one text before lookup (Keras' split, or its characters when `char_level`). */
  tokens(text: string): string[] {
    const o = this.options;
    if (typeof text !== 'string') throw new InputError('texts must be strings', { field: 'texts', value: typeof text });
    // char_level: only lowercased, filters are NOT applied (Keras' texts_to_sequences_generator)
    if (o.charLevel) return Array.from(o.lower ? text.toLowerCase() : text);
    return textToWordSequence(text, { filters: o.filters, lower: o.lower, split: o.split });
  }

  /** Keras' `texts_to_sequences`: unknown words and ids >= num_words become the OOV id or are dropped. */
  textsToSequences(texts: readonly string[]): number[][] {
    if (!Array.isArray(texts)) throw new InputError('textsToSequences takes an array of strings', { field: 'texts', value: typeof texts });
    const { numWords, oovToken } = this.options;
    const oov = oovToken === null ? undefined : this.wordIndex.get(oovToken);
    return texts.map((text) => {
      const ids: number[] = [];
      for (const w of this.tokens(text)) {
        const i = this.wordIndex.get(w);
        if (i !== undefined) {
          if (numWords && i >= numWords) {
            if (oov !== undefined) ids.push(oov);
          } else ids.push(i);
        } else if (oov !== undefined) ids.push(oov);
      }
      return ids;
    });
  }

  /**
   * Keras' `sequences_to_texts`: words joined by one space (also for char-level tokenizers, as
   * Keras does); unknown ids and ids >= num_words become the OOV token or are dropped.
   */
  sequencesToTexts(sequences: readonly (readonly number[] | ArrayLike<number>)[]): string[] {
    const { numWords, oovToken } = this.options;
    const oovId = oovToken === null ? undefined : this.wordIndex.get(oovToken);
    const oovWord = oovId === undefined ? undefined : this.indexWord.get(oovId);
    return sequences.map((seq) => {
      const words: string[] = [];
      for (const n of Array.from(seq)) {
        const w = this.indexWord.get(n);
        if (w !== undefined) {
          if (numWords && n >= numWords) {
            if (oovWord !== undefined) words.push(oovWord);
          } else words.push(w);
        } else if (oovWord !== undefined) words.push(oovWord);
      }
      return words.join(' ');
    });
  }
}

const SOURCE = 'tokenizer';

function bad(message: string, field: string, value?: unknown): never {
  throw new InvalidKerasConfigurationError(message, { file: SOURCE, field, ...(value === undefined ? {} : { value }) });
}

/** Keras stores word_index etc. as JSON text inside the config; hand-made files hold objects. */
function nested(config: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  let obj: unknown = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch {
      bad(`${key} is not JSON`, key, v);
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) bad(`${key} must be a JSON object`, key, obj);
  return obj as Record<string, unknown>;
}

function wordIndexOf(obj: Record<string, unknown>, field: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const [w, i] of Object.entries(obj)) {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0) bad('word_index values must be integer ids >= 0', `${field}.${w}`, i);
    m.set(w, i);
  }
  return m;
}

function optionsOf(config: Record<string, unknown>): TokenizerOptions {
  const str = (k: string, d: string): string => {
    const v = config[k];
    if (v === undefined) return d;
    if (typeof v !== 'string') bad(`${k} must be a string`, k, v);
    return v;
  };
  const bool = (k: string, d: boolean): boolean => {
    const v = config[k];
    if (v === undefined) return d;
    if (typeof v !== 'boolean') bad(`${k} must be true or false`, k, v);
    return v;
  };
  const numWords = config.num_words ?? null;
  if (numWords !== null && (typeof numWords !== 'number' || !Number.isInteger(numWords) || numWords < 0)) bad('num_words must be an integer or null', 'num_words', numWords);
  const oov = config.oov_token ?? null;
  if (oov !== null && typeof oov !== 'string') bad('oov_token must be a string or null', 'oov_token', oov);
  const split = str('split', ' ');
  const charLevel = bool('char_level', false);
  if (split === '' && !charLevel) bad('split must not be empty', 'split', split);
  return { numWords: numWords as number | null, filters: str('filters', KERAS_TOKENIZER_FILTERS), lower: bool('lower', true), split, charLevel, oovToken: oov as string | null };
}

/**
 * Restores a `keras.preprocessing.text.Tokenizer` from what repositories ship: the text of
 * `tokenizer.to_json()`, that text saved again as a JSON string (`json.dump(tok.to_json(), f)`),
 * the parsed object, or a bare `word_index` object (`{"the": 1, ...}`; Keras' default options).
 * Like Keras' `tokenizer_from_json`, only the vocabulary and the options matter; counts are ignored.
 */
export function loadTokenizer(jsonTextOrObject: string | Record<string, unknown>): KerasTokenizer {
  let value: unknown = jsonTextOrObject;
  // Up to two levels of JSON text: the file's text, and to_json()'s text saved as a JSON string.
  for (let depth = 0; typeof value === 'string'; depth++) {
    if (depth === 2) bad('the tokenizer JSON is a string nested too deep', 'json');
    try {
      value = JSON.parse(value);
    } catch (e) {
      bad(`not JSON (${(e as Error).message})`, 'json', (jsonTextOrObject as string).slice(0, 60));
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) bad('a tokenizer JSON must be an object', 'json', value);
  const root = value as Record<string, unknown>;
  if ('config' in root || 'class_name' in root) {
    if (root.class_name !== undefined && root.class_name !== 'Tokenizer') {
      bad('only keras.preprocessing.text.Tokenizer JSON is supported', 'class_name', root.class_name);
    }
    const config = root.config;
    if (!config || typeof config !== 'object' || Array.isArray(config)) bad('config must be an object', 'config', config);
    const cfg = config as Record<string, unknown>;
    const wi = nested(cfg, 'word_index');
    if (!wi) bad('the tokenizer config has no word_index', 'config.word_index');
    const wordIndex = wordIndexOf(wi, 'word_index');
    const iw = nested(cfg, 'index_word');
    let indexWord: Map<number, string> | undefined;
    if (iw) {
      indexWord = new Map();
      for (const [k, w] of Object.entries(iw)) {
        // json.dumps turned the integer keys into strings; tokenizer_from_json turns them back
        const n = Number(k);
        if (!Number.isInteger(n) || typeof w !== 'string') bad('index_word must map integer ids to words', `index_word.${k}`, w);
        indexWord.set(n, w);
      }
    }
    return new KerasTokenizer(wordIndex, optionsOf(cfg), indexWord);
  }
  return new KerasTokenizer(wordIndexOf(root, 'word_index'), optionsOf({}));
}
