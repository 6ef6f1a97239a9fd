// Whole-sequence GRU on several threads sharing one linear memory (threads build), as
// lstm-sequence-parallel.ts does for the LSTM: thread `tid` runs every step for its share of
// the unit groups through gru-sequence.ts's own step functions, so each unit's arithmetic is the
// one-thread kernel's. reset_after = 0 needs r * h of *all* units before the candidate, so its
// two phases are separated by a barrier too (two barriers per step instead of one).
import { timeIndex, setMaskHistory } from './rnn-common';
import { stepResetAfter, gatesPhase, candidatePhase, GRU_UNIT_GROUP } from './gru-sequence';
import { barrier, shareMaskHistory, shareOf, copyStateShare, T_THREADS } from './parallel-common';
import { GruSequenceParams } from './param-blocks';

/**
 * Runs thread `tid`'s share of the GRU sequence of `params` (a `GruSequenceParams` block, as
 * gruSequence takes) with the team block `team` (parallel-common.ts, barrier words zeroed).
 */
export function gruSequenceParallel(params: usize, team: usize, tid: i32): void {
  const p = changetype<GruSequenceParams>(params);
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, Rp = p.recurrentKernel, recBias = p.recurrentBias;
  const h = p.h, rh = p.rh, outSeq = p.outSeq, outLast = p.outLast, mask = p.mask;
  const act = p.activation, recAct = p.recurrentActivation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask, resetAfter = p.resetAfter;
  if (B <= 0 || T <= 0 || U <= 0) return;
  const n = load<i32>(team + T_THREADS);
  // The same derived sizes as gruSequence.
  const Up = (U + GRU_UNIT_GROUP - 1) & ~(GRU_UNIT_GROUP - 1);
  const groups = Up >> 2;
  const stateRow = <usize>Up << 2;
  const xRow = <usize>Up * 12;
  const xBatch = xRow * <usize>T;
  const panelBytes = <usize>U * 48;
  const kBytes = <usize>U << 2;
  const g0 = shareOf(groups, n, tid), g1 = shareOf(groups, n, tid + 1);
  if (mask) shareMaskHistory(team, n, tid);
  let hCur = h, hNext = p.hScratch;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    const xStep = xproj + <usize>t * xRow;
    if (resetAfter) {
      stepResetAfter(Up, groups, g0, g1, stateRow, xBatch, panelBytes, kBytes, xStep, s, t, B, T, U, Rp, recBias, hCur, hNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    } else {
      gatesPhase(Up, groups, g0, g1, stateRow, xBatch, panelBytes, kBytes, xStep, s, B, T, U, Rp, recBias, hCur, hNext, rh, recAct);
      barrier(team, n, tid);
      candidatePhase(Up, groups, g0, g1, stateRow, xBatch, panelBytes, kBytes, xStep, s, t, B, T, U, Rp, recBias, hCur, hNext, rh, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
    }
    barrier(team, n, tid);
    const th = hCur; hCur = hNext; hNext = th;
  }
  copyStateShare(hCur, h, B, Up, g0 << 2, g1 << 2);
  if (tid != 0) setMaskHistory(0);
}
