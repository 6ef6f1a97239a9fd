// Whole-sequence GRU (Keras gate order z, r, h), all T steps in one call.
//
// Layout: unit groups of 4 units, 3 gates -> 12 engine columns per group, R packed with panel
// width W = 12 (K = U rows of 48 bytes per group).
//
// reset_after = 1 (Keras 2 / TF2 default, CuDNN-compatible): the candidate uses r * (h.R_h +
// rb_h), so z, r and the candidate's recurrent part all come from the same h . R panel; the dot
// loops park their sums and the cell update runs in a pass of its own (after all of a step's dot
// products at batch 1, after each quad of unit groups at batch > 1: see stepResetAfter).
//
// reset_after = 0 (Keras 1, early Keras 2): the candidate needs (r * h) . R_h, which depends on
// r of *all* units, so each step runs in two phases: phase 1 computes z and r for every unit
// (z is parked in the hNext buffer, r * h goes to the `rh` scratch), phase 2 multiplies rh by
// the R_h columns and finishes the update. Its R is packed in two regions (the cell's
// recurrentPanels): z and r of every group (W = 8), then the candidate's columns (W = 4), so each
// phase streams only its own columns; with one W = 12 panel both phases pulled every cache line
// of R, twice the traffic, which is what bounds a large GRU at batch 1.
import { applyAct } from './activations';
import { ACT_SIGMOID, ACT_TANH } from './activation-ids';
import { timeIndex, isKept, keptBefore, writeOutput, copyState } from './rnn-common';
import { madd, mulAdd } from './madd';
import { GruSequenceParams } from './param-blocks';

/** h' = z * h + (1 - z) * hh (as hh + z * (h - hh)), masking and outputs for one row/group. */
// @ts-ignore: decorator
@inline export function gruFinish(
  z: v128, hh: v128, b: i32, g: i32, s: i32, t: i32, T: i32, U: i32, Up: i32,
  hCur: usize, hNext: usize, outSeq: usize, outLast: usize, mask: usize, reverse: i32, zeroOutputForMask: i32,
): void {
  const off = (<usize>b * <usize>Up + (<usize>g << 2)) << 2;
  const lanes = min(4, U - (g << 2));
  const hOld = v128.load(hCur + off);
  if (isKept(mask, b, T, t)) {
    const hNew = f32x4.add(hh, f32x4.mul(z, f32x4.sub(hOld, hh)));
    v128.store(hNext + off, hNew);
    writeOutput(outSeq, outLast, b, s, T, U, g << 2, lanes, hNew);
  } else {
    v128.store(hNext + off, hOld);
    const keepPrev = !zeroOutputForMask && keptBefore(mask, b, T, s, reverse);
    writeOutput(outSeq, outLast, b, s, T, U, g << 2, lanes, keepPrev ? hOld : f32x4.splat(0.0));
  }
}

// @ts-ignore: decorator
@inline export function loadBias(recBias: usize, off: usize): v128 {
  return recBias ? v128.load(recBias + off) : f32x4.splat(0.0);
}

/** Batch > 1, reset_after = 1: parks one row's sums of a unit group - z and r with x added, in
 * their xproj slots, the candidate's h . R_h + rb_h in hNext - for the cell-update pass. */
// @ts-ignore: decorator
@inline function parkGates(x0: usize, z: v128, r: v128, n: usize, hR: v128): void {
  v128.store(x0, f32x4.add(v128.load(x0, 0), z), 0);
  v128.store(x0, f32x4.add(v128.load(x0, 16), r), 16);
  v128.store(n, hR);
}

/** Batch > 1, reset_after = 1: the cell update of every row of unit group g from the sums
 * parkGates left. Its iterations are independent, so the core overlaps their activation chains. */
