// Whole-sequence LSTM, GRU and SimpleRNN over a reduced-precision recurrent kernel (loadModel's
// `weights: 'int8'`, and `'bf16'` for GRU): per step, the recurrent product of every column
// (low-precision-product.ts) into the `products` scratch, then each cell's update from it, with
// the same epilogues (activations, masking, outputs) as the float32 kernels.
//
// The recurrent kernel is packed in 16-column panels of the cell's engine column order (one
// region per pass: GRU reset_after = 0 packs z and r of every unit, then the candidate's
// columns, so each pass streams only its own columns): LSTM's 16-column unit group is one
// panel, GRU's 12-column groups run across panels, SimpleRNN's 16 units are one panel.
// Activations, states, sums and biases stay float32. These kernels run on one thread.
import { applyAct } from './activations';
import { timeIndex, copyState } from './rnn-common';
import { lstmEpilogue, LSTM_UNIT_GROUP } from './lstm-sequence';
import { gruFinish, loadBias, GRU_UNIT_GROUP } from './gru-sequence';
import { simpleRow, SIMPLE_RNN_UNIT_GROUP } from './simple-rnn-sequence';
import { lowPrecisionProduct, lowPrecisionRowBytes } from './low-precision-product';
import { LstmSequenceParams, GruSequenceParams, SimpleRnnSequenceParams } from './param-blocks';

/** 16-column panels holding `cols` columns. */
// @ts-ignore: decorator
@inline function panelsOf(cols: i32): i32 {
  return (cols + 15) >> 4;
}

/** x + y, the input projection plus the recurrent product of one column vector. */
// @ts-ignore: decorator
@inline function sumAt(x: usize, y: usize, offset: usize): v128 {
  return f32x4.add(v128.load(x + offset), v128.load(y + offset));
}

/**
 * lstmSequence (lstm-sequence.ts) with the recurrent kernel in int8 (`recurrentInt8`, scales in
 * `recurrentScales`) or else bfloat16, 16-column panels; `products` holds batch * 4 * Up floats.
 */
export function lstmSequenceLowPrecision(params: usize): void {
  const p = changetype<LstmSequenceParams>(params);
  if (p.recurrentInt8) lstmRun(true, p);
  else lstmRun(false, p);
}

// @ts-ignore: decorator
@inline function lstmRun(int8: bool, p: LstmSequenceParams): void {
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, R = p.recurrentKernel, scales = p.recurrentScales, products = p.products;
  const outSeq = p.outSeq, outLast = p.outLast, mask = p.mask;
  const act = p.activation, recAct = p.recurrentActivation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask;
  if (B <= 0 || T <= 0 || U <= 0) return;
  const Up = (U + LSTM_UNIT_GROUP - 1) & ~(LSTM_UNIT_GROUP - 1);
  const groups = Up >> 2; // one 16-column panel per unit group
  const xRow = <usize>Up << 4;
  const xBatch = xRow * <usize>T;
  const stateRow = <usize>Up << 2;
  let hCur = p.h, cCur = p.c, hNext = p.hScratch, cNext = p.cScratch;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    lowPrecisionProduct(int8, hCur, stateRow, B, U, R, groups, scales, products, xRow, (s & 1) != 0);
    for (let b = 0; b < B; b++) {
      const x = xproj + <usize>b * xBatch + <usize>t * xRow;
      const q = products + <usize>b * xRow;
      for (let g = 0; g < groups; g++) {
        const o = <usize>g << 6;
        lstmEpilogue(
          sumAt(x, q, o), sumAt(x, q, o + 16), sumAt(x, q, o + 32), sumAt(x, q, o + 48), b, g, s, t, B, T, U, Up,
          hCur, cCur, hNext, cNext, outSeq, outLast, mask, act, recAct, reverse, zeroOutputForMask,
        );
      }
    }
    const th = hCur; hCur = hNext; hNext = th;
    const tc = cCur; cCur = cNext; cNext = tc;
  }
  copyState(hCur, p.h, B * Up);
  copyState(cCur, p.c, B * Up);
}

/**
 * simpleRnnSequence (simple-rnn-sequence.ts) with the recurrent kernel in int8 or bfloat16, as
 * lstmSequenceLowPrecision; `products` holds batch * Up floats.
 */
export function simpleRnnSequenceLowPrecision(params: usize): void {
  const p = changetype<SimpleRnnSequenceParams>(params);
  if (p.recurrentInt8) simpleRnnRun(true, p);
  else simpleRnnRun(false, p);
}

// @ts-ignore: decorator
@inline function simpleRnnRun(int8: bool, p: SimpleRnnSequenceParams): void {
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, R = p.recurrentKernel, scales = p.recurrentScales, products = p.products;
  const outSeq = p.outSeq, outLast = p.outLast, mask = p.mask, act = p.activation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask;
  if (B <= 0 || T <= 0 || U <= 0) return;
  const Up = (U + SIMPLE_RNN_UNIT_GROUP - 1) & ~(SIMPLE_RNN_UNIT_GROUP - 1);
  const groups = Up >> 4;
  const row = <usize>Up << 2; // xproj, state and product rows alike
  const xBatch = row * <usize>T;
  let hCur = p.h, hNext = p.hScratch;
  for (let s = 0; s < T; s++) {
    const t = timeIndex(s, T, reverse);
    lowPrecisionProduct(int8, hCur, row, B, U, R, groups, scales, products, row, (s & 1) != 0);
    for (let b = 0; b < B; b++) {
      const x = xproj + <usize>b * xBatch + <usize>t * row;
      const q = products + <usize>b * row;
      for (let g = 0; g < groups; g++) {
        const o = <usize>g << 6;
        simpleRow(sumAt(x, q, o), sumAt(x, q, o + 16), sumAt(x, q, o + 32), sumAt(x, q, o + 48), b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, act, reverse, zeroOutputForMask);
      }
    }
    const th = hCur; hCur = hNext; hNext = th;
  }
  copyState(hCur, p.h, B * Up);
}

