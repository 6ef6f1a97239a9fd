// Training kernels of GRU and SimpleRNN: a forward pass that keeps what backpropagation through
// time needs (gate activations and states per step, in buffers the caller plans) and the fused
// backward pass over the whole sequence. Layouts are Keras' fused ones: x [B][T][D], kernel
// [D][G·U], recurrent kernel [U][G·U], gate blocks z, r, h for GRU. The matrix-vector products
// run along the contiguous gate axis with f32x4 (axpy / dot below), scalar only in the tails.
//
// Masks (u8 [B][T], 0 = none) follow Keras: a masked step leaves the state unchanged (its output
// is the carried state, or zeros with zeroOut), so its gradient passes straight to the previous
// step. `reverse` processes the sequence from its end (the backward half of Bidirectional);
// every buffer stays indexed by the input's time position.
//
// Dropout (a RecurrentTrainParams block) follows Keras: the same inverted-dropout masks at every
// step of a sequence, on the inputs before the kernel and on the state before the recurrent
// kernel, one mask for all gate blocks or one per block; the state a step starts from may be a
// carried one (truncated BPTT), which gets no gradient, or a layer's initial_state, whose gradient
// the backward passes write out (the block's dh0 / dc0), as they take the gradient of the
// returned last state in (dhLast / dcLast: return_state, or the output without return_sequences).

import { timeIndex } from './rnn-common';
import { ld, st, axpy, dot } from './train-common';
import { RecurrentTrainParams } from './param-blocks';




/** out[0..N) += v[0..K) · M, M with K rows of `stride` floats (N <= stride: the first N columns). */
// @ts-ignore: decorator
@inline function addVecMat(out: usize, v: usize, K: i32, M: usize, stride: i32, N: i32): void {
  for (let k = 0; k < K; k++) {
    const a = ld(v, k);
    if (a != 0) axpy(out, a, M + (<usize>(k * stride) << 2), N);
  }
}

/** Gate activation: 2 sigmoid, 3 Keras 1/2 hard_sigmoid, 4 Keras 3 hard_sigmoid. */
@inline function gate(x: f32, recAct: i32): f32 {
  if (recAct == 3) return min(max(<f32>0.2 * x + 0.5, <f32>0), <f32>1);
  if (recAct == 4) return min(max(x + 3, <f32>0), <f32>6) / 6;
  return 1 / (1 + Mathf.exp(-x));
}
@inline function gateSlope(y: f32, recAct: i32): f32 {
  if (recAct == 3) return y > 0 && y < 1 ? <f32>0.2 : 0;
  if (recAct == 4) return y > 0 && y < 1 ? <f32>1 / 6 : 0;
  return y * (1 - y);
}
/** Candidate / SimpleRNN activation: 0 linear, 1 tanh, 2 sigmoid, 5 relu. */
@inline function act(x: f32, id: i32): f32 {
  if (id == 1) return Mathf.tanh(x);
  if (id == 2) return 1 / (1 + Mathf.exp(-x));
  if (id == 5) return max(x, <f32>0);
  return x;
}
/** Its derivative from the output y. */
@inline function actSlope(y: f32, id: i32): f32 {
  if (id == 1) return 1 - y * y;
  if (id == 2) return y * (1 - y);
  if (id == 5) return y > 0 ? <f32>1 : 0;
  return 1;
}

/** Pointer to row `row` of a matrix with `cols` floats per row. */
@inline function rowOf(p: usize, row: i32, cols: i32): usize {
  return p + (<usize>row * <usize>cols << 2);
}

/** Row (b * T + t) of processing step s of batch row b; -1 for s < 0 (before the first step). */
// @ts-ignore: decorator
@inline function stepRow(b: i32, T: i32, s: i32, reverse: i32): i32 {
  return s < 0 ? -1 : b * T + timeIndex(s, T, reverse);
}

/** Whether row (b * T + t) is kept: mask[b][t] != 0, or true without a mask (mask == 0). */
// @ts-ignore: decorator
@inline function keptRow(mask: usize, row: i32): bool {
  return mask == 0 || load<u8>(mask + <usize>row) != 0;
}

/**
 * A masked step in the forward pass: the state is carried over from `from` (the previous state,
 * 0 = zeros) and the output is that state, or zeros with zeroOut.
 */
