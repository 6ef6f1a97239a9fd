// Element-wise math on f32 tensors that is not an activation (activations.ts holds those):
// logical not, negation, abs, sqrt, square, rounding, sign, cast to bool, casts to integer types,
// and the conversion of a 0 / 1 tensor into a u8 time-step mask. out may alias x.
import {
  UN_NOT, UN_BOOL, UN_NEG, UN_ABS, UN_SQRT, UN_SQUARE, UN_ROUND, UN_FLOOR, UN_CEIL, UN_SIGN,
  INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64,
} from './tensor-op-codes';

/** out[i] = f(x[i]) for an UN_* code. */
export function unaryMathF32(x: usize, out: usize, n: i32, op: i32): void {
  const end = <usize>n << 2;
  for (let i: usize = 0; i < end; i += 4) {
    const v = load<f32>(x + i);
    let r: f32;
    switch (op) {
      case UN_NOT: r = v == 0 ? 1.0 : 0.0; break;
      case UN_BOOL: r = v != 0 ? 1.0 : 0.0; break;
      case UN_NEG: r = -v; break;
      case UN_ABS: r = abs<f32>(v); break;
      case UN_SQRT: r = sqrt<f32>(v); break;
      case UN_SQUARE: r = v * v; break;
      case UN_ROUND: r = nearest<f32>(v); break; // half to even, as numpy.round and tf.round
      case UN_FLOOR: r = floor<f32>(v); break;
      case UN_CEIL: r = ceil<f32>(v); break;
      case UN_SIGN: r = v > 0 ? 1.0 : v < 0 ? -1.0 : v; break;
      default: r = NaN;
    }
    store<f32>(out + i, r);
  }
}

/** x86's truncating f32 -> i32 conversion (cvttss2si): NaN and out-of-range values give INT32_MIN. */
@inline
function truncI32(v: f32): i32 {
  return v != v || v >= 2147483648.0 || v < -2147483648.0 ? i32.MIN_VALUE : <i32>v;
}

/** The 64-bit form (cvttss2si with a 64-bit destination): NaN and out-of-range give INT64_MIN. */
@inline
function truncI64(v: f32): i64 {
  return v != v || v >= 9223372036854775808.0 || v < -9223372036854775808.0 ? i64.MIN_VALUE : <i64>v;
}

/**
 * out[i] = x[i] cast to the integer type `to` (INT8 ... UINT64), kept as f32. A float -> integer
 * cast is undefined in C for NaN and out-of-range values; TensorFlow's CPU kernels (and NumPy)
 * compile it to x86's truncating conversion, and that is the rule here, so a file gives the same
 * numbers as TF on the machines models are trained on: truncate toward zero; int32 / int64 take
 * the type's minimum for NaN, +-inf and out-of-range values; narrower types keep the low bits of
 * the 32-bit conversion (int8(300.7) = 44, NaN -> 0); uint32 keeps the low 32 bits of the 64-bit
 * conversion. uint64 of a negative value wraps modulo 2^64.
 */
export function castToIntegerF32(x: usize, out: usize, n: i32, to: i32): void {
  const end = <usize>n << 2;
  for (let i: usize = 0; i < end; i += 4) {
    const v = load<f32>(x + i);
    let r: f32;
    switch (to) {
      case INT8: r = <f32><i8>truncI32(v); break;
      case UINT8: r = <f32><u8>truncI32(v); break;
      case INT16: r = <f32><i16>truncI32(v); break;
      case UINT16: r = <f32><u16>truncI32(v); break;
      case INT32: r = <f32>truncI32(v); break;
      case UINT32: r = <f32><u32>truncI64(v); break;
      case INT64: r = <f32>truncI64(v); break;
      case UINT64: r = v >= 9223372036854775808.0 && v < 18446744073709551616.0 ? <f32><u64>v : <f32><u64>truncI64(v); break;
      default: r = NaN;
    }
    store<f32>(out + i, r);
  }
}

/** mask[i] = x[i] != 0 ? 1 : 0 as bytes: turns a boolean / float mask tensor into a time-step mask. */
export function maskFromValuesF32(x: usize, n: i32, mask: usize): void {
  for (let i = 0; i < n; i++) store<u8>(mask + <usize>i, load<f32>(x + (<usize>i << 2)) != 0 ? 1 : 0);
}
