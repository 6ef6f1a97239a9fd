/**
 * `kerasrnn predict <model> --tokenizer tokenizer.json --text "..."`: the texts become the model
 * input through the Keras tokenizer, padded (pre / pre, as Keras' pad_sequences) to the input's
 * fixed length or else to the longest text.
 */
import { readFile } from 'node:fs/promises';
import { loadTokenizer, padSequences, tokenEncoding, encodeTokens, type KerasTokenizer, type Model } from '../index.js';
import { CliError, fileError } from './errors.js';
import type { InputSource } from './inputs.js';

/** Reads and parses a Keras Tokenizer JSON file. */
export async function readTokenizer(file: string): Promise<KerasTokenizer> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(err, file, 'read');
  }
  return loadTokenizer(text);
}

/** The texts as the model's single input: token ids, or one-hot rows over the tokenizer's vocabulary. */
export function textInput(model: Model, tokenizer: KerasTokenizer, texts: string[]): InputSource {
  if (model.inputs.length !== 1) {
    throw new CliError(`--text feeds one input, the model has ${model.inputs.length}`, 'give one --input file per model input instead');
  }
  const input = model.inputs[0];
  const enc = tokenEncoding(input.shape, tokenizer.vocabularySize, { file: model.fileName, input: input.name });
  const seqs = tokenizer.textsToSequences(texts);
  const fixed = input.shape[1];
  const padded = padSequences(seqs, typeof fixed === 'number' ? { maxlen: fixed } : {});
  const [rows, steps] = padded.shape;
  if (steps === 0) throw new CliError('no text holds a word the tokenizer knows', 'check the tokenizer file matches the model');
  const ids = Array.from({ length: rows }, (_, r) => Array.from(padded.data.subarray(r * steps, (r + 1) * steps)));
  const tensor = enc.kind === 'ids' ? padded : encodeTokens(enc, ids, steps);
  const sampleShape = tensor.shape.slice(1);
  const per = sampleShape.reduce((a, b) => a * b, 1);
  let at = 0;
  return {
    file: '--text',
    rows,
    sampleShape,
    async next(count) {
      const out = tensor.data.slice(at * per, (at + count) * per);
      at += count;
      return out;
    },
    close: async () => {},
  };
}

/** Texts for a model whose input takes strings (a TextVectorization / StringLookup inside it). */
export function stringInput(model: Model, texts: string[]): InputSource {
  if (model.inputs.length !== 1 || model.inputs[0].dtype !== 'string') {
    throw new CliError('--text needs --tokenizer: this model takes numbers, not texts', 'pass the Keras Tokenizer JSON: --tokenizer tokenizer.json');
  }
  let at = 0;
  return {
    file: '--text',
    rows: texts.length,
    sampleShape: [],
    async next(count) {
      const out = texts.slice(at, at + count);
      at += count;
      return out;
    },
    close: async () => {},
  };
}