@inline function carryMaskedStep(hs: usize, out: usize, row: i32, from: usize, U: i32, zeroOut: i32): void {
  const h = rowOf(hs, row, U);
  if (from) memory.copy(h, from, <usize>U << 2);
  else memory.fill(h, 0, <usize>U << 2);
  if (out) {
    if (zeroOut) memory.fill(rowOf(out, row, U), 0, <usize>U << 2);
    else memory.copy(rowOf(out, row, U), h, <usize>U << 2);
  }
}

/**
 * Entering step `row` of the forward pass: a masked step is carried over ({@link carryMaskedStep})
 * and reports false, so the caller skips the step's arithmetic.
 */
// @ts-ignore: decorator
@inline function enterForwardStep(mask: usize, hs: usize, out: usize, row: i32, from: usize, U: i32, zeroOut: i32): bool {
  if (keptRow(mask, row)) return true;
  carryMaskedStep(hs, out, row, from, U, zeroOut);
  return false;
}

/** Zeroes the weight gradients dW [D][G], dR [U][G] and db [G] (if nonzero) a backward pass accumulates into. */
// @ts-ignore: decorator
@inline function zeroGradients(dW: usize, dR: usize, db: usize, D: i32, U: i32, G: i32): void {
  memory.fill(dW, 0, <usize>(D * G) << 2);
  memory.fill(dR, 0, <usize>(U * G) << 2);
  if (db) memory.fill(db, 0, <usize>G << 2);
}

/**
 * Entering step `row` of the backward pass: adds the gradient of the step's output to dh (a
 * masked step's output is the carried state, or a constant zero with zeroOut). Returns whether
 * the step was kept; a masked one passes dh on unchanged and gives its input no gradient.
 */
@inline function enterBackwardStep(mask: usize, dh: usize, dOut: usize, dx: usize, row: i32, U: i32, D: i32, zeroOut: i32): bool {
  const kept = keptRow(mask, row);
  if (dOut && (kept || !zeroOut)) axpy(dh, 1, rowOf(dOut, row, U), U);
  if (!kept && dx) memory.fill(rowOf(dx, row, D), 0, <usize>D << 2);
  return kept;
}

/**
 * A field of the RecurrentTrainParams block at `extra`, or its default (0; maskSets 1) without
 * one. Read into locals once per call (no allocation: the kernels never use the managed heap).
 */
@inline function initialH(extra: usize): usize { return extra ? changetype<RecurrentTrainParams>(extra).h0 : 0; }
@inline function initialC(extra: usize): usize { return extra ? changetype<RecurrentTrainParams>(extra).c0 : 0; }
@inline function inputMaskOf(extra: usize): usize { return extra ? changetype<RecurrentTrainParams>(extra).inputMask : 0; }
@inline function stateMaskOf(extra: usize): usize { return extra ? changetype<RecurrentTrainParams>(extra).stateMask : 0; }
@inline function maskSetsOf(extra: usize): i32 { return extra ? max(changetype<RecurrentTrainParams>(extra).maskSets, 1) : 1; }
@inline function mixesDroppedState(extra: usize): bool { return extra ? changetype<RecurrentTrainParams>(extra).mixDroppedState != 0 : false; }
@inline function lastHGradient(extra: usize): usize { return extra ? changetype<RecurrentTrainParams>(extra).dhLast : 0; }
@inline function lastCGradient(extra: usize): usize { return extra ? changetype<RecurrentTrainParams>(extra).dcLast : 0; }
@inline function initialHGradient(extra: usize): usize { return extra ? changetype<RecurrentTrainParams>(extra).dh0 : 0; }
@inline function initialCGradient(extra: usize): usize { return extra ? changetype<RecurrentTrainParams>(extra).dc0 : 0; }

/**
 * Starts batch row b of a backward pass: the state gradient d [U] carried backwards begins as
 * the gradient of the returned last state (row b of `from`), or zeros. It enters before the
 * last processed step, so a masked last step (whose state is the carried one) passes it on.
 */
@inline function startStateGradient(d: usize, from: usize, b: i32, U: i32): void {
  if (from) memory.copy(d, rowOf(from, b, U), <usize>U << 2);
  else memory.fill(d, 0, <usize>U << 2);
}

/** Ends batch row b: what is left of the state gradient after the first processed step is d(loss)/d(initial state). */
@inline function endStateGradient(to: usize, d: usize, b: i32, U: i32): void {
  if (to) memory.copy(rowOf(to, b, U), d, <usize>U << 2);
}

/** Row b of a [B][n] buffer, or 0 when the buffer is absent. */
@inline function rowOrNone(p: usize, b: i32, n: i32): usize {
  return p ? rowOf(p, b, n) : 0;
}