/**
 * gruSequence (gru-sequence.ts) with the recurrent kernel in int8 or bfloat16 (bf16 GRU layers
 * run here: their 12- and 4-column panels have no bf16 form in gruSequence). reset_after = 1:
 * one 16-column-panel region of the 3 * Up engine columns; reset_after = 0: the z and r columns
 * (8 per unit group), then the candidate's (4 per unit group), each region padded to whole
 * panels, scales likewise. `products` holds batch * 16 * ceil(3 * Up / 16) floats; rh as in
 * gruSequence.
 */
export function gruSequenceLowPrecision(params: usize): void {
  const p = changetype<GruSequenceParams>(params);
  if (p.recurrentInt8) gruRun(true, p);
  else gruRun(false, p);
}

// @ts-ignore: decorator
@inline function gruRun(int8: bool, p: GruSequenceParams): void {
  const xproj = p.xproj, B = p.batch, T = p.steps, U = p.units, R = p.recurrentKernel, scales = p.recurrentScales, products = p.products;
  const recBias = p.recurrentBias, rh = p.rh, outSeq = p.outSeq, outLast = p.outLast, mask = p.mask;
  const act = p.activation, recAct = p.recurrentActivation, reverse = p.reverse, zeroOutputForMask = p.zeroOutputForMask;
  if (B <= 0 || T <= 0 || U <= 0) return;
  const Up = (U + GRU_UNIT_GROUP - 1) & ~(GRU_UNIT_GROUP - 1);
  const groups = Up >> 2;
  const xRow = <usize>Up * 12;
  const xBatch = xRow * <usize>T;
  const stateRow = <usize>Up << 2;
  let hCur = p.h, hNext = p.hScratch;
  if (p.resetAfter) {
    const panels = panelsOf(12 * groups);
    const qRow = <usize>panels << 6;
    for (let s = 0; s < T; s++) {
      const t = timeIndex(s, T, reverse);
      lowPrecisionProduct(int8, hCur, stateRow, B, U, R, panels, scales, products, qRow, (s & 1) != 0);
      for (let b = 0; b < B; b++) {
        const x = xproj + <usize>b * xBatch + <usize>t * xRow;
        const q = products + <usize>b * qRow;
        for (let g = 0; g < groups; g++) {
          const o = <usize>g * 48;
          const z = applyAct(f32x4.add(v128.load(x + o), f32x4.add(v128.load(q + o), loadBias(recBias, o))), recAct);
          const r = applyAct(f32x4.add(v128.load(x + o, 16), f32x4.add(v128.load(q + o, 16), loadBias(recBias, o + 16))), recAct);
          const hh = applyAct(f32x4.add(v128.load(x + o, 32), f32x4.mul(r, f32x4.add(v128.load(q + o, 32), loadBias(recBias, o + 32)))), act);
          gruFinish(z, hh, b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
        }
      }
      const th = hCur; hCur = hNext; hNext = th;
    }
  } else {
    const gatePanels = panelsOf(8 * groups);
    const candidatePanels = panelsOf(4 * groups);
    const gateRow = <usize>gatePanels << 6;
    const candidateRow = <usize>candidatePanels << 6;
    const R2 = R + <usize>gatePanels * <usize>U * lowPrecisionRowBytes(int8);
    const scales2 = scales + gateRow;
    for (let s = 0; s < T; s++) {
      const t = timeIndex(s, T, reverse);
      const backwards = (s & 1) != 0;
      // z (parked in hNext) and r * h (into rh) for every unit, as gruSequence's gatesPhase.
      lowPrecisionProduct(int8, hCur, stateRow, B, U, R, gatePanels, scales, products, gateRow, backwards);
      for (let b = 0; b < B; b++) {
        const x = xproj + <usize>b * xBatch + <usize>t * xRow;
        const q = products + <usize>b * gateRow;
        for (let g = 0; g < groups; g++) {
          const o = <usize>g * 48;
          const qo = <usize>g << 5;
          const so = <usize>b * stateRow + (<usize>g << 4);
          const z = applyAct(f32x4.add(v128.load(x + o), f32x4.add(v128.load(q + qo), loadBias(recBias, o))), recAct);
          const r = applyAct(f32x4.add(v128.load(x + o, 16), f32x4.add(v128.load(q + qo, 16), loadBias(recBias, o + 16))), recAct);
          v128.store(hNext + so, z);
          v128.store(rh + so, f32x4.mul(r, v128.load(hCur + so)));
        }
      }
      // The candidate from rh . R_h, then the update, as candidatePhase.
      lowPrecisionProduct(int8, rh, stateRow, B, U, R2, candidatePanels, scales2, products, candidateRow, backwards);
      for (let b = 0; b < B; b++) {
        const x = xproj + <usize>b * xBatch + <usize>t * xRow;
        const q = products + <usize>b * candidateRow;
        for (let g = 0; g < groups; g++) {
          const o = <usize>g * 48;
          const hh = applyAct(f32x4.add(v128.load(x + o, 32), f32x4.add(v128.load(q + (<usize>g << 4)), loadBias(recBias, o + 32))), act);
          gruFinish(v128.load(hNext + <usize>b * stateRow + (<usize>g << 4)), hh, b, g, s, t, T, U, Up, hCur, hNext, outSeq, outLast, mask, reverse, zeroOutputForMask);
        }
      }
      const th = hCur; hCur = hNext; hNext = th;
    }
  }
  copyState(hCur, p.h, B * Up);
}
