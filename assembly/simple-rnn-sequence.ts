// Whole-sequence SimpleRNN: h' = act(xproj + h . R), all T steps in one call.
//
// One gate, so a unit group is 16 units = one 16-column panel of R (W = 16) and the register
// block is the same 2 rows x 4 vectors as the gemm and LSTM kernels (see gemm-f32-2x16.ts).
import { applyAct } from './activations';
import { timeIndex, isKept, keptBefore, writeOutput, copyState } from './rnn-common';
import { madd, mulAdd } from './madd';
import { bf16Lo, bf16Hi } from './bf16';
import { SimpleRnnSequenceParams } from './param-blocks';

/** Activation, masking and outputs of one vector (4 units starting at u0) of one row. */
// @ts-ignore: decorator
@inline function simpleEpilogue(
  a: v128, kept: bool, keepPrev: bool, b: i32, u0: i32, s: i32, T: i32, U: i32, Up: i32,
  hCur: usize, hNext: usize, outSeq: usize, outLast: usize, act: i32,
): void {
  // Padding vectors (u0 >= U) still get their state written so it stays finite (their xproj
  // and R columns are zero), but produce no output.
  const off = (<usize>b * <usize>Up + <usize>u0) << 2;
  const lanes = U - u0;
  if (kept) {
    const hNew = applyAct(a, act);
    v128.store(hNext + off, hNew);
    if (lanes > 0) writeOutput(outSeq, outLast, b, s, T, U, u0, min(4, lanes), hNew);
  } else {
    const hOld = v128.load(hCur + off);
    v128.store(hNext + off, hOld);
    if (lanes > 0) writeOutput(outSeq, outLast, b, s, T, U, u0, min(4, lanes), keepPrev ? hOld : f32x4.splat(0.0));
  }
}

// @ts-ignore: decorator
@inline export function simpleRow(
  a0: v128, a1: v128, a2: v128, a3: v128, b: i32, g: i32, s: i32, t: i32, T: i32, U: i32, Up: i32,
  hCur: usize, hNext: usize, outSeq: usize, outLast: usize, mask: usize, act: i32, reverse: i32, zeroOutputForMask: i32,
): void {
  const kept = isKept(mask, b, T, t);
  const keepPrev = !kept && !zeroOutputForMask && keptBefore(mask, b, T, s, reverse);
  const u0 = g << 4;
  simpleEpilogue(a0, kept, keepPrev, b, u0, s, T, U, Up, hCur, hNext, outSeq, outLast, act);
  simpleEpilogue(a1, kept, keepPrev, b, u0 + 4, s, T, U, Up, hCur, hNext, outSeq, outLast, act);
  simpleEpilogue(a2, kept, keepPrev, b, u0 + 8, s, T, U, Up, hCur, hNext, outSeq, outLast, act);
  simpleEpilogue(a3, kept, keepPrev, b, u0 + 12, s, T, U, Up, hCur, hNext, outSeq, outLast, act);
}

/**
 * Units per interleaved group of this kernel's packed layout (state rows and gate columns are
 * padded to a multiple of it). Exported so the TypeScript cell reads its layout contract from
 * the module instead of restating it; the shifts below assume this value.
 */
export const SIMPLE_RNN_UNIT_GROUP: i32 = 16;

/** xproj [B][T][Up] (Up = ceil(U/16)*16), Rp = R (U x Up) packed with W = 16, h/hScratch
 * [B][Up]. Same masking/output/reverse conventions as lstmSequence. `params` points at a
 * `SimpleRnnSequenceParams` block (param-blocks.ts) holding all of these; with `recurrentBf16`
 * set, Rp is bfloat16 (packed by packGateColumnsBf16). */