/** Mask set g of one batch row's [sets][n] dropout masks (the only set when sets == 1). */
@inline function maskSet(m: usize, g: i32, sets: i32, n: i32): usize {
  const set: i32 = sets > 1 ? g : 0;
  return m + (<usize>(set * n) << 2);
}

/** dst[s] = src ⊙ m[s] for each of `sets` masks of n floats; returns dst. */
function dropSets(dst: usize, src: usize, m: usize, sets: i32, n: i32): usize {
  for (let s = 0; s < sets; s++) {
    const d = dst + (<usize>(s * n) << 2);
    const ms = m + (<usize>(s * n) << 2);
    for (let i = 0; i < n; i++) st(d, i, ld(src, i) * ld(ms, i));
  }
  return dst;
}

/** The vector gate block g reads: v itself, or its dropped copy (set g of `dropped`, or its only set). */
@inline function blockInput(v: usize, dropped: usize, g: i32, sets: i32, n: i32): usize {
  return dropped ? maskSet(dropped, g, sets, n) : v;
}

/**
 * out[b0·U .. (b0 + nb)·U) += (each block's input) · M for gate blocks b0..b0+nb of M ([K][G]):
 * one product over all the blocks without dropout, block by block with its dropped copy.
 */
function addBlocks(out: usize, v: usize, dropped: usize, K: i32, M: usize, G: i32, U: i32, b0: i32, nb: i32, sets: i32): void {
  const off = <usize>(b0 * U) << 2;
  if (!dropped || sets == 1) {
    addVecMat(out + off, blockInput(v, dropped, 0, sets, K), K, M + off, G, nb * U);
    return;
  }
  for (let g = b0; g < b0 + nb; g++) {
    const o = <usize>(g * U) << 2;
    addVecMat(out + o, maskSet(dropped, g, sets, K), K, M + o, G, U);
  }
}

/** out = bias (or zeros) over G floats. */
@inline function startWith(out: usize, bias: usize, G: i32): void {
  if (bias) memory.copy(out, bias, <usize>G << 2);
  else memory.fill(out, 0, <usize>G << 2);
}

/**
 * The backward of {@link addBlocks} for blocks b0..b0+nb given dz ([G], the gradient of the
 * projection): dM[:, blocks] += (block input)ᵀ·dz_block, and dv += m_block ⊙ (dz_block · M_blockᵀ)
 * (m = 1 without dropout) when dv != 0.
 */
function addBlocksBackward(v: usize, dropped: usize, m: usize, K: i32, M: usize, G: i32, U: i32, b0: i32, nb: i32, sets: i32, dz: usize, dM: usize, dv: usize): void {
  const single = !dropped || sets == 1;
  for (let g = b0; g < b0 + (single ? 1 : nb); g++) {
    const o = <usize>(g * U) << 2;
    const n = single ? nb * U : U;
    const src = blockInput(v, dropped, g, sets, K);
    const ms: usize = dropped ? maskSet(m, g, sets, K) : 0;
    for (let k = 0; k < K; k++) {
      const rowOff = <usize>(k * G) << 2;
      axpy(dM + rowOff + o, ld(src, k), dz + o, n);
      if (dv) {
        const d = dot(dz + o, M + rowOff + o, n);
        st(dv, k, ld(dv, k) + (ms ? ld(ms, k) * d : d));
      }
    }
  }
}

/**
 * The input side of a step's backward pass from dxp ([G], d(loss)/d(x·W + b)) over `nb` gate
 * blocks: dW += xᵀ·dxp, db += dxp, dx = dxp·Wᵀ, with the step's dropped input copies (0 without
 * dropout) and masks.
 */
@inline function inputSideBackward(x: usize, xDropped: usize, xm: usize, sets: i32, dx: usize, row: i32, D: i32, G: i32, U: i32, nb: i32, W: usize, dxp: usize, dW: usize, db: usize): void {
  if (db) axpy(db, 1, dxp, G);
  const dxr: usize = dx ? rowOf(dx, row, D) : 0;
  if (dxr) memory.fill(dxr, 0, <usize>D << 2);
  addBlocksBackward(rowOf(x, row, D), xDropped, xm, D, W, G, U, 0, nb, sets, dxp, dW, dxr);
}

