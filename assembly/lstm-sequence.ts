// Whole-sequence LSTM: one call runs all T steps for all B rows.
//
// Per step the recurrent product h . R is fused with the cell update: for each unit group (4
// units -> one 16-column panel of R holding the i, f, c, o columns of those units) and each
// block of 2 batch rows, 8 f32x4 accumulators start from xproj (x . W + bias, computed by one
// big gemm beforehand), run over k < U, and the gate activations, c' and h' are computed while
// still in registers. Unit groups are the outer loop so the group's K x 16 panel stays in L1
// while all batch rows stream past it. The 2-row block is the widest that fits V8's 15 xmm
// registers (8 accumulators + 4 panel vectors + broadcast + temp), see gemm-f32-2x16.ts.
//
// The new h/c go to scratch buffers (the old h is still being read by other groups), and the
// buffers are swapped after each step; an odd number of steps ends with a copy back.
//
// From batch 2 on (float32 weights) a step runs in two passes instead (lstmRunTwoPass): the
// product as one gemm into xproj, then the cell update row by row.
import { applyAct } from './activations';
import { ACT_SIGMOID, ACT_TANH } from './activation-ids';
import { gemmAccumulate } from './gemm-f32-2x16';
import { timeIndex, isKept, keptBefore, writeOutput, copyState } from './rnn-common';
import { madd, mulAdd } from './madd';
import { bf16Lo, bf16Hi } from './bf16';
import { LstmSequenceParams } from './param-blocks';

/** Gate activations, state update, masking and outputs of one batch row and one unit group. */
// @ts-ignore: decorator
@inline export function lstmEpilogue(
  ai: v128, af: v128, ac: v128, ao: v128, b: i32, g: i32, s: i32, t: i32, B: i32, T: i32, U: i32, Up: i32,
  hCur: usize, cCur: usize, hNext: usize, cNext: usize, outSeq: usize, outLast: usize, mask: usize,
  act: i32, recAct: i32, reverse: i32, zeroOutputForMask: i32,
): void {
  const off = (<usize>b * <usize>Up + (<usize>g << 2)) << 2;
  const lanes = min(4, U - (g << 2));
  if (isKept(mask, b, T, t)) {
    const i = applyAct(ai, recAct);
    const f = applyAct(af, recAct);
    const cc = applyAct(ac, act);
    const o = applyAct(ao, recAct);
    const cNew = f32x4.add(f32x4.mul(f, v128.load(cCur + off)), f32x4.mul(i, cc));
    const hNew = f32x4.mul(o, applyAct(cNew, act));
    v128.store(cNext + off, cNew);
    v128.store(hNext + off, hNew);
    writeOutput(outSeq, outLast, b, s, T, U, g << 2, lanes, hNew);
  } else {
    const hOld = v128.load(hCur + off);
    v128.store(cNext + off, v128.load(cCur + off));
    v128.store(hNext + off, hOld);
    const keepPrev = !zeroOutputForMask && keptBefore(mask, b, T, s, reverse);
    writeOutput(outSeq, outLast, b, s, T, U, g << 2, lanes, keepPrev ? hOld : f32x4.splat(0.0));
  }
}

/**
 * Units per interleaved group of this kernel's packed layout (state rows and gate columns are
 * padded to a multiple of it). Exported so the TypeScript cell reads its layout contract from
 * the module instead of restating it; the shifts below assume this value.
 */
export const LSTM_UNIT_GROUP: i32 = 4;

/**
 * One time step of the fused LSTM for the unit groups [gBegin, gEnd) and every batch row: reads
 * hCur / cCur (all units), writes hNext / cNext and the outputs of those groups only. The
 * one-thread kernel below runs it over all groups; `lstm-sequence-parallel.ts` runs it over one
 * thread's share, so each unit's arithmetic is the same whichever partition runs it.
 */
