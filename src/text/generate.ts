import { InputError } from '../errors.js';
import type { Model } from '../api/model.js';
import type { TensorData } from '../types/tensor.js';
import { Xoshiro128 } from './prng.js';
import { checkSampling, pickToken, type SamplingOptions } from './sampling.js';
import { encodeTokens, fixedSteps, tokenEncoding, type TokenEncoding } from './token-input.js';
import { tokenCodec, type TextSource, type TokenCodec } from './vocabulary.js';

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions, TextSource {
  /** Token ids, or text (needs `tokenizer` or `vocabulary`). */
  prompt: string | readonly number[];
  /** Tokens to generate at most. */
  steps: number;
  /**
   * Seed of the sampling generator (integer in [0, 2^53)); the same seed gives the same tokens on
   * every platform. Without one a random seed is drawn and returned in the result.
   */
  seed?: number;
  /** Stop after any of these tokens (ids, or tokens of the vocabulary); the stop token is not returned. */
  stop?: number | string | readonly (number | string)[];
  /**
   * `window`: the Keras tutorial loop - the last `window` tokens (pre-padded) are predicted whole
   * at every step. `stream`: the prompt once, then one token per step with the recurrent state
   * carried. Default: `stream` when the output has a time axis (a per-step model), else `window`.
   */
  mode?: 'window' | 'stream';
  /** Window length when the model input's length is not fixed (default: the whole sequence so far). */
  window?: number;
}

/** What {@link generate} returns. */
export interface GenerateResult {
  /** The generated token ids (without the prompt). */
  ids: number[];
  /** The generated text, when a tokenizer or vocabulary is known. */
  text?: string;
  /** The prompt's token ids. */
  promptIds: number[];
  /** The seed used (pass it again to reproduce the run). */
  seed: number;
  /** The mode used. */
  mode: 'window' | 'stream';
  /** Why generation ended. */
  stoppedBy: 'steps' | 'stop';
}

function randomSeed(): number {
  const a = new Uint32Array(2);
  globalThis.crypto.getRandomValues(a);
  return (a[0] & 0x1fffff) * 4294967296 + a[1];
}

/** Resolves stop tokens to ids. */
export function stopIds(stop: GenerateOptions['stop'], codec: TokenCodec | undefined, field = 'stop'): Set<number> {
  const out = new Set<number>();
  if (stop === undefined) return out;
  for (const s of Array.isArray(stop) ? stop : [stop]) {
    if (typeof s === 'number' && Number.isInteger(s) && s >= 0) out.add(s);
    else if (typeof s === 'string') {
      const id = codec?.id(s);
      if (id === undefined) throw new InputError(codec ? 'the stop token is not in the vocabulary' : 'a text stop token needs a tokenizer or vocabulary', { field, value: s });
      out.add(id);
    } else throw new InputError('stop tokens are ids (integers >= 0) or tokens', { field, value: s });
  }
  return out;
}

/** Token ids of a prompt given as ids or text. */
export function promptIds(prompt: unknown, codec: TokenCodec | undefined, field = 'prompt'): number[] {
  if (typeof prompt === 'string') {
    if (!codec) throw new InputError('a text prompt needs a tokenizer or vocabulary (or give token ids)', { field, value: prompt.slice(0, 40) });
    return codec.encode(prompt);
  }
  if (!Array.isArray(prompt) || !prompt.every((t) => Number.isInteger(t) && t >= 0)) {
    throw new InputError('the prompt must be text or a list of token ids (integers >= 0)', { field, value: prompt });
  }
  return prompt.slice();
}

/** The (batch 1) output row at the last step: (1, classes) or the last step of (1, steps, classes). */
function lastRow(y: TensorData | TensorData[]): Float32Array {
  const t = Array.isArray(y) ? y[0] : y;
  const classes = t.shape[t.shape.length - 1];
  return t.data.subarray(t.data.length - classes);
}