/**
 * GRU forward for training. Saves gates [B][T][3U] (z, r, candidate after their activations),
 * rech [B][T][U] (reset_after only: the recurrent candidate term h·R_h + b_h before r
 * multiplies it), hs [B][T][U] (the state after each step, carried over masked steps) and out
 * [B][T][U] when out != 0 (hs, zeros at masked steps with zeroOut). bi: input bias [3U] or 0;
 * br: recurrent bias [3U] (reset_after) or 0. extra: a RecurrentTrainParams block (initial state,
 * dropout masks; in backward the returned states' gradients in and the initial states' out) or 0.
 * scratch: 6U + 3D + 3U floats.
 */
export function gruForwardTrain(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, bi: usize, br: usize, resetAfter: i32, actId: i32, recAct: i32,
  mask: usize, reverse: i32, zeroOut: i32, gates: usize, rech: usize, hs: usize, out: usize, scratch: usize, extra: usize,
): void {
  const G = 3 * U;
  const h0s = initialH(extra), inputMask = inputMaskOf(extra), stateMask = stateMaskOf(extra);
  const sets = maskSetsOf(extra);
  const xp = scratch;
  const rp = scratch + (<usize>G << 2);
  const xd = rp + (<usize>G << 2);
  const hd = xd + (<usize>(3 * D) << 2);
  for (let b = 0; b < B; b++) {
    const h0 = rowOrNone(h0s, b, U);
    const xm = rowOrNone(inputMask, b, sets * D);
    const hm = rowOrNone(stateMask, b, sets * U);
    for (let s = 0; s < T; s++) {
      const row = stepRow(b, T, s, reverse), prev = stepRow(b, T, s - 1, reverse);
      const hp: usize = prev >= 0 ? rowOf(hs, prev, U) : h0;
      if (!enterForwardStep(mask, hs, out, row, hp, U, zeroOut)) {
        memory.fill(rowOf(gates, row, G), 0, <usize>G << 2);
        continue;
      }
      const xr = rowOf(x, row, D);
      startWith(xp, bi, G);
      addBlocks(xp, xr, xm ? dropSets(xd, xr, xm, sets, D) : 0, D, W, G, U, 0, 3, sets);
      const hDropped: usize = hm && hp ? dropSets(hd, hp, hm, sets, U) : 0;
      const g = rowOf(gates, row, G);
      if (resetAfter) {
        // rec = h·R + br over all three blocks (zero state: just br)
        startWith(rp, br, G);
        if (hp) addBlocks(rp, hp, hDropped, U, R, G, U, 0, 3, sets);
        for (let u = 0; u < U; u++) {
          const z = gate(ld(xp, u) + ld(rp, u), recAct);
          const r = gate(ld(xp, U + u) + ld(rp, U + u), recAct);
          const rh = ld(rp, 2 * U + u);
          st(g, u, z);
          st(g, U + u, r);
          st(g, 2 * U + u, act(ld(xp, 2 * U + u) + r * rh, actId));
          st(rech, row * U + u, rh);
        }
      } else {
        // z and r from h·R_zr, then the candidate from (r·h)·R_h
        memory.fill(rp, 0, <usize>G << 2);
        if (hp) addBlocks(rp, hp, hDropped, U, R, G, U, 0, 2, sets);
        for (let u = 0; u < U; u++) st(g, u, gate(ld(xp, u) + ld(rp, u), recAct));
        for (let u = 0; u < U; u++) st(g, U + u, gate(ld(xp, U + u) + ld(rp, U + u), recAct));
        if (hp) {
          const hh = blockInput(hp, hDropped, 2, sets, U);
          // rp[2U..3U) = (r·h) · R_h
          for (let k = 0; k < U; k++) {
            const a = ld(g, U + k) * ld(hh, k);
            if (a != 0) axpy(rp + (<usize>(2 * U) << 2), a, R + (<usize>(k * G + 2 * U) << 2), U);
          }
        }
        for (let u = 0; u < U; u++) st(g, 2 * U + u, act(ld(xp, 2 * U + u) + ld(rp, 2 * U + u), actId));
      }
      const hMix: usize = mixesDroppedState(extra) && hDropped != 0 ? hDropped : hp;
      const hNew = rowOf(hs, row, U);
      for (let u = 0; u < U; u++) {
        const z = ld(g, u);
        const hpu: f32 = hMix ? ld(hMix, u) : 0;
        st(hNew, u, z * hpu + (1 - z) * ld(g, 2 * U + u));
      }
      if (out) memory.copy(rowOf(out, row, U), hNew, <usize>U << 2);
    }
  }
}

