// Whole-sequence LSTM on several threads that share one linear memory (threads build only: see
// assembly/threads.ts). Every thread calls `lstmSequenceParallel(params, tid)` with the same
// parameter block; thread `tid` owns the unit groups [g0, g1) of its share and runs all T steps
// for them with `lstmStepGroups` - the very step body the one-thread kernel runs - so each unit's
// arithmetic, and therefore every output bit, is the same as with one thread; only the partition
// changes. Between steps a barrier in shared memory makes the whole new h visible before anyone
// reads it: the only cross-thread traffic per step is the barrier word and the h / c vectors.
import { timeIndex, setMaskHistory } from './rnn-common';
import { lstmStepGroups, LSTM_UNIT_GROUP } from './lstm-sequence';
import { barrier, shareMaskHistory, shareOf, copyStateShare, P_B, P_T, P_U, P_XPROJ, P_R, P_H, P_C, P_HS, P_CS, P_OUTSEQ, P_OUTLAST, P_MASK, P_ACT, P_RECACT, P_REVERSE, P_ZERO, P_THREADS } from './parallel-common';

/**
 * Runs thread `tid`'s share of an LSTM sequence described by the parameter block at `params`
 * (layout: `parallel-common.ts`, written by the TypeScript side, barrier words zeroed). Returns
 * after the last step's barrier and the copy of this thread's share of the final h / c.
 */
export function lstmSequenceParallel(params: usize, tid: i32): void {
  const B = load<i32>(params + P_B), T = load<i32>(params + P_T), U = load<i32>(params + P_U);
  if (B <= 0 || T <= 0 || U <= 0) return;
  const xproj = <usize>load<u32>(params + P_XPROJ), Rp = <usize>load<u32>(params + P_R);
  const h = <usize>load<u32>(params + P_H), c = <usize>load<u32>(params + P_C);
  const outSeq = <usize>load<u32>(params + P_OUTSEQ), outLast = <usize>load<u32>(params + P_OUTLAST), mask = <usize>load<u32>(params + P_MASK);
  const act = load<i32>(params + P_ACT), recAct = load<i32>(params + P_RECACT);
  const reverse = load<i32>(params + P_REVERSE), zeroOutputForMask = load<i32>(params + P_ZERO);
  const n = load<i32>(params + P_THREADS);
  const Up = (U + LSTM_UNIT_GROUP - 1) & ~(LSTM_UNIT_GROUP - 1);
  const groups = Up >> 2;
  // Shares are whole pairs of groups so the batch-1 path keeps interleaving two groups.
  const g0 = shareOf(groups, n, tid), g1 = shareOf(groups, n, tid + 1);
  const xRow = <usize>Up << 4;
  if (mask) shareMaskHistory(params, n, tid);
  let hCur = h, cCur = c, hNext = <usize>load<u32>(params + P_HS), cNext = <usize>load<u32>(params + P_CS);
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    const xStep = xproj + <usize>t * xRow;
    lstmStepGroups(g0, g1, xStep, s, t, B, T, U, Rp, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    barrier(params, n, tid);
    const th = hCur; hCur = hNext; hNext = th;
    const tc = cCur; cCur = cNext; cNext = tc;
  }
  // Everyone has passed the last step's barrier, so nobody reads h / c any more: each thread
  // copies its own units of the final state home.
  copyStateShare(hCur, h, B, Up, g0 << 2, g1 << 2);
  copyStateShare(cCur, c, B, Up, g0 << 2, g1 << 2);
  if (tid != 0) setMaskHistory(0);
}