/**
 * Generates tokens from a recurrent language model (a char-RNN, a word-level generator): encodes
 * the prompt as the model input expects (ids for a `(batch, steps)` input, one-hot rows when the
 * input's last axis equals the output's classes), predicts, picks the next token
 * ({@link SamplingOptions}: greedy at temperature 0, else seeded sampling), and repeats.
 */
export function generate(model: Model, options: GenerateOptions): GenerateResult {
  if (!options || typeof options !== 'object') throw new InputError('generate takes (model, { prompt, steps, ... })', { field: 'options' });
  const { steps } = options;
  if (!Number.isInteger(steps) || steps < 0) throw new InputError('steps must be an integer >= 0', { field: 'steps', value: steps });
  checkSampling(options);
  if (model.inputs.length !== 1) {
    throw new InputError(`generate needs a model with one input, this one has ${model.inputs.length} (for encoder/decoder pairs use decodeSequence)`, { file: model.fileName, field: 'inputs' });
  }
  const outShape = model.outputs[0].shape;
  const classes = outShape[outShape.length - 1];
  if (typeof classes !== 'number' || outShape.length < 2 || outShape.length > 3) {
    throw new InputError(`generate needs an output of (batch, classes) or (batch, steps, classes), this model's is ${JSON.stringify(outShape)}`, { file: model.fileName, field: model.outputs[0].name });
  }
  const input = model.inputs[0];
  const enc: TokenEncoding = tokenEncoding(input.shape, classes, { file: model.fileName, input: input.name });
  const codec = tokenCodec(options);
  const prompt = promptIds(options.prompt, codec);
  const stops = stopIds(options.stop, codec);
  const seed = options.seed ?? randomSeed();
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError('seed must be an integer in [0, 2^53)', { field: 'seed', value: seed });
  const rng = new Xoshiro128(seed);
  const mode = options.mode ?? (outShape.length === 3 ? 'stream' : 'window');
  if (mode !== 'window' && mode !== 'stream') throw new InputError('mode must be "window" or "stream"', { field: 'mode', value: mode });
  const fixed = fixedSteps(input.shape);
  if (options.window !== undefined && (!Number.isInteger(options.window) || options.window < 1)) {
    throw new InputError('window must be an integer >= 1', { field: 'window', value: options.window });
  }
  if (fixed !== null && options.window !== undefined && options.window !== fixed) {
    throw new InputError(`the model input has a fixed length of ${fixed} steps`, { file: model.fileName, field: 'window', value: options.window });
  }
  const window = fixed ?? options.window ?? null;
  const ids: number[] = [];
  let stoppedBy: GenerateResult['stoppedBy'] = 'steps';
  const seq = prompt.slice();
  if (mode === 'stream') {
    if (prompt.length === 0) throw new InputError('stream mode needs a prompt of at least one token', { field: 'prompt' });
    const stream = model.stream();
    let row = lastRow(stream.step(encodeTokens(enc, [prompt], prompt.length, 'prompt')));
    for (let s = 0; s < steps; s++) {
      const t = pickToken(row, options, rng);
      if (stops.has(t)) {
        stoppedBy = 'stop';
        break;
      }
      ids.push(t);
      if (s + 1 < steps) row = lastRow(stream.step(encodeTokens(enc, [[t]], 1)));
    }
    stream.reset();
  } else {
    for (let s = 0; s < steps; s++) {
      const w = window === null ? seq : seq.slice(Math.max(0, seq.length - window));
      const len = window ?? Math.max(1, w.length);
      const t = pickToken(lastRow(model.predict(encodeTokens(enc, [w], len, 'prompt'))), options, rng);
      if (stops.has(t)) {
        stoppedBy = 'stop';
        break;
      }
      ids.push(t);
      seq.push(t);
    }
  }
  return { ids, ...(codec ? { text: codec.decode(ids) } : {}), promptIds: prompt, seed, mode, stoppedBy };
}