/**
 * GRU backpropagation through time (buffers of {@link gruForwardTrain}, the same extra). dOut
 * [B][T][U] is d(loss)/d(output) at every position (zeros where the layer's output does not use
 * a step). Writes dx [B][T][D] (if dx != 0), dW [D][3U], dR [U][3U], dbi [3U] and dbr [3U] (when
 * nonzero). With extra's dh0, the initial state's gradient (an initial_state from another layer;
 * a state carried by truncated BPTT is detached and asks for none); with dhLast, the gradient
 * of the returned last state enters before the last processed step. scratch: 3U + 3U + 2U + 3D
 * + 3U floats.
 */
export function gruBackward(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, resetAfter: i32, actId: i32, recAct: i32, mask: usize, reverse: i32, zeroOut: i32,
  gates: usize, rech: usize, hs: usize, dOut: usize, dx: usize, dW: usize, dR: usize, dbi: usize, dbr: usize, scratch: usize, extra: usize,
): void {
  const G = 3 * U;
  const h0s = initialH(extra), inputMask = inputMaskOf(extra), stateMask = stateMaskOf(extra);
  const dhLast = lastHGradient(extra), dh0s = initialHGradient(extra);
  const sets = maskSetsOf(extra);
  zeroGradients(dW, dR, dbi, D, U, G);
  if (dbr) memory.fill(dbr, 0, <usize>G << 2);
  const dxp = scratch; // d(loss)/d(input projection) [3U]
  const drec = dxp + (<usize>G << 2); // d(loss)/d(recurrent projection) [3U]
  const dh = drec + (<usize>G << 2); // d(loss)/d(state) carried backwards [U]
  const drh = dh + (<usize>U << 2); // d(loss)/d(r·h) (reset_after false) [U]
  const xd = drh + (<usize>U << 2);
  const hd = xd + (<usize>(3 * D) << 2);
  for (let b = 0; b < B; b++) {
    const h0 = rowOrNone(h0s, b, U);
    const xm = rowOrNone(inputMask, b, sets * D);
    const hm = rowOrNone(stateMask, b, sets * U);
    startStateGradient(dh, dhLast, b, U);
    for (let s = T - 1; s >= 0; s--) {
      const row = stepRow(b, T, s, reverse), prev = stepRow(b, T, s - 1, reverse);
      if (!enterBackwardStep(mask, dh, dOut, dx, row, U, D, zeroOut)) continue;
      const g = rowOf(gates, row, G);
      const hp: usize = prev >= 0 ? rowOf(hs, prev, U) : h0;
      const hDropped: usize = hm && hp ? dropSets(hd, hp, hm, sets, U) : 0;
      const mixDropped = mixesDroppedState(extra) && hDropped != 0;
      const hMix: usize = mixDropped ? hDropped : hp;
      for (let u = 0; u < U; u++) {
        const z = ld(g, u);
        const hh = ld(g, 2 * U + u);
        const d = ld(dh, u);
        const hpu: f32 = hMix ? ld(hMix, u) : 0;
        st(dxp, u, d * (hpu - hh) * gateSlope(z, recAct));
        st(dxp, 2 * U + u, d * (1 - z) * actSlope(hh, actId));
        // the direct path h' = z·h + ... (through the dropped state when the mix reads it)
        st(dh, u, mixDropped ? d * z * ld(hm, u) : d * z);
      }
      if (resetAfter) {
        for (let u = 0; u < U; u++) {
          const r = ld(g, U + u);
          const dc = ld(dxp, 2 * U + u);
          st(dxp, U + u, dc * ld(rech, row * U + u) * gateSlope(r, recAct));
          st(drec, 2 * U + u, dc * r);
        }
        // the z and r blocks of the recurrent projection get the same gradient as the input's
        memory.copy(drec, dxp, <usize>(2 * U) << 2);
        if (dbr) axpy(dbr, 1, drec, G);
        if (hp) addBlocksBackward(hp, hDropped, hm, U, R, G, U, 0, 3, sets, drec, dR, dh);
      } else if (hp) {
        const hh = blockInput(hp, hDropped, 2, sets, U);
        // d(r·h)_k = sum_j dc_j R_h[k][j]
        for (let k = 0; k < U; k++) st(drh, k, dot(dxp + (<usize>(2 * U) << 2), R + (<usize>(k * G + 2 * U) << 2), U));
        for (let u = 0; u < U; u++) st(dxp, U + u, ld(drh, u) * ld(hh, u) * gateSlope(ld(g, U + u), recAct));
        const mh: usize = hDropped ? maskSet(hm, 2, sets, U) : 0;
        for (let k = 0; k < U; k++) {
          const rk = ld(g, U + k);
          axpy(dR + (<usize>(k * G + 2 * U) << 2), rk * ld(hh, k), dxp + (<usize>(2 * U) << 2), U);
          const d = ld(drh, k) * rk;
          st(dh, k, ld(dh, k) + (mh ? d * ld(mh, k) : d));
        }
        addBlocksBackward(hp, hDropped, hm, U, R, G, U, 0, 2, sets, dxp, dR, dh);
      } else {
        // zero state: r does not reach the output
        memory.fill(dxp + (<usize>U << 2), 0, <usize>U << 2);
      }
      const xr = rowOf(x, row, D);
      inputSideBackward(x, xm ? dropSets(xd, xr, xm, sets, D) : 0, xm, sets, dx, row, D, G, U, 3, W, dxp, dW, dbi);
    }
    endStateGradient(dh0s, dh, b, U);
  }
}

