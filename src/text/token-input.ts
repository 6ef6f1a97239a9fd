import { InputError } from '../errors.js';
import type { Shape } from '../layers/types.js';
import type { TensorData } from '../types/tensor.js';

/**
 * How token ids become a model input: `ids` for a `(batch, steps)` input (an Embedding's), or
 * `one-hot` rows for a `(batch, steps, depth)` input (the Keras char-RNN tutorials).
 */
export type TokenEncoding = { kind: 'ids' } | { kind: 'one-hot'; depth: number };

/**
 * The encoding a model input expects: ids for `(batch, steps)`; one-hot for `(batch, steps, C)`
 * when `C` equals `classes` (the vocabulary the ids come from, e.g. the output's classes).
 */
export function tokenEncoding(inputShape: Shape, classes: number | undefined, what: { file: string; input: string }): TokenEncoding {
  if (inputShape.length === 2) return { kind: 'ids' };
  const depth = inputShape[2];
  if (inputShape.length === 3 && typeof depth === 'number' && (classes === undefined || depth === classes)) return { kind: 'one-hot', depth };
  throw new InputError(
    `token ids cannot be fed to input ${JSON.stringify(what.input)} of shape ${JSON.stringify(inputShape)}: it takes ids as (batch, steps), or one-hot rows (batch, steps, ${classes ?? 'classes'})`,
    { file: what.file, field: what.input, value: inputShape },
  );
}

/** Fixed input length of a `(batch, steps, ...)` input, or null. */
export function fixedSteps(inputShape: Shape): number | null {
  const t = inputShape[1];
  return typeof t === 'number' ? t : null;
}

/**
 * Rows of equal length (`pad` leading slots each) as the model input: ids as floats, one-hot rows,
 * padding slots as id 0 or all-zero rows (what `pad_sequences` / a zero-filled window give).
 */
export function encodeTokens(enc: TokenEncoding, rows: readonly (readonly number[])[], steps: number, field = 'tokens'): TensorData {
  const batch = rows.length;
  const depth = enc.kind === 'one-hot' ? enc.depth : 1;
  const data = new Float32Array(batch * steps * depth);
  rows.forEach((r, b) => {
    const pad = steps - r.length;
    if (pad < 0) throw new InputError(`a row holds ${r.length} tokens, the input takes ${steps}`, { field, value: r.length });
    r.forEach((t, j) => {
      if (!Number.isInteger(t) || t < 0 || t >= (enc.kind === 'one-hot' ? depth : 2 ** 24)) {
        throw new InputError(enc.kind === 'one-hot' ? `token ids must be integers in [0, ${depth})` : 'token ids must be integers >= 0', { field, value: t });
      }
      const at = b * steps + pad + j;
      if (enc.kind === 'one-hot') data[at * depth + t] = 1;
      else data[at] = t;
    });
  });
  return { data, shape: enc.kind === 'one-hot' ? [batch, steps, depth] : [batch, steps] };
}