// @ts-ignore: decorator
@inline export function lstmStepGroups(
  bf16: bool, gBegin: i32, gEnd: i32, xStep: usize, s: i32, t: i32, B: i32, T: i32, U: i32, Rp: usize,
  hCur: usize, cCur: usize, hNext: usize, cNext: usize, outSeq: usize, outLast: usize, mask: usize,
  act: i32, recAct: i32, reverse: i32, zeroOutputForMask: i32,
): void {
  const Up = (U + LSTM_UNIT_GROUP - 1) & ~(LSTM_UNIT_GROUP - 1);
  const stateRow = <usize>Up << 2; // bytes per batch row of h / c
  const xBatch = (<usize>Up << 4) * <usize>T; // bytes per batch row of xproj (T rows of 4 * Up floats)
  const panelBytes = <usize>U << (bf16 ? 5 : 6); // U rows of 16 weights (float32 or bfloat16)
  const nPair = B == 1 ? (gEnd - gBegin) & ~1 : 0; // groups done in pairs at batch 1
  const g0 = gBegin + nPair;
  if (B == 1) {
    // Single row: the epilogue is one long dependency chain (exp -> div -> c' -> tanh), so two
    // unit groups are finished together, giving the out-of-order core two independent
    // chains to overlap (measured ~10% on U = 128).
    for (let i = 0; i < nPair; i += 2) {
      // Odd steps walk the pairs backwards, so each step starts on the panels the previous one
      // read last: when R outgrows L2 (U = 512: 4 MB) those are still cached, where walking the
      // same way every step finds each panel evicted (as in gru-sequence.ts). Each group's sums
      // are the same whichever order the groups run in, so results are bit-identical.
      const gp = gBegin + (s & 1 ? nPair - 2 - i : i);
      const pA = Rp + <usize>gp * panelBytes;
      const xA = xStep + (<usize>gp << 6);
      let iA = v128.load(xA, 0), fA = v128.load(xA, 16), cA = v128.load(xA, 32), oA = v128.load(xA, 48);
      let iB = v128.load(xA, 64), fB = v128.load(xA, 80), cB = v128.load(xA, 96), oB = v128.load(xA, 112);
      let a0 = hCur;
      const aEnd = a0 + (<usize>U << 2);
      let r = pA;
      // dot-loop rows=a0:iA,fA,cA,oA w=r step=64 bf16=bf16 op=mulAdd
      if (bf16) {
        while (a0 < aEnd) {
          const bw0 = v128.load(r, 0), bw1 = v128.load(r, 16);
          const s0 = v128.load32_splat(a0);
          iA = mulAdd(iA, s0, bf16Lo(bw0)); fA = mulAdd(fA, s0, bf16Hi(bw0));
          cA = mulAdd(cA, s0, bf16Lo(bw1)); oA = mulAdd(oA, s0, bf16Hi(bw1));
          a0 += 4; r += 32;
        }
      } else {
        while (a0 < aEnd) {
          const s0 = v128.load32_splat(a0);
          iA = mulAdd(iA, s0, v128.load(r, 0)); fA = mulAdd(fA, s0, v128.load(r, 16));
          cA = mulAdd(cA, s0, v128.load(r, 32)); oA = mulAdd(oA, s0, v128.load(r, 48));
          a0 += 4; r += 64;
        }
      }
      // end dot-loop
      a0 = hCur;
      // dot-loop rows=a0:iB,fB,cB,oB w=r step=64 bf16=bf16 op=mulAdd
      if (bf16) {
        while (a0 < aEnd) {
          const bw0 = v128.load(r, 0), bw1 = v128.load(r, 16);
          const s0 = v128.load32_splat(a0);
          iB = mulAdd(iB, s0, bf16Lo(bw0)); fB = mulAdd(fB, s0, bf16Hi(bw0));
          cB = mulAdd(cB, s0, bf16Lo(bw1)); oB = mulAdd(oB, s0, bf16Hi(bw1));
          a0 += 4; r += 32;
        }
      } else {
        while (a0 < aEnd) {
          const s0 = v128.load32_splat(a0);
          iB = mulAdd(iB, s0, v128.load(r, 0)); fB = mulAdd(fB, s0, v128.load(r, 16));
          cB = mulAdd(cB, s0, v128.load(r, 32)); oB = mulAdd(oB, s0, v128.load(r, 48));
          a0 += 4; r += 64;
        }
      }
      // end dot-loop
      lstmEpilogue(iA, fA, cA, oA, 0, gp, s, t, B, T, U, Up, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
      lstmEpilogue(iB, fB, cB, oB, 0, gp + 1, s, t, B, T, U, Up, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    }
  }
  for (let g = g0; g < gEnd; g++) {
    const panel = Rp + <usize>g * panelBytes;
    const xg = xStep + (<usize>g << 6);
    let b = 0;
    for (; b + 2 <= B; b += 2) {
      const x0 = xg + <usize>b * xBatch;
      const x1 = x0 + xBatch;
      let i0 = v128.load(x0, 0), f0 = v128.load(x0, 16), c0 = v128.load(x0, 32), o0 = v128.load(x0, 48);
      let i1 = v128.load(x1, 0), f1 = v128.load(x1, 16), c1 = v128.load(x1, 32), o1 = v128.load(x1, 48);
      let a0 = hCur + <usize>b * stateRow;
      let a1 = a0 + stateRow;
      const aEnd = a0 + (<usize>U << 2);
      let r = panel;
      // dot-loop rows=a0:i0,f0,c0,o0 a1:i1,f1,c1,o1 w=r step=64 bf16=bf16
      if (bf16) {
        while (a0 < aEnd) {
          const bw0 = v128.load(r, 0), bw1 = v128.load(r, 16);
          const w0 = bf16Lo(bw0), w1 = bf16Hi(bw0), w2 = bf16Lo(bw1), w3 = bf16Hi(bw1);
          const s0 = v128.load32_splat(a0);
          i0 = madd(i0, s0, w0); f0 = madd(f0, s0, w1);
          c0 = madd(c0, s0, w2); o0 = madd(o0, s0, w3);
          const s1 = v128.load32_splat(a1);
          i1 = madd(i1, s1, w0); f1 = madd(f1, s1, w1);
          c1 = madd(c1, s1, w2); o1 = madd(o1, s1, w3);
          a0 += 4; a1 += 4; r += 32;
        }
      } else {
        while (a0 < aEnd) {
          const w0 = v128.load(r, 0), w1 = v128.load(r, 16), w2 = v128.load(r, 32), w3 = v128.load(r, 48);
          const s0 = v128.load32_splat(a0);
          i0 = madd(i0, s0, w0); f0 = madd(f0, s0, w1);
          c0 = madd(c0, s0, w2); o0 = madd(o0, s0, w3);
          const s1 = v128.load32_splat(a1);
          i1 = madd(i1, s1, w0); f1 = madd(f1, s1, w1);
          c1 = madd(c1, s1, w2); o1 = madd(o1, s1, w3);
          a0 += 4; a1 += 4; r += 64;
        }
      }
      // end dot-loop
      lstmEpilogue(i0, f0, c0, o0, b, g, s, t, B, T, U, Up, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
      lstmEpilogue(i1, f1, c1, o1, b + 1, g, s, t, B, T, U, Up, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    }
    if (b < B) {
      const x0 = xg + <usize>b * xBatch;
      let i0 = v128.load(x0, 0), f0 = v128.load(x0, 16), c0 = v128.load(x0, 32), o0 = v128.load(x0, 48);
      let a0 = hCur + <usize>b * stateRow;
      const aEnd = a0 + (<usize>U << 2);
      let r = panel;
      // dot-loop rows=a0:i0,f0,c0,o0 w=r step=64 bf16=bf16 op=mulAdd
      if (bf16) {
        while (a0 < aEnd) {
          const bw0 = v128.load(r, 0), bw1 = v128.load(r, 16);
          const s0 = v128.load32_splat(a0);
          i0 = mulAdd(i0, s0, bf16Lo(bw0)); f0 = mulAdd(f0, s0, bf16Hi(bw0));
          c0 = mulAdd(c0, s0, bf16Lo(bw1)); o0 = mulAdd(o0, s0, bf16Hi(bw1));
          a0 += 4; r += 32;
        }
      } else {
        while (a0 < aEnd) {
          const s0 = v128.load32_splat(a0);
          i0 = mulAdd(i0, s0, v128.load(r, 0)); f0 = mulAdd(f0, s0, v128.load(r, 16));
          c0 = mulAdd(c0, s0, v128.load(r, 32)); o0 = mulAdd(o0, s0, v128.load(r, 48));
          a0 += 4; r += 64;
        }
      }
      // end dot-loop
      lstmEpilogue(i0, f0, c0, o0, b, g, s, t, B, T, U, Up, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    }
  }
}

/**
 * Runs all steps of an LSTM layer; `params` points at an `LstmSequenceParams` block
 * (param-blocks.ts). With `recurrentBf16` set the recurrent kernel is bfloat16 (packed by
 * packGateColumnsBf16: half the bytes streamed per step); everything else, accumulation included,
 * stays float32. From batch 2 on (float32 weights) xproj is consumed: it ends up holding gate
 * activations.
 */
export function lstmSequence(params: usize): void {
  const p = changetype<LstmSequenceParams>(params);
  if (p.recurrentBf16) lstmRun(true, p);
  else if (p.batch >= 2) lstmRunTwoPass(p);
  else lstmRun(false, p);
}

/** applyAct over a row's gate blocks [xb, xEnd) of 64 bytes (i, f, c, o), in place. */
// @ts-ignore: decorator
@inline function activateGates(xb: usize, xEnd: usize, act: i32, recAct: i32): void {
  for (let xg = xb; xg < xEnd; xg += 64) {
    v128.store(xg, applyAct(v128.load(xg, 0), recAct), 0);
    v128.store(xg, applyAct(v128.load(xg, 16), recAct), 16);
    v128.store(xg, applyAct(v128.load(xg, 32), act), 32);
    v128.store(xg, applyAct(v128.load(xg, 48), recAct), 48);
  }
}

/**
 * Batch >= 2, float32 weights. The fused epilogue is one dependency chain per row block
 * (activation -> c' -> tanh -> h', ~120 cycles) that the out-of-order core can only partly hide
 * behind the next block's product, so at batch 32 the fused kernel lost ~25% to the epilogue
 * against the same product as a bare gemm. Here a step is the gemm (xproj_t += h . R, in place:
 * xproj is consumed) and then, per row, a pass applying the gate activations and a pass updating
 * c and h: each pass's iterations are independent, so the core overlaps many of them.
 * Each sum starts from xproj and adds k in order, and the activations are the same functions, so
 * results are bit-identical to the fused kernel (and to lstm-sequence-parallel.ts). Measured
 * (alternating in one process, 100 steps): 0.91-0.95x the fused time at 128 units, batch 2-32;
 * 0.97-0.99x at 512 units.
 */
function lstmRunTwoPass(p: LstmSequenceParams): void {
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, Rp = p.recurrentKernel;
  const h = p.h, c = p.c, outSeq = p.outSeq, outLast = p.outLast, mask = p.mask;
  const act = p.activation, recAct = p.recurrentActivation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask;
  if (T <= 0 || U <= 0) return;
  const Up = (U + LSTM_UNIT_GROUP - 1) & ~(LSTM_UNIT_GROUP - 1);
  const groups = Up >> 2;
  const N = Up << 2;
  const xRow = <usize>N << 2;
  const xBatch = xRow * <usize>T;
  const stateRow = <usize>Up << 2;
  const standard = recAct == ACT_SIGMOID && act == ACT_TANH;
  let hCur = h, cCur = c, hNext = p.hScratch, cNext = p.cScratch;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    const xStep = xproj + <usize>t * xRow;
    gemmAccumulate(hCur, Up, B, U, Rp, N, xStep, N * T);
    for (let b = 0; b < B; b++) {
      const xb = xStep + <usize>b * xBatch;
      const xEnd = xb + (<usize>groups << 6);
      if (!isKept(mask, b, T, t)) {
        for (let g = 0; g < groups; g++) {
          const xg = xb + (<usize>g << 6);
          lstmEpilogue(v128.load(xg, 0), v128.load(xg, 16), v128.load(xg, 32), v128.load(xg, 48), b, g, s, t, B, T, U, Up, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
        }
        continue;
      }
      // Gate activations in place. The default pair gets its own copy of the loop with the
      // activations as constants, so applyAct's dispatch folds away (~2% at batch 32).
      if (standard) activateGates(xb, xEnd, ACT_TANH, ACT_SIGMOID);
      else activateGates(xb, xEnd, act, recAct);
      // c' = f * c + i * g and h' = o * act(c'), as in lstmEpilogue.
      const row = <usize>b * stateRow;
      for (let g = 0; g < groups; g++) {
        const xg = xb + (<usize>g << 6);
        const off = row + (<usize>g << 4);
        const cNew = f32x4.add(f32x4.mul(v128.load(xg, 16), v128.load(cCur + off)), f32x4.mul(v128.load(xg, 0), v128.load(xg, 32)));
        const hNew = f32x4.mul(v128.load(xg, 48), applyAct(cNew, act));
        v128.store(cNext + off, cNew);
        v128.store(hNext + off, hNew);
        writeOutput(outSeq, outLast, b, s, T, U, g << 2, min(4, U - (g << 2)), hNew);
      }
    }
    const th = hCur; hCur = hNext; hNext = th;
    const tc = cCur; cCur = cNext; cNext = tc;
  }
  copyState(hCur, h, B * Up);
  copyState(cCur, c, B * Up);
}

/** The whole-sequence loop; `bf16` is a constant at each call, so each gets its own loops. */
// @ts-ignore: decorator
@inline function lstmRun(bf16: bool, p: LstmSequenceParams): void {
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, Rp = p.recurrentKernel;
  const h = p.h, c = p.c, hScratch = p.hScratch, cScratch = p.cScratch, outSeq = p.outSeq, outLast = p.outLast, mask = p.mask;
  const act = p.activation, recAct = p.recurrentActivation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask;
  if (B <= 0 || T <= 0 || U <= 0) return;
  const Up = (U + LSTM_UNIT_GROUP - 1) & ~(LSTM_UNIT_GROUP - 1);
  const groups = Up >> 2;
  const xRow = <usize>Up << 4; // bytes per (b, t) row of xproj: N = 4 * Up floats
  let hCur = h, cCur = c, hNext = hScratch, cNext = cScratch;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    const xStep = xproj + <usize>t * xRow;
    lstmStepGroups(bf16, 0, groups, xStep, s, t, B, T, U, Rp, hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    const th = hCur; hCur = hNext; hNext = th;
    const tc = cCur; cCur = cNext; cNext = tc;
  }
  copyState(hCur, h, B * Up);
  copyState(cCur, c, B * Up);
}