/**
 * SimpleRNN forward for training: hs [B][T][U] (state after each step, carried over masked
 * steps) and out [B][T][U] when out != 0 (hs, zeros at masked steps with zeroOut). extra as
 * {@link gruForwardTrain} (one mask set). scratch: D + U floats.
 */
export function simpleRnnForwardTrain(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, bias: usize, actId: i32, mask: usize, reverse: i32, zeroOut: i32, hs: usize, out: usize,
  scratch: usize, extra: usize,
): void {
  const h0s = initialH(extra), inputMask = inputMaskOf(extra), stateMask = stateMaskOf(extra);
  const xd = scratch;
  const hd = scratch + (<usize>D << 2);
  for (let b = 0; b < B; b++) {
    const h0 = rowOrNone(h0s, b, U);
    const xm = rowOrNone(inputMask, b, D);
    const hm = rowOrNone(stateMask, b, U);
    for (let s = 0; s < T; s++) {
      const row = stepRow(b, T, s, reverse), prev = stepRow(b, T, s - 1, reverse);
      const hp: usize = prev >= 0 ? rowOf(hs, prev, U) : h0;
      if (!enterForwardStep(mask, hs, out, row, hp, U, zeroOut)) continue;
      const h = rowOf(hs, row, U);
      const xr = rowOf(x, row, D);
      startWith(h, bias, U);
      addBlocks(h, xr, xm ? dropSets(xd, xr, xm, 1, D) : 0, D, W, U, U, 0, 1, 1);
      if (hp) addBlocks(h, hp, hm ? dropSets(hd, hp, hm, 1, U) : 0, U, R, U, U, 0, 1, 1);
      for (let u = 0; u < U; u++) st(h, u, act(ld(h, u), actId));
      if (out) memory.copy(rowOf(out, row, U), h, <usize>U << 2);
    }
  }
}

/**
 * SimpleRNN backpropagation through time (buffers of {@link simpleRnnForwardTrain}, the same
 * extra); dOut as in {@link gruBackward}. Writes dx (if nonzero), dW [D][U], dR [U][U], db [U]
 * (if nonzero). scratch: 2U + D + U floats.
 */
export function simpleRnnBackward(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, actId: i32, mask: usize, reverse: i32, zeroOut: i32,
  hs: usize, dOut: usize, dx: usize, dW: usize, dR: usize, db: usize, scratch: usize, extra: usize,
): void {
  const h0s = initialH(extra), inputMask = inputMaskOf(extra), stateMask = stateMaskOf(extra);
  const dhLast = lastHGradient(extra), dh0s = initialHGradient(extra);
  zeroGradients(dW, dR, db, D, U, U);
  const dh = scratch;
  const dz = scratch + (<usize>U << 2);
  const xd = dz + (<usize>U << 2);
  const hd = xd + (<usize>D << 2);
  for (let b = 0; b < B; b++) {
    const h0 = rowOrNone(h0s, b, U);
    const xm = rowOrNone(inputMask, b, D);
    const hm = rowOrNone(stateMask, b, U);
    startStateGradient(dh, dhLast, b, U);
    for (let s = T - 1; s >= 0; s--) {
      const row = stepRow(b, T, s, reverse), prev = stepRow(b, T, s - 1, reverse);
      if (!enterBackwardStep(mask, dh, dOut, dx, row, U, D, zeroOut)) continue;
      for (let u = 0; u < U; u++) st(dz, u, ld(dh, u) * actSlope(ld(hs, row * U + u), actId));
      const xr = rowOf(x, row, D);
      inputSideBackward(x, xm ? dropSets(xd, xr, xm, 1, D) : 0, xm, 1, dx, row, D, U, U, 1, W, dz, dW, db);
      memory.fill(dh, 0, <usize>U << 2);
      const hp: usize = prev >= 0 ? rowOf(hs, prev, U) : h0;
      if (hp) addBlocksBackward(hp, hm ? dropSets(hd, hp, hm, 1, U) : 0, hm, U, R, U, U, 0, 1, 1, dz, dR, dh);
    }
    endStateGradient(dh0s, dh, b, U);
  }
}

