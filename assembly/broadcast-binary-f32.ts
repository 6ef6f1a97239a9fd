// Element-wise binary ops and select on f32 tensors with NumPy broadcasting. Booleans are 0 / 1
// floats (the engine keeps every tensor in f32). Shapes are at most rank 4: the caller pads them
// on the left with 1s and writes a geometry block of i32s - the output dims d0..d3, then each
// operand's element strides (0 on a broadcast axis) - so one loop nest serves every broadcast
// pattern. The innermost axis takes the SIMD path when every operand is contiguous on it.
// Pointers need not be 16-byte aligned. max / min propagate NaN (wasm f32.max / f32x4.max do).
import {
  BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_MAX, BIN_MIN, BIN_POW, BIN_EQ, BIN_NE, BIN_GT, BIN_GE, BIN_LT, BIN_LE, BIN_AND, BIN_OR, BIN_XOR,
} from './tensor-op-codes';

@inline
function b2f(v: bool): f32 {
  return v ? 1.0 : 0.0;
}

@inline
function scalarOp(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case BIN_ADD: return a + b;
    case BIN_SUB: return a - b;
    case BIN_MUL: return a * b;
    case BIN_DIV: return a / b;
    case BIN_MAX: return max<f32>(a, b);
    case BIN_MIN: return min<f32>(a, b);
    case BIN_POW: return <f32>Math.pow(<f64>a, <f64>b);
    case BIN_EQ: return b2f(a == b);
    case BIN_NE: return b2f(a != b);
    case BIN_GT: return b2f(a > b);
    case BIN_GE: return b2f(a >= b);
    case BIN_LT: return b2f(a < b);
    case BIN_LE: return b2f(a <= b);
    case BIN_AND: return b2f(a != 0 && b != 0);
    case BIN_OR: return b2f(a != 0 || b != 0);
    case BIN_XOR: return b2f((a != 0) != (b != 0));
    default: return NaN;
  }
}

@inline
function vectorOp(op: i32, a: v128, b: v128): v128 {
  const one = f32x4.splat(1.0);
  switch (op) {
    case BIN_ADD: return f32x4.add(a, b);
    case BIN_SUB: return f32x4.sub(a, b);
    case BIN_MUL: return f32x4.mul(a, b);
    case BIN_DIV: return f32x4.div(a, b);
    case BIN_MAX: return f32x4.max(a, b);
    case BIN_MIN: return f32x4.min(a, b);
    case BIN_EQ: return v128.and(f32x4.eq(a, b), one);
    case BIN_NE: return v128.and(f32x4.ne(a, b), one);
    case BIN_GT: return v128.and(f32x4.gt(a, b), one);
    case BIN_GE: return v128.and(f32x4.ge(a, b), one);
    case BIN_LT: return v128.and(f32x4.lt(a, b), one);
    default: return v128.and(f32x4.le(a, b), one);
  }
}

/** The SIMD part of binaryF32 for one op; inlined with a constant op so the switch folds away. */
@inline
function vectorLoop(op: i32, a: usize, b: usize, out: usize, bytes: usize): void {
  for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, vectorOp(op, v128.load(a + i), v128.load(b + i)));
}

/** out[i] = a[i] OP b[i] for n contiguous floats (OP a BIN_* code). out may alias a or b. */
export function binaryF32(a: usize, b: usize, out: usize, n: i32, op: i32): void {
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = n4;
  switch (op) {
    case BIN_ADD: vectorLoop(BIN_ADD, a, b, out, n4); break;
    case BIN_SUB: vectorLoop(BIN_SUB, a, b, out, n4); break;
    case BIN_MUL: vectorLoop(BIN_MUL, a, b, out, n4); break;
    case BIN_DIV: vectorLoop(BIN_DIV, a, b, out, n4); break;
    case BIN_MAX: vectorLoop(BIN_MAX, a, b, out, n4); break;
    case BIN_MIN: vectorLoop(BIN_MIN, a, b, out, n4); break;
    case BIN_EQ: vectorLoop(BIN_EQ, a, b, out, n4); break;
    case BIN_NE: vectorLoop(BIN_NE, a, b, out, n4); break;
    case BIN_GT: vectorLoop(BIN_GT, a, b, out, n4); break;
    case BIN_GE: vectorLoop(BIN_GE, a, b, out, n4); break;
    case BIN_LT: vectorLoop(BIN_LT, a, b, out, n4); break;
    case BIN_LE: vectorLoop(BIN_LE, a, b, out, n4); break;
    default: i = 0; // pow and the logical ops: scalar only
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) store<f32>(out + i, scalarOp(op, load<f32>(a + i), load<f32>(b + i)));
}

