// Whole-sequence LSTM on several threads that share one linear memory (threads build only: see
// assembly/threads.ts). Every thread calls `lstmSequenceParallel(params, team, tid)` with the
// same blocks (`params`: lstmSequence's own LstmSequenceParams; `team`: parallel-common.ts); thread `tid` owns the unit groups [g0, g1) of its share and runs all T steps
// for them with `lstmStepGroups` - the very step body the one-thread kernel runs - so each unit's
// arithmetic, and therefore every output bit, is the same as with one thread; only the partition
// changes. Between steps a barrier in shared memory makes the whole new h visible before anyone
// reads it: the only cross-thread traffic per step is the barrier word and the h / c vectors.
import { timeIndex, setMaskHistory } from './rnn-common';
import { lstmStepGroups, LSTM_UNIT_GROUP } from './lstm-sequence';
import { barrier, shareMaskHistory, shareOf, copyStateShare, T_THREADS } from './parallel-common';
import { LstmSequenceParams } from './param-blocks';

/**
 * Runs thread `tid`'s share of the LSTM sequence of `params` (an `LstmSequenceParams` block, as
 * lstmSequence takes) with the team block `team` (parallel-common.ts, barrier words zeroed).
 * Returns after the last step's barrier and the copy of this thread's share of the final h / c.
 */
export function lstmSequenceParallel(params: usize, team: usize, tid: i32): void {
  const p = changetype<LstmSequenceParams>(params);
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, Rp = p.recurrentKernel;
  const h = p.h, c = p.c, outSeq = p.outSeq, outLast = p.outLast, mask = p.mask;
  const act = p.activation, recAct = p.recurrentActivation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask;
  if (B <= 0 || T <= 0 || U <= 0) return;
  const n = load<i32>(team + T_THREADS);
  const Up = (U + LSTM_UNIT_GROUP - 1) & ~(LSTM_UNIT_GROUP - 1);
  const groups = Up >> 2;
  // Shares are whole pairs of groups so the batch-1 path keeps interleaving two groups.
  const g0 = shareOf(groups, n, tid), g1 = shareOf(groups, n, tid + 1);
  const xRow = <usize>Up << 4;
  if (mask) shareMaskHistory(team, n, tid);
  let hCur = h, cCur = c, hNext = p.hScratch, cNext = p.cScratch;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    const xStep = xproj + <usize>t * xRow;
    lstmStepGroups(p.recurrentBf16 != 0, g0, g1, xStep, s, t, B, T, U, Rp, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    barrier(team, n, tid);
    const th = hCur; hCur = hNext; hNext = th;
    const tc = cCur; cCur = cNext; cNext = tc;
  }
  // Everyone has passed the last step's barrier, so nobody reads h / c any more: each thread
  // copies its own units of the final state home.
  copyStateShare(hCur, h, B, Up, g0 << 2, g1 << 2);
  copyStateShare(cCur, c, B, Up, g0 << 2, g1 << 2);
  if (tid != 0) setMaskHistory(0);
}
