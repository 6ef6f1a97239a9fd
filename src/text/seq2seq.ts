import { InputError } from '../errors.js';
import type { Model } from '../api/model.js';
import type { TensorData } from '../types/tensor.js';
import { encodeTokens, fixedSteps, tokenEncoding } from './token-input.js';
import { promptIds, stopIds } from './generate.js';
import { tokenCodec, type TextSource } from './vocabulary.js';

/** Options of {@link decodeSequence}. */
export interface DecodeSequenceOptions {
  /** The source sequence: token ids, or text with `source` set. */
  input: string | readonly number[];
  /** Tokenizer / vocabulary of the source (for a text input). */
  source?: TextSource;
  /** Tokenizer / vocabulary of the target (for text start/stop tokens and the result's text). */
  target?: TextSource;
  /** The token that starts decoding (the tutorial's '\t'): id or target token. */
  start: number | string;
  /** The token that ends it (the tutorial's '\n'): id or target token; not part of the result. */
  stop: number | string;
  /** At most this many target tokens. */
  maxLength: number;
  /** 1 (default): greedy. More: beam search with this many beams. */
  beamWidth?: number;
}

/** What {@link decodeSequence} returns. */
export interface DecodeSequenceResult {
  /** Target token ids (start and stop tokens excluded). */
  ids: number[];
  /** Their text, when the target tokenizer / vocabulary is known. */
  text?: string;
  /** Sum of the natural-log probabilities of the chosen tokens (the stop token included). */
  score: number;
}

interface Beam {
  score: number;
  ids: number[];
  last: number;
  states: Float32Array[];
}

/** Rows `rows` of a (batch, n) tensor. */
function pickRows(t: TensorData, rows: number[]): TensorData {
  const n = t.data.length / t.shape[0];
  const data = new Float32Array(rows.length * n);
  rows.forEach((r, i) => data.set(t.data.subarray(r * n, (r + 1) * n), i * n));
  return { data, shape: [rows.length, ...t.shape.slice(1)] };
}

/**
 * Decodes with a seq2seq inference pair built as in the Keras tutorial: the encoder maps the
 * source to its states (its outputs, e.g. `[state_h, state_c]`); the decoder takes
 * `[target token, ...states]` and returns `[probabilities, ...new states]`. Greedy decoding takes
 * the argmax (lowest id on ties) until the stop token or `maxLength`; beam search keeps the
 * `beamWidth` best partial sequences by summed log probability (docs/text.md gives the exact rules).
 */
export function decodeSequence(encoder: Model, decoder: Model, options: DecodeSequenceOptions): DecodeSequenceResult {
  const ctx = (m: Model, field: string, value?: unknown) => ({ file: m.fileName, field, ...(value === undefined ? {} : { value }) });
  if (!options || typeof options !== 'object') throw new InputError('decodeSequence takes (encoder, decoder, { input, start, stop, maxLength })', { field: 'options' });
  const { maxLength } = options;
  const width = options.beamWidth ?? 1;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new InputError('maxLength must be an integer >= 1', { field: 'maxLength', value: maxLength });
  if (!Number.isInteger(width) || width < 1) throw new InputError('beamWidth must be an integer >= 1', { field: 'beamWidth', value: width });
  if (encoder.inputs.length !== 1) throw new InputError(`the encoder must take one input (the source), it takes ${encoder.inputs.length}`, ctx(encoder, 'inputs'));
  const nStates = encoder.outputs.length;
  if (decoder.inputs.length !== 1 + nStates || decoder.outputs.length !== 1 + nStates) {
    throw new InputError(
      `the decoder must take [token, ...${nStates} encoder states] and return [probabilities, ...${nStates} states]; it has ${decoder.inputs.length} inputs and ${decoder.outputs.length} outputs`,
      ctx(decoder, 'inputs'),
    );
  }
  const probShape = decoder.outputs[0].shape;
  const classes = probShape[probShape.length - 1];
  if (typeof classes !== 'number') throw new InputError('the decoder\'s first output must end in a fixed number of classes', ctx(decoder, decoder.outputs[0].name, probShape));
  const srcCodec = tokenCodec(options.source ?? {}, 'source');
  const tgtCodec = tokenCodec(options.target ?? {}, 'target');
  const src = promptIds(options.input, srcCodec, 'input');
  if (src.length === 0) throw new InputError('the source sequence is empty', { field: 'input' });
  const [start] = stopIds(options.start, tgtCodec, 'start');
  const [stop] = stopIds(options.stop, tgtCodec, 'stop');
  const encIn = encoder.inputs[0];
  const encEnc = tokenEncoding(encIn.shape, undefined, { file: encoder.fileName, input: encIn.name });
  const srcSteps = fixedSteps(encIn.shape);
  if (srcSteps !== null && src.length > srcSteps) throw new InputError(`the source holds ${src.length} tokens, the encoder takes ${srcSteps}`, ctx(encoder, encIn.name, src.length));
  // A fixed-length encoder was trained on post-padded sources (zero rows / id 0 after the text).
  const srcTensor = encodeTokens(encEnc, [src], src.length, 'input');
  const x = srcSteps !== null && srcSteps > src.length ? postPad(srcTensor, srcSteps) : srcTensor;
  const enc = encoder.predict(x);
  const states0 = (Array.isArray(enc) ? enc : [enc]).map((t) => t.data.slice());
  const decIn = decoder.inputs[0];
  const decEnc = tokenEncoding(decIn.shape, classes, { file: decoder.fileName, input: decIn.name });

  let beams: Beam[] = [{ score: 0, ids: [], last: start, states: states0 }];
  const finished: { score: number; ids: number[] }[] = [];
  while (beams.length > 0) {
    const feeds = [
      encodeTokens(decEnc, beams.map((b) => [b.last]), 1, 'start'),
      ...states0.map((s0, k) => {
        const n = s0.length;
        const data = new Float32Array(beams.length * n);
        beams.forEach((b, i) => data.set(b.states[k], i * n));
        return { data, shape: [beams.length, n] };
      }),
    ];
    const out = decoder.predict(feeds) as TensorData[];
    const probs = out[0];
    const cands: { score: number; beam: number; token: number }[] = [];
    beams.forEach((b, i) => {
      const row = probs.data.subarray((i + 1) * (probs.data.length / beams.length) - classes, (i + 1) * (probs.data.length / beams.length));
      for (let t = 0; t < classes; t++) cands.push({ score: b.score + Math.log(row[t]), beam: i, token: t });
    });
    // Greedy is beam search of width 1: the argmax, lowest id on ties.
    cands.sort((a, b) => b.score - a.score || a.beam - b.beam || a.token - b.token);
    const next: Beam[] = [];
    for (const c of cands.slice(0, width - finished.length)) {
      const b = beams[c.beam];
      const ids = [...b.ids, c.token];
      if (c.token === stop) finished.push({ score: c.score, ids: b.ids });
      else if (ids.length >= maxLength) finished.push({ score: c.score, ids });
      else next.push({ score: c.score, ids, last: c.token, states: out.slice(1).map((s) => pickRows(s, [c.beam]).data) });
    }
    beams = next;
  }
  finished.sort((a, b) => b.score - a.score);
  const best = finished[0];
  return { ids: best.ids, ...(tgtCodec ? { text: tgtCodec.decode(best.ids) } : {}), score: best.score };
}

function postPad(t: TensorData, steps: number): TensorData {
  const per = t.data.length / t.shape[1];
  const data = new Float32Array(steps * per);
  data.set(t.data);
  return { data, shape: [1, steps, ...t.shape.slice(2)] };
}
