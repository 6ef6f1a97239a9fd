// Small element-wise and copying kernels used between layers (masks, scaling, RepeatVector,
// reversing sequences, concatenation; binary arithmetic is in broadcast-binary-f32.ts). Pointers
// need not be 16-byte aligned here: unaligned v128 loads are legal in wasm and cost the same on current x86/ARM cores.

/** out[i] = a[i] & b[i] for u8 masks (0/1), e.g. combining the masks of merged inputs. */
export function maskAnd(a: usize, b: usize, out: usize, n: i32): void {
  const n16 = <usize>(n & ~15);
  let i: usize = 0;
  for (; i < n16; i += 16) v128.store(out + i, v128.and(v128.load(a + i), v128.load(b + i)));
  for (; i < <usize>n; i++) store<u8>(out + i, load<u8>(a + i) & load<u8>(b + i));
}

/** ptr[i] *= k, in place. */
export function scaleF32(ptr: usize, n: i32, k: f32): void {
  const kv = f32x4.splat(k);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(ptr + i, f32x4.mul(v128.load(ptr + i), kv));
  const end = <usize>n << 2;
  for (; i < end; i += 4) store<f32>(ptr + i, load<f32>(ptr + i) * k);
}

/** ptr[i] = value. */
export function fillF32(ptr: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(ptr + i, v);
  const end = <usize>n << 2;
  for (; i < end; i += 4) store<f32>(ptr + i, value);
}

/** dst[i] = src[i] (memmove semantics). */
export function copyF32(src: usize, dst: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** RepeatVector: dst[r][t][:] = src[r][:] for src [rows][cols], dst [rows][times][cols]. */
export function repeatRows(src: usize, rows: i32, cols: i32, times: i32, dst: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * rowBytes;
    const d = dst + <usize>r * <usize>times * rowBytes;
    for (let t = 0; t < times; t++) memory.copy(d + <usize>t * rowBytes, s, rowBytes);
  }
}

/** dst[b][T-1-t][:] = src[b][t][:] for [B][T][F] (go_backwards outputs, Bidirectional). */
export function reverseSequence(src: usize, B: i32, T: i32, F: i32, dst: usize): void {
  const rowBytes = <usize>F << 2;
  for (let b = 0; b < B; b++) {
    const base = <usize>b * <usize>T * rowBytes;
    for (let t = 0; t < T; t++) {
      memory.copy(dst + base + <usize>(T - 1 - t) * rowBytes, src + base + <usize>t * rowBytes, rowBytes);
    }
  }
}

/** out[r] = concat(a[r], b[r]) for a [rows][colsA], b [rows][colsB] (Bidirectional concat). */
export function concatRows(a: usize, colsA: i32, b: usize, colsB: i32, rows: i32, out: usize): void {
  const aBytes = <usize>colsA << 2;
  const bBytes = <usize>colsB << 2;
  for (let r = 0; r < rows; r++) {
    const o = out + <usize>r * (aBytes + bBytes);
    memory.copy(o, a + <usize>r * aBytes, aBytes);
    memory.copy(o + aBytes, b + <usize>r * bBytes, bBytes);
  }
}
