import { InputError } from '../errors.js';

/** Options of {@link padSequences}, with Keras' names and defaults. */
export interface PadSequencesOptions {
  /** Row length; default the longest sequence. */
  maxlen?: number;
  /** Where padding goes: `'pre'` (Keras' default) or `'post'`. */
  padding?: 'pre' | 'post';
  /** Which end of a too-long sequence is dropped: `'pre'` (Keras' default) or `'post'`. */
  truncating?: 'pre' | 'post';
  /** The padding value (default 0). */
  value?: number;
}

/**
 * Keras' `pad_sequences`: a `(sequences, maxlen)` tensor ready for `predict`. Too-long sequences
 * lose their start (`truncating: 'pre'`) or end; short ones are padded before (`padding: 'pre'`)
 * or after. Values are kept as given (float32), so ids below 2^24 stay exact.
 */
export function padSequences(
  sequences: readonly (readonly number[] | ArrayLike<number>)[],
  options: PadSequencesOptions = {},
): { data: Float32Array; shape: [number, number] } {
  if (!Array.isArray(sequences)) throw new InputError('padSequences takes an array of sequences', { field: 'sequences', value: typeof sequences });
  const padding = options.padding ?? 'pre';
  const truncating = options.truncating ?? 'pre';
  const value = options.value ?? 0;
  if (padding !== 'pre' && padding !== 'post') throw new InputError('padding must be "pre" or "post"', { field: 'padding', value: padding });
  if (truncating !== 'pre' && truncating !== 'post') throw new InputError('truncating must be "pre" or "post"', { field: 'truncating', value: truncating });
  if (typeof value !== 'number' || Number.isNaN(value)) throw new InputError('value must be a number', { field: 'value', value });
  const rows = sequences.map((s, i) => {
    if (!s || typeof (s as ArrayLike<number>).length !== 'number') throw new InputError('each sequence must be an array of numbers', { field: `sequences[${i}]`, value: s });
    return Array.from(s as ArrayLike<number>);
  });
  const maxlen = options.maxlen ?? rows.reduce((m, r) => Math.max(m, r.length), 0);
  if (!Number.isInteger(maxlen) || maxlen < 0) throw new InputError('maxlen must be an integer >= 0', { field: 'maxlen', value: maxlen });
  const data = new Float32Array(rows.length * maxlen).fill(value);
  rows.forEach((r, i) => {
    const kept = r.length <= maxlen ? r : truncating === 'pre' ? r.slice(r.length - maxlen) : r.slice(0, maxlen);
    const at = i * maxlen + (padding === 'pre' ? maxlen - kept.length : 0);
    for (let j = 0; j < kept.length; j++) {
      const v = kept[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError('sequence values must be finite numbers', { field: `sequences[${i}][${j}]`, value: v });
      data[at + j] = v;
    }
  });
  return { data, shape: [rows.length, maxlen] };
}
