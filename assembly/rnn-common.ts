// Pieces shared by the recurrent sequence kernels (LSTM, GRU, SimpleRNN).
//
// Each sequence kernel repeats gemm-f32-2x16's 2-row x 16-column inner loop inline, on purpose:
// its eight f32x4 accumulators must stay in registers into the fused cell epilogue, and an
// AssemblyScript helper cannot return eight v128 values without spilling them to memory.

/** Processing step s -> time index t (go_backwards walks the sequence from the end). */
// @ts-ignore: decorator
@inline export function timeIndex(s: i32, T: i32, reverse: i32): i32 {
  return reverse ? T - 1 - s : s;
}

/** mask[b][t] != 0, or true without a mask. */
// @ts-ignore: decorator
@inline export function isKept(mask: usize, b: i32, T: i32, t: i32): bool {
  return mask == 0 || load<u8>(mask + <usize>b * <usize>T + <usize>t) != 0;
}

/**
 * Output of a masked step when zero_output_for_mask is off. Keras (backend rnn) emits the
 * previous step's output, and the "previous output" before the first kept step is zeros, not
 * the initial state. Afterwards it equals the carried state h (masked steps do not change it).
 * So the question is only whether any earlier processed step of row b was kept; scanning
 * backwards finds that in one step for the usual post-padding, and only pre-padded heads pay
 * for a longer scan.
 */
export function keptBefore(mask: usize, b: i32, T: i32, s: i32, reverse: i32): bool {
  const row = mask + <usize>b * <usize>T;
  for (let q = s - 1; q >= 0; q--) {
    if (load<u8>(row + <usize>timeIndex(q, T, reverse)) != 0) return true;
  }
  return maskHistory != 0 && load<u8>(maskHistory + <usize>b) != 0;
}

/**
 * A stream feeds one sequence over several calls; "was any earlier step kept" must then look
 * past the start of this call. `maskHistory` (0 = none) points at one byte per batch row, nonzero
 * when the row kept a step in an earlier call. The caller sets it around a sequence-kernel call
 * and updates it with `markKeptRows` afterwards.
 */
let maskHistory: usize = 0;

/** Sets (or clears, with 0) the per-row history the next sequence-kernel calls consult. */
export function setMaskHistory(flags: usize): void {
  maskHistory = flags;
}

/** The history set by setMaskHistory (a global of this instance: the threads kernels hand it to their workers). */
export function getMaskHistory(): usize {
  return maskHistory;
}

/** flags[b] |= any(mask[b][0..T)): records which rows kept a step in this call. */
export function markKeptRows(mask: usize, B: i32, T: i32, flags: usize): void {
  for (let b = 0; b < B; b++) {
    const row = mask + <usize>b * <usize>T;
    for (let t = 0; t < T; t++) {
      if (load<u8>(row + <usize>t) != 0) {
        store<u8>(flags + <usize>b, 1);
        break;
      }
    }
  }
}

/** Stores `lanes` (1..4) floats of v at p (p need not be aligned: outputs are dense in U). */
// @ts-ignore: decorator
@inline export function storeLanes(p: usize, v: v128, lanes: i32): void {
  if (lanes >= 4) {
    v128.store(p, v);
  } else {
    store<f32>(p, f32x4.extract_lane(v, 0));
    if (lanes > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
    if (lanes > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
  }
}

/**
 * Writes the step output of one row for units [u0, u0 + lanes) into outSeq[b][s][:] and, on
 * the last step, outLast[b][:] (both dense in U; either pointer may be 0).
 */
// @ts-ignore: decorator
@inline export function writeOutput(outSeq: usize, outLast: usize, b: i32, s: i32, T: i32, U: i32, u0: i32, lanes: i32, v: v128): void {
  if (outSeq) storeLanes(outSeq + ((<usize>(b * T + s) * <usize>U + <usize>u0) << 2), v, lanes);
  if (outLast && s == T - 1) storeLanes(outLast + ((<usize>b * <usize>U + <usize>u0) << 2), v, lanes);
}

/** Copies the final state back into the caller's buffer when the ping-pong ended in scratch. */
export function copyState(src: usize, dst: usize, floats: i32): void {
  if (src != dst) memory.copy(dst, src, <usize>floats << 2);
}