/**
 * LSTM forward for training with masks, reverse processing, an initial state and dropout (the
 * plain case's entry point {@link lstmForwardTrain} is at the end of this file): gates [B][T][4U]
 * (i, f, candidate, o after their activations), cs [B][T][U] and hs [B][T][U] (cell and hidden
 * state after each step, both carried over masked steps), out as in {@link gruForwardTrain}. b:
 * bias [4U] or 0. extra as {@link gruForwardTrain}. scratch: 4D + 4U floats.
 */
export function lstmForwardTrainMasked(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, b: usize, actId: i32, recAct: i32,
  mask: usize, reverse: i32, zeroOut: i32, gates: usize, cs: usize, hs: usize, out: usize, scratch: usize, extra: usize,
): void {
  const G = 4 * U;
  const h0s = initialH(extra), c0s = initialC(extra), inputMask = inputMaskOf(extra), stateMask = stateMaskOf(extra);
  const sets = maskSetsOf(extra);
  const xd = scratch;
  const hd = scratch + (<usize>(4 * D) << 2);
  for (let bi = 0; bi < B; bi++) {
    const h0 = rowOrNone(h0s, bi, U);
    const c0 = rowOrNone(c0s, bi, U);
    const xm = rowOrNone(inputMask, bi, sets * D);
    const hm = rowOrNone(stateMask, bi, sets * U);
    for (let s = 0; s < T; s++) {
      const row = stepRow(bi, T, s, reverse), prev = stepRow(bi, T, s - 1, reverse);
      const g = rowOf(gates, row, G);
      const hp: usize = prev >= 0 ? rowOf(hs, prev, U) : h0;
      const cp: usize = prev >= 0 ? rowOf(cs, prev, U) : c0;
      if (!enterForwardStep(mask, hs, out, row, hp, U, zeroOut)) {
        carryMaskedStep(cs, 0, row, cp, U, 0);
        memory.fill(g, 0, <usize>G << 2);
        continue;
      }
      const xr = rowOf(x, row, D);
      startWith(g, b, G);
      addBlocks(g, xr, xm ? dropSets(xd, xr, xm, sets, D) : 0, D, W, G, U, 0, 4, sets);
      if (hp) addBlocks(g, hp, hm ? dropSets(hd, hp, hm, sets, U) : 0, U, R, G, U, 0, 4, sets);
      for (let u = 0; u < U; u++) {
        const ig = gate(ld(g, u), recAct);
        const fg = gate(ld(g, U + u), recAct);
        const cg = act(ld(g, 2 * U + u), actId);
        const og = gate(ld(g, 3 * U + u), recAct);
        st(g, u, ig);
        st(g, U + u, fg);
        st(g, 2 * U + u, cg);
        st(g, 3 * U + u, og);
        const c = fg * (cp ? ld(cp, u) : 0) + ig * cg;
        st(cs, row * U + u, c);
        st(hs, row * U + u, og * act(c, actId));
      }
      if (out) memory.copy(rowOf(out, row, U), rowOf(hs, row, U), <usize>U << 2);
    }
  }
}

/**
 * LSTM backpropagation through time for {@link lstmForwardTrainMasked}'s buffers (the same
 * extra); dOut as in {@link gruBackward}. Writes dx (if nonzero), dW [D][4U], dR [U][4U], db [4U]
 * (if nonzero). scratch: 4U + 2U + 4D + 4U floats.
 */
