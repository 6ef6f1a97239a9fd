// Shared pieces of the multi-threaded sequence kernels (threads build): the team block, the
// per-step barrier and the partition of unit groups over threads.
//
// A parallel kernel takes the one-thread kernel's own parameter block (param-blocks.ts) plus a
// team block: the thread count, how to wait, and the barrier words. The team block is written by
// src/wasm/sequence-threads.ts (which mirrors these offsets) in shared linear memory, zeroed per
// call; every thread reads the same two blocks.
import { getMaskHistory, setMaskHistory } from './rnn-common';

/** Byte offsets in the team block (i32 fields). */
/** Threads in the team (every one calls the kernel with its own tid). */
export const T_THREADS: usize = 0;
/** Polls of the barrier word before a thread sleeps in memory.atomic.wait32. */
export const T_SPIN: usize = 4;
/** Bit t set: thread t may block in memory.atomic.wait32 (a browser's main thread may not). */
export const T_MAY_WAIT: usize = 8;
/** The calling thread's mask history (rnn-common.ts), copied to the workers' instances. */
export const T_HISTORY: usize = 12;
/** Barrier: threads arrived in the current round (own 64-byte line, away from the fields). */
export const T_ARRIVED: usize = 64;
/** Barrier: round number, bumped by the last thread to arrive (own 64-byte line). */
export const T_ROUND: usize = 128;
/** Bytes of the team block. */
export const TEAM_BYTES: i32 = 192;

/**
 * Waits until all `n` threads have called it for this round. Seq-cst atomics order every plain
 * store of the step before the round bump, so after it every thread sees the whole new h / c.
 * The last thread resets the count before bumping the round, so a thread that races ahead to the
 * next barrier counts into a fresh round. Waiting spins first (a step takes microseconds; a
 * futex wake costs tens) and then sleeps, so an oversubscribed machine does not burn the core
 * the other thread needs.
 */
export function barrier(team: usize, n: i32, tid: i32): void {
  const round = atomic.load<i32>(team + T_ROUND);
  if (atomic.add<i32>(team + T_ARRIVED, 1) == n - 1) {
    atomic.store<i32>(team + T_ARRIVED, 0);
    atomic.add<i32>(team + T_ROUND, 1);
    atomic.notify(team + T_ROUND, n);
    return;
  }
  const spin = load<i32>(team + T_SPIN);
  const mayWait = (load<i32>(team + T_MAY_WAIT) >> tid) & 1;
  let i = 0;
  while (atomic.load<i32>(team + T_ROUND) == round) {
    if (mayWait && i >= spin) memory.atomic.wait32(team + T_ROUND, round, -1);
    else i++;
  }
}

/**
 * Gives every thread's instance the calling thread's mask history (a per-instance global that
 * only thread 0's instance was told about), so masked streams decide "was an earlier step kept"
 * the same way on every thread. Costs one barrier, and only for masked calls.
 */
export function shareMaskHistory(team: usize, n: i32, tid: i32): void {
  if (tid == 0) store<u32>(team + T_HISTORY, <u32>getMaskHistory());
  barrier(team, n, tid);
  if (tid != 0) setMaskHistory(<usize>load<u32>(team + T_HISTORY));
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
