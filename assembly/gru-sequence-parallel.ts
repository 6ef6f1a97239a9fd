// Whole-sequence GRU on several threads sharing one linear memory (threads build), as
// lstm-sequence-parallel.ts does for the LSTM: thread `tid` runs every step for its share of
// the unit groups through gru-sequence.ts's own step functions, so each unit's arithmetic is the
// one-thread kernel's. reset_after = 0 needs r * h of *all* units before the candidate, so its
// two phases are separated by a barrier too (two barriers per step instead of one).
import { timeIndex, setMaskHistory } from './rnn-common';
import { stepResetAfter, gatesPhase, candidatePhase, GRU_UNIT_GROUP } from './gru-sequence';
import {
  barrier, shareMaskHistory, shareOf, copyStateShare, P_B, P_T, P_U, P_XPROJ, P_R, P_H, P_HS, P_OUTSEQ, P_OUTLAST, P_MASK,
  P_ACT, P_RECACT, P_REVERSE, P_ZERO, P_THREADS, P_RECBIAS, P_RH, P_RESET_AFTER,
} from './parallel-common';

/**
 * Runs thread `tid`'s share of a GRU sequence described by the parameter block at `params`
 * (layout: `parallel-common.ts`; the fields are gruSequence's arguments).
 */
export function gruSequenceParallel(params: usize, tid: i32): void {
  const B = load<i32>(params + P_B), T = load<i32>(params + P_T), U = load<i32>(params + P_U);
  if (B <= 0 || T <= 0 || U <= 0) return;
  const xproj = <usize>load<u32>(params + P_XPROJ), Rp = <usize>load<u32>(params + P_R), recBias = <usize>load<u32>(params + P_RECBIAS);
  const h = <usize>load<u32>(params + P_H), rh = <usize>load<u32>(params + P_RH);
  const outSeq = <usize>load<u32>(params + P_OUTSEQ), outLast = <usize>load<u32>(params + P_OUTLAST), mask = <usize>load<u32>(params + P_MASK);
  const act = load<i32>(params + P_ACT), recAct = load<i32>(params + P_RECACT);
  const reverse = load<i32>(params + P_REVERSE), zeroOutputForMask = load<i32>(params + P_ZERO), resetAfter = load<i32>(params + P_RESET_AFTER);
  const n = load<i32>(params + P_THREADS);
  // The same derived sizes as gruSequence.
  const Up = (U + GRU_UNIT_GROUP - 1) & ~(GRU_UNIT_GROUP - 1);
  const groups = Up >> 2;
  const stateRow = <usize>Up << 2;
  const xRow = <usize>Up * 12;
  const xBatch = xRow * <usize>T;
  const panelBytes = <usize>U * 48;
  const kBytes = <usize>U << 2;
  const g0 = shareOf(groups, n, tid), g1 = shareOf(groups, n, tid + 1);
  if (mask) shareMaskHistory(params, n, tid);
  let hCur = h, hNext = <usize>load<u32>(params + P_HS);
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    const xStep = xproj + <usize>t * xRow;
    if (resetAfter) {
      stepResetAfter(Up, groups, g0, g1, stateRow, xBatch, panelBytes, kBytes, xStep, s, t, B, T, U, Rp, recBias, hCur, hNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    } else {
      gatesPhase(Up, groups, g0, g1, stateRow, xBatch, panelBytes, kBytes, xStep, B, T, U, Rp, recBias, hCur, hNext, rh, recAct);
      barrier(params, n, tid);
      candidatePhase(Up, groups, g0, g1, stateRow, xBatch, panelBytes, kBytes, xStep, s, t, B, T, U, Rp, recBias, hCur, hNext, rh, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
    }
    barrier(params, n, tid);
    const th = hCur; hCur = hNext; hNext = th;
  }
  copyStateShare(hCur, h, B, Up, g0 << 2, g1 << 2);
  if (tid != 0) setMaskHistory(0);
}