/**
 * out[i0,i1,i2,i3] = a[i·sa] OP b[i·sb] over the output shape, output contiguous. `geometry`
 * holds 12 i32s: d0..d3, sa0..sa3, sb0..sb3. `out` may alias an operand with the output's layout.
 */
export function broadcastBinaryF32(a: usize, b: usize, out: usize, op: i32, geometry: usize): void {
  const d0 = load<i32>(geometry), d1 = load<i32>(geometry, 4), d2 = load<i32>(geometry, 8), d3 = load<i32>(geometry, 12);
  const sa0 = load<i32>(geometry, 16), sa1 = load<i32>(geometry, 20), sa2 = load<i32>(geometry, 24), sa3 = load<i32>(geometry, 28);
  const sb0 = load<i32>(geometry, 32), sb1 = load<i32>(geometry, 36), sb2 = load<i32>(geometry, 40), sb3 = load<i32>(geometry, 44);
  let o: usize = out;
  const unit = sa3 == 1 && sb3 == 1;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const pa = a + (<usize>(i0 * sa0 + i1 * sa1 + i2 * sa2) << 2);
        const pb = b + (<usize>(i0 * sb0 + i1 * sb1 + i2 * sb2) << 2);
        if (unit) {
          binaryF32(pa, pb, o, d3, op);
        } else {
          for (let i3 = 0; i3 < d3; i3++) {
            store<f32>(o + (<usize>i3 << 2), scalarOp(op, load<f32>(pa + (<usize>(i3 * sa3) << 2)), load<f32>(pb + (<usize>(i3 * sb3) << 2))));
          }
        }
        o += <usize>d3 << 2;
      }
    }
  }
}

/**
 * out = cond != 0 ? a : b with broadcasting (`where`). `geometry` holds 16 i32s: d0..d3, then
 * the strides of cond, a and b (four each).
 */
export function broadcastSelectF32(c: usize, a: usize, b: usize, out: usize, geometry: usize): void {
  const d0 = load<i32>(geometry), d1 = load<i32>(geometry, 4), d2 = load<i32>(geometry, 8), d3 = load<i32>(geometry, 12);
  const sc0 = load<i32>(geometry, 16), sc1 = load<i32>(geometry, 20), sc2 = load<i32>(geometry, 24), sc3 = load<i32>(geometry, 28);
  const sa0 = load<i32>(geometry, 32), sa1 = load<i32>(geometry, 36), sa2 = load<i32>(geometry, 40), sa3 = load<i32>(geometry, 44);
  const sb0 = load<i32>(geometry, 48), sb1 = load<i32>(geometry, 52), sb2 = load<i32>(geometry, 56), sb3 = load<i32>(geometry, 60);
  let o: usize = out;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const pc = c + (<usize>(i0 * sc0 + i1 * sc1 + i2 * sc2) << 2);
        const pa = a + (<usize>(i0 * sa0 + i1 * sa1 + i2 * sa2) << 2);
        const pb = b + (<usize>(i0 * sb0 + i1 * sb1 + i2 * sb2) << 2);
        for (let i3 = 0; i3 < d3; i3++) {
          const keep = load<f32>(pc + (<usize>(i3 * sc3) << 2)) != 0;
          store<f32>(o + (<usize>i3 << 2), keep ? load<f32>(pa + (<usize>(i3 * sa3) << 2)) : load<f32>(pb + (<usize>(i3 * sb3) << 2)));
        }
        o += <usize>d3 << 2;
      }
    }
  }
}