// @ts-ignore: decorator
@inline function finishParked(
  act: i32, recAct: i32, g: i32, xg: usize, s: i32, t: i32, B: i32, T: i32, U: i32, Up: i32, stateRow: usize, xBatch: usize,
  hCur: usize, hNext: usize, outSeq: usize, outLast: usize, mask: usize, reverse: i32, zeroOutputForMask: i32,
): void {
  for (let b = 0; b < B; b++) {
    const x0 = xg + <usize>b * xBatch;
    const z = applyAct(v128.load(x0, 0), recAct);
    const r = applyAct(v128.load(x0, 16), recAct);
    const hh = applyAct(f32x4.add(v128.load(x0, 32), f32x4.mul(r, v128.load(hNext + <usize>b * stateRow + (<usize>g << 4)))), act);
    gruFinish(z, hh, b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
  }
}

/** Byte offset, from the first panel of a quad of unit groups, of the quad's vector j (0..11:
 * group j / 3, gate j % 3) in the W = 12 panels. */
// @ts-ignore: decorator
@inline function quadVector(j: i32, panelBytes: usize): usize {
  return <usize>(j / 3) * panelBytes + <usize>(j % 3) * 16;
}

/** Parks vector j of a quad pass for one row (as parkGates: z and r plus x in xproj, the
 * candidate's part in hNext). */
// @ts-ignore: decorator
@inline function parkVector(j: i32, acc: v128, x0: usize, n0: usize): void {
  if (j % 3 == 2) v128.store(n0 + (<usize>(j / 3) << 4), acc);
  else v128.store(x0 + <usize>j * 16, f32x4.add(v128.load(x0 + <usize>j * 16), acc));
}

/** Batch > 1, reset_after = 1: vectors 4 pass .. 4 pass + 3 of the quad of unit groups at gq,
 * for every row. Each sum starts from the recurrent bias and adds k in order, as in every other
 * path. */
// @ts-ignore: decorator
@inline function spanPass(
  pass: i32, gq: i32, B: i32, Rp: usize, panelBytes: usize, kBytes: usize, stateRow: usize, xBatch: usize,
  xStep: usize, recBias: usize, hCur: usize, hNext: usize,
): void {
  const j0 = pass * 4;
  const gOff = <usize>gq * 48;
  const base = Rp + <usize>gq * panelBytes;
  const bA = loadBias(recBias, gOff + <usize>j0 * 16), bB = loadBias(recBias, gOff + <usize>(j0 + 1) * 16);
  const bC = loadBias(recBias, gOff + <usize>(j0 + 2) * 16), bD = loadBias(recBias, gOff + <usize>(j0 + 3) * 16);
  let b = 0;
  for (; b + 2 <= B; b += 2) {
    let vA0 = bA, vB0 = bB, vC0 = bC, vD0 = bD, vA1 = bA, vB1 = bB, vC1 = bC, vD1 = bD;
    let a0 = hCur + <usize>b * stateRow;
    let a1 = a0 + stateRow;
    const aEnd = a0 + kBytes;
    let qA = base + quadVector(j0, panelBytes), qB = base + quadVector(j0 + 1, panelBytes);
    let qC = base + quadVector(j0 + 2, panelBytes), qD = base + quadVector(j0 + 3, panelBytes);
    // dot-loop rows=a0:vA0,vB0,vC0,vD0 a1:vA1,vB1,vC1,vD1 w=qA,qB,qC,qD step=48
    while (a0 < aEnd) {
      const w0 = v128.load(qA, 0), w1 = v128.load(qB, 0), w2 = v128.load(qC, 0), w3 = v128.load(qD, 0);
      const s0 = v128.load32_splat(a0);
      vA0 = madd(vA0, s0, w0); vB0 = madd(vB0, s0, w1);
      vC0 = madd(vC0, s0, w2); vD0 = madd(vD0, s0, w3);
      const s1 = v128.load32_splat(a1);
      vA1 = madd(vA1, s1, w0); vB1 = madd(vB1, s1, w1);
      vC1 = madd(vC1, s1, w2); vD1 = madd(vD1, s1, w3);
      a0 += 4; a1 += 4; qA += 48; qB += 48; qC += 48; qD += 48;
    }
    // end dot-loop
    const x0 = xStep + gOff + <usize>b * xBatch;
    const n0 = hNext + <usize>b * stateRow + (<usize>gq << 4);
    parkVector(j0, vA0, x0, n0); parkVector(j0 + 1, vB0, x0, n0); parkVector(j0 + 2, vC0, x0, n0); parkVector(j0 + 3, vD0, x0, n0);
    parkVector(j0, vA1, x0 + xBatch, n0 + stateRow); parkVector(j0 + 1, vB1, x0 + xBatch, n0 + stateRow);
    parkVector(j0 + 2, vC1, x0 + xBatch, n0 + stateRow); parkVector(j0 + 3, vD1, x0 + xBatch, n0 + stateRow);
  }
  if (b < B) {
    let vA = bA, vB = bB, vC = bC, vD = bD;
    let a0 = hCur + <usize>b * stateRow;
    const aEnd = a0 + kBytes;
    let qA = base + quadVector(j0, panelBytes), qB = base + quadVector(j0 + 1, panelBytes);
    let qC = base + quadVector(j0 + 2, panelBytes), qD = base + quadVector(j0 + 3, panelBytes);
    // dot-loop rows=a0:vA,vB,vC,vD w=qA,qB,qC,qD step=48 op=mulAdd
    while (a0 < aEnd) {
      const s0 = v128.load32_splat(a0);
      vA = mulAdd(vA, s0, v128.load(qA, 0)); vB = mulAdd(vB, s0, v128.load(qB, 0));
      vC = mulAdd(vC, s0, v128.load(qC, 0)); vD = mulAdd(vD, s0, v128.load(qD, 0));
      a0 += 4; qA += 48; qB += 48; qC += 48; qD += 48;
    }
    // end dot-loop
    const x0 = xStep + gOff + <usize>b * xBatch;
    const n0 = hNext + <usize>b * stateRow + (<usize>gq << 4);
    parkVector(j0, vA, x0, n0); parkVector(j0 + 1, vB, x0, n0); parkVector(j0 + 2, vC, x0, n0); parkVector(j0 + 3, vD, x0, n0);
  }
}

/**
 * The step functions take the unit groups [gBegin, gEnd) they compute (of `groups` in all):
 * gruSequence passes all of them, gru-sequence-parallel.ts one thread's share.
 *
 * One reset_after = 1 step: z, r and the candidate's recurrent part from h . R, then the cell
 * update.
 */
// @ts-ignore: decorator
@inline export function stepResetAfter(
  Up: i32, groups: i32, gBegin: i32, gEnd: i32, stateRow: usize, xBatch: usize, panelBytes: usize, kBytes: usize,
  xStep: usize, s: i32, t: i32, B: i32, T: i32, U: i32, Rp: usize, recBias: usize, hCur: usize, hNext: usize,
  outSeq: usize, outLast: usize, mask: usize, act: i32, recAct: i32, reverse: i32, zeroOutputForMask: i32,
): void {
  const nPair = B == 1 ? (gEnd - gBegin) & ~1 : 0; // groups done in pairs at batch 1
  const g0 = gBegin + nPair;
  if (B == 1) {
    // Single row: 3 accumulators per group would be bound by the add latency, so two unit
    // groups share one pass over h (6 accumulators, two panel pointers: a base + index address
    // per load cost a third of the step time). The cell update is kept off the dot loops'
    // critical path: each pass parks its pre-activations (z and r in this step's xproj slots,
    // which nothing reads afterwards, the candidate's h . R_h in hNext) and one loop after all
    // passes applies the activations, whose long chains (tanh -> div -> ...) are independent
    // from group to group there instead of stalling the next pass. Same sums in the same order
    // as the fused form, so the results are bit-identical to it.
    for (let i = 0; i < nPair; i += 2) {
      // Odd steps walk the pairs backwards, so each step starts on the panels the previous one
      // read last: when R outgrows L2 (U = 512: 3 MB against 2 MB here) those are still cached,
      // where walking the same way every step finds each panel evicted (1.3-1.5x at U = 512).
      const gp = gBegin + (s & 1 ? nPair - 2 - i : i);
      let qA = Rp + <usize>gp * panelBytes;
      let qB = qA + panelBytes;
      const gOff = <usize>gp * 48;
      let zA = loadBias(recBias, gOff), rA = loadBias(recBias, gOff + 16), nA = loadBias(recBias, gOff + 32);
      let zB = loadBias(recBias, gOff + 48), rB = loadBias(recBias, gOff + 64), nB = loadBias(recBias, gOff + 80);
      let a0 = hCur;
      const aEnd = a0 + kBytes;
      // dot-loop rows=a0:zA,rA,nA,zB,rB,nB w=qA,qB step=48 op=mulAdd
      while (a0 < aEnd) {
        const s0 = v128.load32_splat(a0);
        zA = mulAdd(zA, s0, v128.load(qA, 0)); rA = mulAdd(rA, s0, v128.load(qA, 16));
        nA = mulAdd(nA, s0, v128.load(qA, 32)); zB = mulAdd(zB, s0, v128.load(qB, 0));
        rB = mulAdd(rB, s0, v128.load(qB, 16)); nB = mulAdd(nB, s0, v128.load(qB, 32));
        a0 += 4; qA += 48; qB += 48;
      }
      // end dot-loop
      const x0 = xStep + gOff;
      v128.store(x0, f32x4.add(v128.load(x0, 0), zA), 0);
      v128.store(x0, f32x4.add(v128.load(x0, 16), rA), 16);
      v128.store(x0, f32x4.add(v128.load(x0, 48), zB), 48);
      v128.store(x0, f32x4.add(v128.load(x0, 64), rB), 64);
      const hn = hNext + (<usize>gp << 4);
      v128.store(hn, nA, 0);
      v128.store(hn, nB, 16);
    }
    for (let g = gBegin; g < g0; g++) {
      const x0 = xStep + <usize>g * 48;
      const z = applyAct(v128.load(x0, 0), recAct);
      const r = applyAct(v128.load(x0, 16), recAct);
      const hh = applyAct(f32x4.add(v128.load(x0, 32), f32x4.mul(r, v128.load(hNext + (<usize>g << 4)))), act);
      gruFinish(z, hh, 0, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
    }
  }
  // Batch > 1: four unit groups (12 vectors) in three passes of 2 rows x 4 vectors (8
  // accumulators, 4 weight vectors, 2 splats: the 2x16 block of gemm-f32-2x16.ts) through four
  // pointers into the W = 12 panels, each parking its sums; then the cell update of the quad's
  // rows in a pass whose iterations are independent (finishParked), where the fused epilogue
  // made each row block wait on its activation chain. Measured against the fused 2 rows x 1
  // group kernel (alternating, CPU time): plain build 0.94x the time at 512 units batch 32, 0.88x
  // at 128; relaxed build 0.81x (its fused multiply-add has the add's latency plus one cycle, so
  // six chains were latency-bound there). The 2-row loop below takes the 1-3 groups left over.
  // Tried and dropped: three rows x three vectors (2.2x the time, spills).
  const gQuadEnd = g0 + (B > 1 ? (gEnd - g0) & ~3 : 0); // g0 == gBegin at batch > 1
  for (let gq = g0; gq < gQuadEnd; gq += 4) {
    spanPass(0, gq, B, Rp, panelBytes, kBytes, stateRow, xBatch, xStep, recBias, hCur, hNext);
    spanPass(1, gq, B, Rp, panelBytes, kBytes, stateRow, xBatch, xStep, recBias, hCur, hNext);
    spanPass(2, gq, B, Rp, panelBytes, kBytes, stateRow, xBatch, xStep, recBias, hCur, hNext);
    for (let g = gq; g < gq + 4; g++) {
      const xg = xStep + <usize>g * 48;
      if (act == ACT_TANH && recAct == ACT_SIGMOID) {
        finishParked(ACT_TANH, ACT_SIGMOID, g, xg, s, t, B, T, U, Up, stateRow, xBatch, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
      } else {
        finishParked(act, recAct, g, xg, s, t, B, T, U, Up, stateRow, xBatch, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
      }
    }
  }
  for (let g = gQuadEnd; g < gEnd; g++) {
    const panel = Rp + <usize>g * panelBytes;
    const gOff = <usize>g * 48;
    const xg = xStep + gOff;
    const bz = loadBias(recBias, gOff), br = loadBias(recBias, gOff + 16), bh = loadBias(recBias, gOff + 32);
    let b = 0;
    for (; b + 2 <= B; b += 2) {
      let z0 = bz, r0 = br, n0 = bh, z1 = bz, r1 = br, n1 = bh;
      let a0 = hCur + <usize>b * stateRow;
      let a1 = a0 + stateRow;
      const aEnd = a0 + kBytes;
      let w = panel;
      // dot-loop rows=a0:z0,r0,n0 a1:z1,r1,n1 w=w step=48
      while (a0 < aEnd) {
        const w0 = v128.load(w, 0), w1 = v128.load(w, 16), w2 = v128.load(w, 32);
        const s0 = v128.load32_splat(a0);
        z0 = madd(z0, s0, w0); r0 = madd(r0, s0, w1);
        n0 = madd(n0, s0, w2);
        const s1 = v128.load32_splat(a1);
        z1 = madd(z1, s1, w0); r1 = madd(r1, s1, w1);
        n1 = madd(n1, s1, w2);
        a0 += 4; a1 += 4; w += 48;
      }
      // end dot-loop
      const x0 = xg + <usize>b * xBatch;
      const n = hNext + <usize>b * stateRow + (<usize>g << 4);
      parkGates(x0, z0, r0, n, n0);
      parkGates(x0 + xBatch, z1, r1, n + stateRow, n1);
    }
    if (b < B) {
      let z0 = bz, r0 = br, n0 = bh;
      let a0 = hCur + <usize>b * stateRow;
      const aEnd = a0 + kBytes;
      let w = panel;
      // dot-loop rows=a0:z0,r0,n0 w=w step=48 op=mulAdd
      while (a0 < aEnd) {
        const s0 = v128.load32_splat(a0);
        z0 = mulAdd(z0, s0, v128.load(w, 0)); r0 = mulAdd(r0, s0, v128.load(w, 16));
        n0 = mulAdd(n0, s0, v128.load(w, 32));
        a0 += 4; w += 48;
      }
      // end dot-loop
      parkGates(xg + <usize>b * xBatch, z0, r0, hNext + <usize>b * stateRow + (<usize>g << 4), n0);
    }
    // The default pair gets its own loop without the per-vector activation dispatch.
    if (act == ACT_TANH && recAct == ACT_SIGMOID) {
      finishParked(ACT_TANH, ACT_SIGMOID, g, xg, s, t, B, T, U, Up, stateRow, xBatch, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
    } else {
      finishParked(act, recAct, g, xg, s, t, B, T, U, Up, stateRow, xBatch, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
    }
  }
}

/** reset_after = 0, phase 1 epilogue of one row and unit group: z -> hNext, r * h -> rh. */
// @ts-ignore: decorator
@inline function gateRow(z: v128, r: v128, off: usize, hCur: usize, hNext: usize, rh: usize, recAct: i32): void {
  v128.store(hNext + off, applyAct(z, recAct));
  v128.store(rh + off, f32x4.mul(applyAct(r, recAct), v128.load(hCur + off)));
}

/** reset_after = 0, phase 1 of a step: z for every unit (parked in hNext) and r * h (into rh). */
// @ts-ignore: decorator
@inline export function gatesPhase(
  Up: i32, groups: i32, gBegin: i32, gEnd: i32, stateRow: usize, xBatch: usize, panelBytes: usize, kBytes: usize,
  xStep: usize, s: i32, B: i32, T: i32, U: i32, Rp: usize, recBias: usize, hCur: usize, hNext: usize, rh: usize, recAct: i32,
): void {
  // Phase 1: z -> hNext (temporarily), r * h -> rh.
  const zrPanel = <usize>U << 5; // z and r columns of a unit group: 8 floats per row
  const nPair = B == 1 ? (gEnd - gBegin) & ~1 : 0;
  const g1 = gBegin + nPair;
  if (B == 1) {
    // Single row: two unit groups per pass (4 accumulators instead of 2), one pointer per panel,
    // gates after all passes (as in stepResetAfter).
    for (let i = 0; i < nPair; i += 2) {
      const gp = gBegin + (s & 1 ? nPair - 2 - i : i); // backwards on odd steps, see stepResetAfter
      let qA = Rp + <usize>gp * zrPanel;
      let qB = qA + zrPanel;
      const gOff = <usize>gp * 48;
      const x0 = xStep + gOff;
      let zA = f32x4.add(v128.load(x0, 0), loadBias(recBias, gOff)), rA = f32x4.add(v128.load(x0, 16), loadBias(recBias, gOff + 16));
      let zB = f32x4.add(v128.load(x0, 48), loadBias(recBias, gOff + 48)), rB = f32x4.add(v128.load(x0, 64), loadBias(recBias, gOff + 64));
      let a0 = hCur;
      const aEnd = a0 + kBytes;
      // dot-loop rows=a0:zA,rA,zB,rB w=qA,qB step=32 op=mulAdd
      while (a0 < aEnd) {
        const s0 = v128.load32_splat(a0);
        zA = mulAdd(zA, s0, v128.load(qA, 0)); rA = mulAdd(rA, s0, v128.load(qA, 16));
        zB = mulAdd(zB, s0, v128.load(qB, 0)); rB = mulAdd(rB, s0, v128.load(qB, 16));
        a0 += 4; qA += 32; qB += 32;
      }
      // end dot-loop
      // Pre-activations only; the gates follow for all groups at once below (see stepResetAfter).
      const o0 = <usize>gp << 4;
      v128.store(hNext + o0, zA, 0);
      v128.store(hNext + o0, zB, 16);
      v128.store(rh + o0, rA, 0);
      v128.store(rh + o0, rB, 16);
    }
    for (let g = gBegin; g < g1; g++) {
      const o0 = <usize>g << 4;
      v128.store(hNext + o0, applyAct(v128.load(hNext + o0), recAct));
      v128.store(rh + o0, f32x4.mul(applyAct(v128.load(rh + o0), recAct), v128.load(hCur + o0)));
    }
  }
  // Batch > 1: two unit groups per pass over a pair of h rows (8 accumulators, 4 panel vectors:
  // the 2x16 block of gemm-f32-2x16.ts), so h (B rows of U floats, in L2 at U = 512, B = 32) is
  // read half as often per multiply-add as with one group per pass: 1.07x on GRU 512 batch 32
  // (1.05x at 128 units). Four rows of one group instead measured 0.75-0.85x (V8 spills
  // there), as did two groups in the candidate's old k-split loop. The odd last row of a paired group
  // runs in the loop below. Each (row, unit) sum is the same: results are bit-identical.
  const gPairEnd = B > 1 ? gBegin + ((gEnd - gBegin) & ~1) : g1;
  if (B > 1) {
    for (let gp = gBegin; gp < gPairEnd; gp += 2) {
      const gOff = <usize>gp * 48;
      const xg = xStep + gOff;
      const bzA = loadBias(recBias, gOff), brA = loadBias(recBias, gOff + 16);
      const bzB = loadBias(recBias, gOff + 48), brB = loadBias(recBias, gOff + 64);
      const sOff = <usize>gp << 4;
      for (let b = 0; b + 2 <= B; b += 2) {
        const x0 = xg + <usize>b * xBatch;
        const x1 = x0 + xBatch;
        let zA0 = f32x4.add(v128.load(x0, 0), bzA), rA0 = f32x4.add(v128.load(x0, 16), brA);
        let zB0 = f32x4.add(v128.load(x0, 48), bzB), rB0 = f32x4.add(v128.load(x0, 64), brB);
        let zA1 = f32x4.add(v128.load(x1, 0), bzA), rA1 = f32x4.add(v128.load(x1, 16), brA);
        let zB1 = f32x4.add(v128.load(x1, 48), bzB), rB1 = f32x4.add(v128.load(x1, 64), brB);
        let a0 = hCur + <usize>b * stateRow;
        let a1 = a0 + stateRow;
        const aEnd = a0 + kBytes;
        let qA = Rp + <usize>gp * zrPanel;
        let qB = qA + zrPanel;
        // dot-loop rows=a0:zA0,rA0,zB0,rB0 a1:zA1,rA1,zB1,rB1 w=qA,qB step=32 op=mulAdd
        while (a0 < aEnd) {
          const w0 = v128.load(qA, 0), w1 = v128.load(qA, 16), w2 = v128.load(qB, 0), w3 = v128.load(qB, 16);
          const s0 = v128.load32_splat(a0);
          zA0 = mulAdd(zA0, s0, w0); rA0 = mulAdd(rA0, s0, w1);
          zB0 = mulAdd(zB0, s0, w2); rB0 = mulAdd(rB0, s0, w3);
          const s1 = v128.load32_splat(a1);
          zA1 = mulAdd(zA1, s1, w0); rA1 = mulAdd(rA1, s1, w1);
          zB1 = mulAdd(zB1, s1, w2); rB1 = mulAdd(rB1, s1, w3);
          a0 += 4; a1 += 4; qA += 32; qB += 32;
        }
        // end dot-loop
        const o0 = <usize>b * stateRow + sOff;
        const o1 = o0 + stateRow;
        gateRow(zA0, rA0, o0, hCur, hNext, rh, recAct);
        gateRow(zB0, rB0, o0 + 16, hCur, hNext, rh, recAct);
        gateRow(zA1, rA1, o1, hCur, hNext, rh, recAct);
        gateRow(zB1, rB1, o1 + 16, hCur, hNext, rh, recAct);
      }
    }
  }
  for (let g = g1; g < gEnd; g++) {
    const panel = Rp + <usize>g * zrPanel;
    const gOff = <usize>g * 48;
    const xg = xStep + gOff;
    const bz = loadBias(recBias, gOff), br = loadBias(recBias, gOff + 16);
    const sOff = <usize>g << 4;
    let b = g < gPairEnd ? B & ~1 : 0;
    for (; b + 2 <= B; b += 2) {
      const x0 = xg + <usize>b * xBatch;
      const x1 = x0 + xBatch;
      let z0 = f32x4.add(v128.load(x0, 0), bz), r0 = f32x4.add(v128.load(x0, 16), br);
      let z1 = f32x4.add(v128.load(x1, 0), bz), r1 = f32x4.add(v128.load(x1, 16), br);
      const row0 = hCur + <usize>b * stateRow;
      let a0 = row0;
      let a1 = a0 + stateRow;
      const aEnd = a0 + kBytes;
      let w = panel;
      // dot-loop rows=a0:z0,r0 a1:z1,r1 w=w step=32 op=mulAdd
      while (a0 < aEnd) {
        const w0 = v128.load(w, 0), w1 = v128.load(w, 16);
        const s0 = v128.load32_splat(a0);
        z0 = mulAdd(z0, s0, w0); r0 = mulAdd(r0, s0, w1);
        const s1 = v128.load32_splat(a1);
        z1 = mulAdd(z1, s1, w0); r1 = mulAdd(r1, s1, w1);
        a0 += 4; a1 += 4; w += 32;
      }
      // end dot-loop
      const o0 = <usize>b * stateRow + sOff;
      gateRow(z0, r0, o0, hCur, hNext, rh, recAct);
      gateRow(z1, r1, o0 + stateRow, hCur, hNext, rh, recAct);
    }
    if (b < B) {
      const x0 = xg + <usize>b * xBatch;
      let z0 = f32x4.add(v128.load(x0, 0), bz), r0 = f32x4.add(v128.load(x0, 16), br);
      let a0 = hCur + <usize>b * stateRow;
      const aEnd = a0 + kBytes;
      let w = panel;
      // dot-loop rows=a0:z0,r0 w=w step=32 op=mulAdd
      while (a0 < aEnd) {
        const s0 = v128.load32_splat(a0);
        z0 = mulAdd(z0, s0, v128.load(w, 0)); r0 = mulAdd(r0, s0, v128.load(w, 16));
        a0 += 4; w += 32;
      }
      // end dot-loop
      gateRow(z0, r0, <usize>b * stateRow + sOff, hCur, hNext, rh, recAct);
    }
  }
}

/** reset_after = 0, phase 2 of a step: the candidate from rh . R_h, then the cell update. */
// @ts-ignore: decorator
@inline export function candidatePhase(
  Up: i32, groups: i32, gBegin: i32, gEnd: i32, stateRow: usize, xBatch: usize, panelBytes: usize, kBytes: usize,
  xStep: usize, s: i32, t: i32, B: i32, T: i32, U: i32, Rp: usize, recBias: usize, hCur: usize, hNext: usize, rh: usize,
  outSeq: usize, outLast: usize, mask: usize, act: i32, reverse: i32, zeroOutputForMask: i32,
): void {
  // Phase 2: hh = act(x_h + rb_h + rh . R_h); h' from z parked in hNext. The candidate has one
  // vector per row and unit group, so four unit groups share each pass (four panel pointers):
  // at batch > 1 two rows x four groups is the 2x16 block of gemm-f32-2x16.ts (8 accumulators,
  // 4 weight vectors and 2 splats per k; 1.5 loads per multiply-add before, with one group and
  // k split over two accumulators), at batch 1 four independent chains. Every (row, unit) is
  // summed in k order from x_h + rb_h in every path (quad, leftover group, batch 1 or not,
  // any thread share), so a batch-1 call, a batched call and the threads kernel agree bit for bit.
  // Measured and dropped: k unrolled by 2 in the 2x4-group loop (1.2x the time at 512 units,
  // spills), madd there in the relaxed build (batch 1 1.04-1.07x the time: four fused chains
  // are latency-bound, as in gatesPhase). One pointer instead of four (what a 16-column packing
  // of the candidate region would give) probed at 1.015x the time on the same loads: the four
  // pointer increments cost nothing measurable, so the layout stays the one batch 1 reads.
  const zrPanel = <usize>U << 5;
  const hPanel = <usize>U << 4; // the candidate's columns of a unit group: 4 floats per row
  const hRegion = Rp + <usize>groups * zrPanel;
  const gQuadEnd = gBegin + ((gEnd - gBegin) & ~3);
  if (B == 1) {
    // The cell update after all passes (as in stepResetAfter); each pass parks the candidate's
    // pre-activation in its xproj slot.
    const nQuad = gQuadEnd - gBegin;
    for (let i = 0; i < nQuad; i += 4) {
      const gp = gBegin + (s & 1 ? nQuad - 4 - i : i); // backwards on odd steps, see stepResetAfter
      let qA = hRegion + <usize>gp * hPanel;
      let qB = qA + hPanel, qC = qA + 2 * hPanel, qD = qA + 3 * hPanel;
      const gOff = <usize>gp * 48;
      const x0 = xStep + gOff;
      let nA = f32x4.add(v128.load(x0, 32), loadBias(recBias, gOff + 32));
      let nB = f32x4.add(v128.load(x0, 80), loadBias(recBias, gOff + 80));
      let nC = f32x4.add(v128.load(x0, 128), loadBias(recBias, gOff + 128));
      let nD = f32x4.add(v128.load(x0, 176), loadBias(recBias, gOff + 176));
      let a0 = rh;
      const aEnd = a0 + kBytes;
      // dot-loop rows=a0:nA,nB,nC,nD w=qA,qB,qC,qD step=16 op=mulAdd
      while (a0 < aEnd) {
        const s0 = v128.load32_splat(a0);
        nA = mulAdd(nA, s0, v128.load(qA, 0)); nB = mulAdd(nB, s0, v128.load(qB, 0));
        nC = mulAdd(nC, s0, v128.load(qC, 0)); nD = mulAdd(nD, s0, v128.load(qD, 0));
        a0 += 4; qA += 16; qB += 16; qC += 16; qD += 16;
      }
      // end dot-loop
      v128.store(x0, nA, 32);
      v128.store(x0, nB, 80);
      v128.store(x0, nC, 128);
      v128.store(x0, nD, 176);
    }
    for (let g = gQuadEnd; g < gEnd; g++) {
      const gOff = <usize>g * 48;
      const x0 = xStep + gOff;
      let n0 = f32x4.add(v128.load(x0, 32), loadBias(recBias, gOff + 32));
      let a0 = rh;
      const aEnd = a0 + kBytes;
      let w = hRegion + <usize>g * hPanel;
      // dot-loop rows=a0:n0 w=w step=16 op=mulAdd
      while (a0 < aEnd) {
        const s0 = v128.load32_splat(a0);
        n0 = mulAdd(n0, s0, v128.load(w, 0));
        a0 += 4; w += 16;
      }
      // end dot-loop
      v128.store(x0, n0, 32);
    }
    for (let g = gBegin; g < gEnd; g++) {
      const hh = applyAct(v128.load(xStep + <usize>g * 48, 32), act);
      gruFinish(v128.load(hNext + (<usize>g << 4)), hh, 0, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
    }
    return;
  }
  for (let gp = gBegin; gp < gQuadEnd; gp += 4) {
    const gOff = <usize>gp * 48;
    const xg = xStep + gOff;
    const bA = loadBias(recBias, gOff + 32), bB = loadBias(recBias, gOff + 80);
    const bC = loadBias(recBias, gOff + 128), bD = loadBias(recBias, gOff + 176);
    const panel = hRegion + <usize>gp * hPanel;
    const sOff = <usize>gp << 4;
    let b = 0;
    for (; b + 2 <= B; b += 2) {
      const x0 = xg + <usize>b * xBatch;
      const x1 = x0 + xBatch;
      let nA0 = f32x4.add(v128.load(x0, 32), bA), nB0 = f32x4.add(v128.load(x0, 80), bB);
      let nC0 = f32x4.add(v128.load(x0, 128), bC), nD0 = f32x4.add(v128.load(x0, 176), bD);
      let nA1 = f32x4.add(v128.load(x1, 32), bA), nB1 = f32x4.add(v128.load(x1, 80), bB);
      let nC1 = f32x4.add(v128.load(x1, 128), bC), nD1 = f32x4.add(v128.load(x1, 176), bD);
      let a0 = rh + <usize>b * stateRow;
      let a1 = a0 + stateRow;
      const aEnd = a0 + kBytes;
      let qA = panel;
      let qB = qA + hPanel, qC = qA + 2 * hPanel, qD = qA + 3 * hPanel;
      // dot-loop rows=a0:nA0,nB0,nC0,nD0 a1:nA1,nB1,nC1,nD1 w=qA,qB,qC,qD step=16 op=mulAdd
      while (a0 < aEnd) {
        const w0 = v128.load(qA, 0), w1 = v128.load(qB, 0), w2 = v128.load(qC, 0), w3 = v128.load(qD, 0);
        const s0 = v128.load32_splat(a0);
        nA0 = mulAdd(nA0, s0, w0); nB0 = mulAdd(nB0, s0, w1);
        nC0 = mulAdd(nC0, s0, w2); nD0 = mulAdd(nD0, s0, w3);
        const s1 = v128.load32_splat(a1);
        nA1 = mulAdd(nA1, s1, w0); nB1 = mulAdd(nB1, s1, w1);
        nC1 = mulAdd(nC1, s1, w2); nD1 = mulAdd(nD1, s1, w3);
        a0 += 4; a1 += 4; qA += 16; qB += 16; qC += 16; qD += 16;
      }
      // end dot-loop
      const o0 = <usize>b * stateRow + sOff;
      const o1 = o0 + stateRow;
      candidateFinish(nA0, nB0, nC0, nD0, b, gp, s, t, T, U, Up, o0, hCur, hNext, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
      candidateFinish(nA1, nB1, nC1, nD1, b + 1, gp, s, t, T, U, Up, o1, hCur, hNext, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
    }
    if (b < B) {
      const x0 = xg + <usize>b * xBatch;
      let nA = f32x4.add(v128.load(x0, 32), bA), nB = f32x4.add(v128.load(x0, 80), bB);
      let nC = f32x4.add(v128.load(x0, 128), bC), nD = f32x4.add(v128.load(x0, 176), bD);
      let a0 = rh + <usize>b * stateRow;
      const aEnd = a0 + kBytes;
      let qA = panel;
      let qB = qA + hPanel, qC = qA + 2 * hPanel, qD = qA + 3 * hPanel;
      // dot-loop rows=a0:nA,nB,nC,nD w=qA,qB,qC,qD step=16 op=mulAdd
      while (a0 < aEnd) {
        const s0 = v128.load32_splat(a0);
        nA = mulAdd(nA, s0, v128.load(qA, 0)); nB = mulAdd(nB, s0, v128.load(qB, 0));
        nC = mulAdd(nC, s0, v128.load(qC, 0)); nD = mulAdd(nD, s0, v128.load(qD, 0));
        a0 += 4; qA += 16; qB += 16; qC += 16; qD += 16;
      }
      // end dot-loop
      candidateFinish(nA, nB, nC, nD, b, gp, s, t, T, U, Up, <usize>b * stateRow + sOff, hCur, hNext, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
    }
  }
  // The 1-3 groups of a share that do not fill a quad: two rows per pass.
  for (let g = gQuadEnd; g < gEnd; g++) {
    const gOff = <usize>g * 48;
    const xg = xStep + gOff;
    const bh = loadBias(recBias, gOff + 32);
    const panel = hRegion + <usize>g * hPanel;
    const sOff = <usize>g << 4;
    let b = 0;
    for (; b + 2 <= B; b += 2) {
      const x0 = xg + <usize>b * xBatch;
      let n0 = f32x4.add(v128.load(x0, 32), bh), n1 = f32x4.add(v128.load(x0 + xBatch, 32), bh);
      let a0 = rh + <usize>b * stateRow;
      let a1 = a0 + stateRow;
      const aEnd = a0 + kBytes;
      let w = panel;
      // dot-loop rows=a0:n0 a1:n1 w=w step=16 op=mulAdd
      while (a0 < aEnd) {
        const w0 = v128.load(w, 0);
        const s0 = v128.load32_splat(a0);
        n0 = mulAdd(n0, s0, w0);
        const s1 = v128.load32_splat(a1);
        n1 = mulAdd(n1, s1, w0);
        a0 += 4; a1 += 4; w += 16;
      }
      // end dot-loop
      const o0 = <usize>b * stateRow + sOff;
      gruFinish(v128.load(hNext + o0), applyAct(n0, act), b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
      gruFinish(v128.load(hNext + o0 + stateRow), applyAct(n1, act), b + 1, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
    }
    if (b < B) {
      const x0 = xg + <usize>b * xBatch;
      let n0 = f32x4.add(v128.load(x0, 32), bh);
      let a0 = rh + <usize>b * stateRow;
      const aEnd = a0 + kBytes;
      let w = panel;
      // dot-loop rows=a0:n0 w=w step=16 op=mulAdd
      while (a0 < aEnd) {
        const s0 = v128.load32_splat(a0);
        n0 = mulAdd(n0, s0, v128.load(w, 0));
        a0 += 4; w += 16;
      }
      // end dot-loop
      gruFinish(v128.load(hNext + <usize>b * stateRow + sOff), applyAct(n0, act), b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
    }
  }
}

/** reset_after = 0: the cell update of one row of a quad of unit groups from its candidate sums
 * (z parked in hNext at byte offset o). */
// @ts-ignore: decorator
@inline function candidateFinish(
  nA: v128, nB: v128, nC: v128, nD: v128, b: i32, g: i32, s: i32, t: i32, T: i32, U: i32, Up: i32, o: usize,
  hCur: usize, hNext: usize, outSeq: usize, outLast: usize, mask: usize, act: i32, reverse: i32, zeroOutputForMask: i32,
): void {
  gruFinish(v128.load(hNext + o, 0), applyAct(nA, act), b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
  gruFinish(v128.load(hNext + o, 16), applyAct(nB, act), b, g + 1, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
  gruFinish(v128.load(hNext + o, 32), applyAct(nC, act), b, g + 2, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
  gruFinish(v128.load(hNext + o, 48), applyAct(nD, act), b, g + 3, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
}

/**
 * Units per interleaved group of this kernel's packed layout (state rows and gate columns are
 * padded to a multiple of it). Exported so the TypeScript cell reads its layout contract from
 * the module instead of restating it; the shifts below assume this value.
 */
export const GRU_UNIT_GROUP: i32 = 4;

/**
 * xproj [B][T][N], N = 3 * Up (Up = ceil(U/4)*4), engine column order, holding x . W + bias
 * (for reset_after = 1 the input bias only). Rp: R (U x N) packed with W = 12. recBias: 0 or N
 * floats in engine order (the recurrent bias of reset_after = 1; if given with reset_after = 0
 * it is added to each gate's pre-activation, outside the r * (...) product). h, hScratch, rh:
 * [B][Up]. Masking, outputs and reverse follow lstmSequence. `params` points at a
 * `GruSequenceParams` block (param-blocks.ts) holding all of these. xproj is consumed: at B = 1
 * the kernel parks pre-activations in its slots.
 */
export function gruSequence(params: usize): void {
  const p = changetype<GruSequenceParams>(params);
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, Rp = p.recurrentKernel, recBias = p.recurrentBias;
  const h = p.h, hScratch = p.hScratch, rh = p.rh, outSeq = p.outSeq, outLast = p.outLast, mask = p.mask;
  const act = p.activation, recAct = p.recurrentActivation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask;
  const resetAfter = p.resetAfter;
  if (B <= 0 || T <= 0 || U <= 0) return;
  const Up = (U + GRU_UNIT_GROUP - 1) & ~(GRU_UNIT_GROUP - 1);
  const groups = Up >> 2;
  const stateRow = <usize>Up << 2;
  const xRow = <usize>Up * 12; // N = 3 * Up floats
  const xBatch = xRow * <usize>T;
  const panelBytes = <usize>U * 48;
  const kBytes = <usize>U << 2;
  let hCur = h, hNext = hScratch;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    const xStep = xproj + <usize>t * xRow;
    if (resetAfter) {
      stepResetAfter(Up, groups, 0, groups, stateRow, xBatch, panelBytes, kBytes, xStep, s, t, B, T, U, Rp, recBias, hCur, hNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask);
    } else {
      gatesPhase(Up, groups, 0, groups, stateRow, xBatch, panelBytes, kBytes, xStep, s, B, T, U, Rp, recBias, hCur, hNext, rh, recAct);
      candidatePhase(Up, groups, 0, groups, stateRow, xBatch, panelBytes, kBytes, xStep, s, t, B, T, U, Rp, recBias, hCur, hNext, rh, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
    }
    const th = hCur; hCur = hNext; hNext = th;
  }
  copyState(hCur, h, B * Up);
}
