import { InputError } from '../errors.js';
import type { Shape } from '../layers/types.js';
import type { TensorInput } from '../types/tensor.js';

/**
 * Input data must be numbers: a numeric typed array (converted to float32 like NumPy's astype)
 * or an array of numbers. BigInt arrays, strings and other objects are refused rather than turned
 * into NaN or a TypeError.
 */
export function checkNumericData(data: unknown, ctx: { file?: string; field?: string }): void {
  if (ArrayBuffer.isView(data)) {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array || data instanceof DataView) {
      throw new InputError(`data must hold numbers, got a ${data.constructor.name} (convert it to a Float32Array)`, { ...ctx, value: data.constructor.name });
    }
    return;
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      if (typeof data[i] !== 'number') {
        throw new InputError(`data must hold numbers, got ${typeof data[i]} at index ${i}`, { ...ctx, value: data[i] });
      }
    }
    return;
  }
  throw new InputError('data must be a Float32Array (or another numeric typed array, or an array of numbers)', {
    ...ctx,
    value: (data as object)?.constructor?.name ?? typeof data,
  });
}

/** Checks one predict / stream input against the model input's shape; returns its concrete shape. */
export function validateInput(t: TensorInput, expected: Shape, name: string, file: string): number[] {
  const ctx = { file, field: name };
  if (!t || typeof t !== 'object' || !('data' in t) || !('shape' in t)) {
    throw new InputError('an input must be { data, shape }', { ...ctx, value: t === null ? 'null' : typeof t });
  }
  if (!Array.isArray(t.shape)) {
    throw new InputError(`shape must be an array of dimensions, batch first (e.g. ${JSON.stringify(expected.map((d) => d ?? 1))})`, { ...ctx, field: `${name}.shape`, value: t.shape });
  }
  const shape = t.shape;
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new InputError('shape must hold non-negative integers', { ...ctx, value: shape });
  if (shape.length !== expected.length) {
    throw new InputError(`expected a rank-${expected.length} input ${JSON.stringify(expected)}, got shape ${JSON.stringify(shape)}`, { ...ctx, value: shape });
  }
  expected.forEach((d, i) => {
    if (d !== null && i > 0 && shape[i] !== d) {
      throw new InputError(`dimension ${i} must be ${d} (model input ${JSON.stringify(expected)}), got ${shape[i]}`, { ...ctx, value: shape });
    }
  });
  if (shape[0] === 0) throw new InputError('the batch is empty', { ...ctx, value: shape });
  const n = shape.reduce((a, b) => a * b, 1);
  const data = t.data as ArrayLike<number>;
  if (!data || typeof data.length !== 'number' || data.length !== n) {
    throw new InputError(`data has ${data?.length} values, shape ${JSON.stringify(shape)} needs ${n}`, { ...ctx, value: data?.length });
  }
  checkNumericData(data, ctx);
  return shape;
}
