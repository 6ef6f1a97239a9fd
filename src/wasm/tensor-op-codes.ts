/**
 * Named codes of the tensor-op kernels (`assembly/tensor-op-codes.ts`), taken from the module's
 * exported constants so the values exist in one place.
 * @packageDocumentation
 */
import { KERNEL_CONSTANTS as K } from './kernel-exports.js';

/** Op codes of `binaryF32` / `broadcastBinaryF32`. */
export const BinaryOp = {
  add: K.BIN_ADD, sub: K.BIN_SUB, mul: K.BIN_MUL, div: K.BIN_DIV, max: K.BIN_MAX, min: K.BIN_MIN, pow: K.BIN_POW,
  eq: K.BIN_EQ, ne: K.BIN_NE, gt: K.BIN_GT, ge: K.BIN_GE, lt: K.BIN_LT, le: K.BIN_LE,
  and: K.BIN_AND, or: K.BIN_OR, xor: K.BIN_XOR,
} as const;
export type BinaryOpName = keyof typeof BinaryOp;

/** Op codes of `unaryMathF32`. */
export const UnaryOp = {
  not: K.UN_NOT, bool: K.UN_BOOL, neg: K.UN_NEG, abs: K.UN_ABS, sqrt: K.UN_SQRT, square: K.UN_SQUARE,
  round: K.UN_ROUND, floor: K.UN_FLOOR, ceil: K.UN_CEIL, sign: K.UN_SIGN,
} as const;
export type UnaryOpName = keyof typeof UnaryOp;

/** Op codes of `reduceAxisF32`. */
export const ReduceOp = { sum: K.RED_SUM, mean: K.RED_MEAN, max: K.RED_MAX, min: K.RED_MIN, any: K.RED_ANY, all: K.RED_ALL, prod: K.RED_PROD } as const;
export type ReduceOpName = keyof typeof ReduceOp;

/** Target types of `castToIntegerF32`, by dtype name. */
export const IntegerType = {
  int8: K.INT8, uint8: K.UINT8, int16: K.INT16, uint16: K.UINT16, int32: K.INT32, uint32: K.UINT32, int64: K.INT64, uint64: K.UINT64,
} as const;
export type IntegerTypeName = keyof typeof IntegerType;
