import { InputError } from '../errors.js';
import type { KerasTokenizer } from './keras-tokenizer.js';

/** Turns text into token ids and back, for prompts and generated text. */
export interface TokenCodec {
  /** Ids of a text; throws naming a token the vocabulary lacks (tokenizers map it as Keras does). */
  encode(text: string): number[];
  /** Text of ids (unknown ids and the padding id 0 of a tokenizer are left out). */
  decode(ids: readonly number[]): string;
  /** Id of one token (e.g. a start or stop token), or undefined. */
  id(token: string): number | undefined;
}

/**
 * A vocabulary as the Keras examples keep it: `id -> token` (a list, e.g. `chars`) or
 * `token -> id` (an object, e.g. `char_indices`).
 */
export type Vocabulary = readonly string[] | Readonly<Record<string, number>>;

/** Where text comes from: a Keras tokenizer or a vocabulary; `level` for a vocabulary ('char' when every token is one character). */
export interface TextSource {
  tokenizer?: KerasTokenizer;
  vocabulary?: Vocabulary;
  level?: 'char' | 'word';
}

/** The codec of a tokenizer or vocabulary, or undefined when neither is given. */
export function tokenCodec(src: TextSource, field = 'vocabulary'): TokenCodec | undefined {
  if (src.tokenizer) {
    const tok = src.tokenizer;
    const char = tok.options.charLevel;
    return {
      encode: (text) => tok.textsToSequences([text])[0],
      decode: (ids) => {
        const words: string[] = [];
        for (const i of ids) {
          const w = tok.indexWord.get(i);
          if (w !== undefined) words.push(w);
        }
        return words.join(char ? '' : ' ');
      },
      id: (token) => tok.wordIndex.get(token),
    };
  }
  const v = src.vocabulary;
  if (v === undefined) return undefined;
  const toId = new Map<string, number>();
  const toToken = new Map<number, string>();
  if (Array.isArray(v)) {
    v.forEach((t, i) => {
      if (typeof t !== 'string') throw new InputError('vocabulary entries must be strings', { field: `${field}[${i}]`, value: t });
      if (!toId.has(t)) toId.set(t, i);
      toToken.set(i, t);
    });
  } else if (v && typeof v === 'object') {
    for (const [t, i] of Object.entries(v)) {
      if (!Number.isInteger(i) || (i as number) < 0) throw new InputError('vocabulary ids must be integers >= 0', { field: `${field}.${t}`, value: i });
      toId.set(t, i as number);
      toToken.set(i as number, t);
    }
  } else {
    throw new InputError('vocabulary must be a list of tokens or an object token -> id', { field, value: typeof v });
  }
  const char = (src.level ?? ([...toId.keys()].every((t) => Array.from(t).length === 1) ? 'char' : 'word')) === 'char';
  return {
    encode: (text) =>
      (char ? Array.from(text) : text.split(/\s+/).filter((w) => w.length > 0)).map((t) => {
        const i = toId.get(t);
        if (i === undefined) throw new InputError(`the vocabulary has no token ${JSON.stringify(t)}`, { field, value: t });
        return i;
      }),
    decode: (ids) =>
      ids
        .map((i) => toToken.get(i))
        .filter((t): t is string => t !== undefined)
        .join(char ? '' : ' '),
    id: (token) => toId.get(token),
  };
}