export function lstmBackwardMasked(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, actId: i32, recAct: i32, mask: usize, reverse: i32, zeroOut: i32,
  gates: usize, cs: usize, hs: usize, dOut: usize, dx: usize, dW: usize, dR: usize, db: usize, scratch: usize, extra: usize,
): void {
  const G = 4 * U;
  const h0s = initialH(extra), c0s = initialC(extra), inputMask = inputMaskOf(extra), stateMask = stateMaskOf(extra);
  const dhLast = lastHGradient(extra), dcLast = lastCGradient(extra), dh0s = initialHGradient(extra), dc0s = initialCGradient(extra);
  const sets = maskSetsOf(extra);
  zeroGradients(dW, dR, db, D, U, G);
  const dz = scratch;
  const dh = dz + (<usize>G << 2);
  const dc = dh + (<usize>U << 2);
  const xd = dc + (<usize>U << 2);
  const hd = xd + (<usize>(4 * D) << 2);
  for (let bi = 0; bi < B; bi++) {
    const h0 = rowOrNone(h0s, bi, U);
    const c0 = rowOrNone(c0s, bi, U);
    const xm = rowOrNone(inputMask, bi, sets * D);
    const hm = rowOrNone(stateMask, bi, sets * U);
    startStateGradient(dh, dhLast, bi, U);
    startStateGradient(dc, dcLast, bi, U);
    for (let s = T - 1; s >= 0; s--) {
      const row = stepRow(bi, T, s, reverse), prev = stepRow(bi, T, s - 1, reverse);
      // a masked step carries c as well: dc passes on unchanged
      if (!enterBackwardStep(mask, dh, dOut, dx, row, U, D, zeroOut)) continue;
      const g = rowOf(gates, row, G);
      const cp: usize = prev >= 0 ? rowOf(cs, prev, U) : c0;
      for (let u = 0; u < U; u++) {
        const ig = ld(g, u);
        const fg = ld(g, U + u);
        const cg = ld(g, 2 * U + u);
        const og = ld(g, 3 * U + u);
        const tc = act(ld(cs, row * U + u), actId);
        const dhu = ld(dh, u);
        const dcu = dhu * og * actSlope(tc, actId) + ld(dc, u);
        const cPrev: f32 = cp ? ld(cp, u) : 0;
        st(dz, u, dcu * cg * gateSlope(ig, recAct));
        st(dz, U + u, dcu * cPrev * gateSlope(fg, recAct));
        st(dz, 2 * U + u, dcu * ig * actSlope(cg, actId));
        st(dz, 3 * U + u, dhu * tc * gateSlope(og, recAct));
        st(dc, u, dcu * fg);
      }
      const xr = rowOf(x, row, D);
      inputSideBackward(x, xm ? dropSets(xd, xr, xm, sets, D) : 0, xm, sets, dx, row, D, G, U, 4, W, dz, dW, db);
      memory.fill(dh, 0, <usize>U << 2);
      const hp: usize = prev >= 0 ? rowOf(hs, prev, U) : h0;
      if (hp) addBlocksBackward(hp, hm ? dropSets(hd, hp, hm, sets, U) : 0, hm, U, R, G, U, 0, 4, sets, dz, dR, dh);
    }
    endStateGradient(dh0s, dh, bi, U);
    endStateGradient(dc0s, dc, bi, U);
  }
}

/**
 * The plain LSTM (tanh, no mask, forward order, zero initial state) on the masked kernels above:
 * gates [B][T][4U] after activation (i, f, c~, o), cell states cs and outputs hs [B][T][U]; the
 * path of layers/lstm.ts when units are not a multiple of 4 (no SIMD kernel) and of gradients.ts.
 */
export function lstmForwardTrain(x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, b: usize, recAct: i32, gates: usize, cs: usize, hs: usize): void {
  lstmForwardTrainMasked(x, B, T, D, U, W, R, b, 1, recAct, 0, 0, 0, gates, cs, hs, 0, 0, 0);
}

/**
 * Backpropagation through time for {@link lstmForwardTrain}'s buffers. dhs [B][T][U] is
 * d(loss)/d(h_t) from above (zeros except the last step when the layer does not return
 * sequences). Writes dx [B][T][D], dW [D][4U], dR [U][4U], db [4U] (if db != 0). scratch: 6U floats.
 */
export function lstmBackward(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, recAct: i32, gates: usize, cs: usize, hs: usize, dhs: usize,
  dx: usize, dW: usize, dR: usize, db: usize, scratch: usize,
): void {
  lstmBackwardMasked(x, B, T, D, U, W, R, 1, recAct, 0, 0, 0, gates, cs, hs, dhs, dx, dW, dR, db, scratch, 0);
}
