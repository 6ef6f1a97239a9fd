// Shared pieces of the multi-threaded sequence kernels (threads build): the parameter block
// layout, the per-step barrier and the partition of unit groups over threads.
//
// The parameter block is written by the TypeScript side (src/wasm/sequence-threads.ts mirrors
// these offsets) in shared linear memory; every thread reads the same block.
import { getMaskHistory, setMaskHistory } from './rnn-common';

/** Byte offsets in the parameter block (i32 / pointer fields). */
export const P_XPROJ: usize = 0;
export const P_B: usize = 4;
export const P_T: usize = 8;
export const P_U: usize = 12;
export const P_R: usize = 16;
export const P_H: usize = 20;
export const P_C: usize = 24;
export const P_HS: usize = 28;
export const P_CS: usize = 32;
export const P_OUTSEQ: usize = 36;
export const P_OUTLAST: usize = 40;
export const P_MASK: usize = 44;
export const P_ACT: usize = 48;
export const P_RECACT: usize = 52;
export const P_REVERSE: usize = 56;
export const P_ZERO: usize = 60;
export const P_THREADS: usize = 64;
/** Polls of the barrier word before a thread sleeps in memory.atomic.wait32. */
export const P_SPIN: usize = 68;
/** Bit t set: thread t may block in memory.atomic.wait32 (a browser's main thread may not). */
export const P_MAY_WAIT: usize = 72;
/** The calling thread's mask history (rnn-common.ts), copied to the workers' instances. */
export const P_HISTORY: usize = 76;
/** GRU: the recurrent bias (0: none), the r * h scratch rows and reset_after. */
export const P_RECBIAS: usize = 80;
export const P_RH: usize = 84;
export const P_RESET_AFTER: usize = 88;
/** Barrier: threads arrived in the current round (own 64-byte line, away from the fields). */
export const P_ARRIVED: usize = 128;
/** Barrier: round number, bumped by the last thread to arrive (own 64-byte line). */
export const P_ROUND: usize = 192;
/** Bytes of the parameter block. */
export const PARAMS_BYTES: i32 = 256;

/**
 * Waits until all `n` threads have called it for this round. Seq-cst atomics order every plain
 * store of the step before the round bump, so after it every thread sees the whole new h / c.
 * The last thread resets the count before bumping the round, so a thread that races ahead to the
 * next barrier counts into a fresh round. Waiting spins first (a step takes microseconds; a
 * futex wake costs tens) and then sleeps, so an oversubscribed machine does not burn the core
 * the other thread needs.
 */
export function barrier(params: usize, n: i32, tid: i32): void {
  const round = atomic.load<i32>(params + P_ROUND);
  if (atomic.add<i32>(params + P_ARRIVED, 1) == n - 1) {
    atomic.store<i32>(params + P_ARRIVED, 0);
    atomic.add<i32>(params + P_ROUND, 1);
    atomic.notify(params + P_ROUND, n);
    return;
  }
  const spin = load<i32>(params + P_SPIN);
  const mayWait = (load<i32>(params + P_MAY_WAIT) >> tid) & 1;
  let i = 0;
  while (atomic.load<i32>(params + P_ROUND) == round) {
    if (mayWait && i >= spin) memory.atomic.wait32(params + P_ROUND, round, -1);
    else i++;
  }
}

/**
 * Gives every thread's instance the calling thread's mask history (a per-instance global that
 * only thread 0's instance was told about), so masked streams decide "was an earlier step kept"
 * the same way on every thread. Costs one barrier, and only for masked calls.
 */
export function shareMaskHistory(params: usize, n: i32, tid: i32): void {
  if (tid == 0) store<u32>(params + P_HISTORY, <u32>getMaskHistory());
  barrier(params, n, tid);
  if (tid != 0) setMaskHistory(<usize>load<u32>(params + P_HISTORY));
}

/** First unit group of thread `tid`'s share of `groups` (shares are whole pairs of groups). */
// @ts-ignore: decorator
@inline export function shareOf(groups: i32, n: i32, tid: i32): i32 {
  if (tid >= n) return groups;
  const pairs = (groups + 1) >> 1;
  return min(groups, <i32>((<i64>pairs * tid) / n) << 1);
}

/** Copies the units [u0, u1) of every batch row (rows of `Up` floats) from `src` to `dst`. */
export function copyStateShare(src: usize, dst: usize, B: i32, Up: i32, u0: i32, u1: i32): void {
  if (src == dst || u1 <= u0) return;
  const bytes = <usize>(u1 - u0) << 2;
  for (let b = 0; b < B; b++) {
    const off = (<usize>b * <usize>Up + <usize>u0) << 2;
    memory.copy(dst + off, src + off, bytes);
  }
}