export function simpleRnnSequence(params: usize): void {
  const p = changetype<SimpleRnnSequenceParams>(params);
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, Rp = p.recurrentKernel, h = p.h, hScratch = p.hScratch;
  const outSeq = p.outSeq, outLast = p.outLast, mask = p.mask, act = p.activation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask;
  if (p.recurrentBf16) simpleRnnRun(true, xproj, B, T, U, Rp, h, hScratch, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
  else simpleRnnRun(false, xproj, B, T, U, Rp, h, hScratch, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
}

/** The whole-sequence loop; `bf16` is a constant at each call, so each gets its own loops. */
// @ts-ignore: decorator
@inline function simpleRnnRun(
  bf16: bool, xproj: usize, B: i32, T: i32, U: i32, Rp: usize, h: usize, hScratch: usize,
  outSeq: usize, outLast: usize, mask: usize, act: i32, reverse: i32, zeroOutputForMask: i32,
): void {
  if (B <= 0 || T <= 0 || U <= 0) return;
  const Up = (U + SIMPLE_RNN_UNIT_GROUP - 1) & ~(SIMPLE_RNN_UNIT_GROUP - 1);
  const groups = Up >> 4;
  const stateRow = <usize>Up << 2;
  const xRow = <usize>Up << 2;
  const xBatch = xRow * <usize>T;
  const panelBytes = <usize>U << (bf16 ? 5 : 6); // U rows of 16 weights
  let hCur = h, hNext = hScratch;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    const xStep = xproj + <usize>t * xRow;
    for (let gi = 0; gi < groups; gi++) {
      // Batch 1: odd steps walk the unit groups backwards, so each step starts on the weight
      // panels the previous one read last: when R outgrows L2 (U >= ~720 here: 2 MB) those are
      // still cached, where walking the same way every step finds each panel evicted. Order only:
      // same results. (Larger batches reuse each panel over all rows; measured 2-8% slower there.)
      const g = B == 1 && s & 1 ? groups - 1 - gi : gi;
      const panel = Rp + <usize>g * panelBytes;
      const xg = xStep + (<usize>g << 6);
      let b = 0;
      for (; b + 2 <= B; b += 2) {
        const x0 = xg + <usize>b * xBatch;
        const x1 = x0 + xBatch;
        let p0 = v128.load(x0, 0), p1 = v128.load(x0, 16), p2 = v128.load(x0, 32), p3 = v128.load(x0, 48);
        let q0 = v128.load(x1, 0), q1 = v128.load(x1, 16), q2 = v128.load(x1, 32), q3 = v128.load(x1, 48);
        let a0 = hCur + <usize>b * stateRow;
        let a1 = a0 + stateRow;
        const aEnd = a0 + (<usize>U << 2);
        let r = panel;
        // dot-loop rows=a0:p0,p1,p2,p3 a1:q0,q1,q2,q3 w=r step=64 bf16=bf16
        if (bf16) {
          while (a0 < aEnd) {
            const bw0 = v128.load(r, 0), bw1 = v128.load(r, 16);
            const w0 = bf16Lo(bw0), w1 = bf16Hi(bw0), w2 = bf16Lo(bw1), w3 = bf16Hi(bw1);
            const s0 = v128.load32_splat(a0);
            p0 = madd(p0, s0, w0); p1 = madd(p1, s0, w1);
            p2 = madd(p2, s0, w2); p3 = madd(p3, s0, w3);
            const s1 = v128.load32_splat(a1);
            q0 = madd(q0, s1, w0); q1 = madd(q1, s1, w1);
            q2 = madd(q2, s1, w2); q3 = madd(q3, s1, w3);
            a0 += 4; a1 += 4; r += 32;
          }
        } else {
          while (a0 < aEnd) {
            const w0 = v128.load(r, 0), w1 = v128.load(r, 16), w2 = v128.load(r, 32), w3 = v128.load(r, 48);
            const s0 = v128.load32_splat(a0);
            p0 = madd(p0, s0, w0); p1 = madd(p1, s0, w1);
            p2 = madd(p2, s0, w2); p3 = madd(p3, s0, w3);
            const s1 = v128.load32_splat(a1);
            q0 = madd(q0, s1, w0); q1 = madd(q1, s1, w1);
            q2 = madd(q2, s1, w2); q3 = madd(q3, s1, w3);
            a0 += 4; a1 += 4; r += 64;
          }
        }
        // end dot-loop
        simpleRow(p0, p1, p2, p3, b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
        simpleRow(q0, q1, q2, q3, b + 1, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
      }
      if (b < B) {
        const x0 = xg + <usize>b * xBatch;
        let p0 = v128.load(x0, 0), p1 = v128.load(x0, 16), p2 = v128.load(x0, 32), p3 = v128.load(x0, 48);
        let a0 = hCur + <usize>b * stateRow;
        const aEnd = a0 + (<usize>U << 2);
        let r = panel;
        // dot-loop rows=a0:p0,p1,p2,p3 w=r step=64 bf16=bf16 op=mulAdd
        if (bf16) {
          while (a0 < aEnd) {
            const bw0 = v128.load(r, 0), bw1 = v128.load(r, 16);
            const s0 = v128.load32_splat(a0);
            p0 = mulAdd(p0, s0, bf16Lo(bw0)); p1 = mulAdd(p1, s0, bf16Hi(bw0));
            p2 = mulAdd(p2, s0, bf16Lo(bw1)); p3 = mulAdd(p3, s0, bf16Hi(bw1));
            a0 += 4; r += 32;
          }
        } else {
          while (a0 < aEnd) {
            const s0 = v128.load32_splat(a0);
            p0 = mulAdd(p0, s0, v128.load(r, 0)); p1 = mulAdd(p1, s0, v128.load(r, 16));
            p2 = mulAdd(p2, s0, v128.load(r, 32)); p3 = mulAdd(p3, s0, v128.load(r, 48));
            a0 += 4; r += 64;
          }
        }
        // end dot-loop
        simpleRow(p0, p1, p2, p3, b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
      }
    }
    const th = hCur; hCur = hNext; hNext = th;
  }
  copyState(hCur, h, B * Up);
}
