// Op codes of the tensor-op kernels (broadcast-binary-f32.ts, unary-math-f32.ts,
// reduce-axis-f32.ts). They are exported from the module as wasm globals: the build generates the
// TypeScript side (src/wasm/kernel-abi.generated.ts) from the compiled module, so this file is
// the one table both sides read.

// binaryF32 / broadcastBinaryF32
export const BIN_ADD: i32 = 0;
export const BIN_SUB: i32 = 1;
export const BIN_MUL: i32 = 2;
export const BIN_DIV: i32 = 3;
export const BIN_MAX: i32 = 4;
export const BIN_MIN: i32 = 5;
export const BIN_POW: i32 = 6;
export const BIN_EQ: i32 = 10;
export const BIN_NE: i32 = 11;
export const BIN_GT: i32 = 12;
export const BIN_GE: i32 = 13;
export const BIN_LT: i32 = 14;
export const BIN_LE: i32 = 15;
export const BIN_AND: i32 = 20;
export const BIN_OR: i32 = 21;
export const BIN_XOR: i32 = 22;

// unaryMathF32
export const UN_NOT: i32 = 0;
export const UN_BOOL: i32 = 2;
export const UN_NEG: i32 = 3;
export const UN_ABS: i32 = 4;
export const UN_SQRT: i32 = 5;
export const UN_SQUARE: i32 = 6;
export const UN_ROUND: i32 = 7;
export const UN_FLOOR: i32 = 8;
export const UN_CEIL: i32 = 9;
export const UN_SIGN: i32 = 10;

// reduceAxisF32
export const RED_SUM: i32 = 0;
export const RED_MEAN: i32 = 1;
export const RED_MAX: i32 = 2;
export const RED_MIN: i32 = 3;
export const RED_ANY: i32 = 4;
export const RED_ALL: i32 = 5;
export const RED_PROD: i32 = 6;

// castToIntegerF32: the integer type a float is cast to (values stay f32 afterwards)
export const INT8: i32 = 1;
export const UINT8: i32 = 2;
export const INT16: i32 = 3;
export const UINT16: i32 = 4;
export const INT32: i32 = 5;
export const UINT32: i32 = 6;
export const INT64: i32 = 7;
export const UINT64: i32 = 8;
