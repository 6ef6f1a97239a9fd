// Float64 reference recurrent layers with Keras semantics, plus a driver that runs the wasm
// kernels the way the engine does (pack weights, one gemm for the input projection, one
// sequence call).
import { actRef } from './reference.js';

/** x: [B][T][F]; kernel: [F][G*U] (Keras fused, gate-major columns); recurrent: [U][G*U]. */
function matRowTimes(vec, mat, rows, cols, gateOffset, U) {
  // returns vec (length rows) x mat[:, gateOffset .. gateOffset+U)
  const out = new Float64Array(U);
  for (let u = 0; u < U; u++) {
    let s = 0;
    for (let k = 0; k < rows; k++) s += vec[k] * mat[k * cols + gateOffset + u];
    out[u] = s;
  }
  return out;
}

/**
 * Generic Keras RNN loop. cell(xRow, state) -> { out, state }. Returns outSeq [B][T][U]
 * (processing order), outLast [B][U] and the final states.
 */
function runLoop({ B, T, U, mask, reverse, zeroOutputForMask, initState, cell }) {
  const outSeq = new Float64Array(B * T * U);
  const outLast = new Float64Array(B * U);
  const finalStates = [];
  for (let b = 0; b < B; b++) {
    let state = initState(b);
    let prevOut = new Float64Array(U); // Keras starts the "previous output" at zeros
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const kept = !mask || mask[b * T + t] !== 0;
      let out;
      if (kept) {
        const r = cell(b, t, state);
        state = r.state;
        out = r.out;
      } else {
        out = zeroOutputForMask ? new Float64Array(U) : prevOut;
      }
      outSeq.set(out, (b * T + s) * U);
      prevOut = out;
    }
    outLast.set(prevOut, b * U);
    finalStates.push(state);
  }
  return { outSeq, outLast, finalStates };
}

export function lstmRef({ x, B, T, F, U, kernel, recurrent, bias, h0, c0, mask, act, recAct, reverse, zeroOutputForMask }) {
  const G4 = 4 * U;
  return runLoop({
    B, T, U, mask, reverse, zeroOutputForMask,
    initState: (b) => ({ h: Float64Array.from(h0.subarray(b * U, (b + 1) * U)), c: Float64Array.from(c0.subarray(b * U, (b + 1) * U)) }),
    cell: (b, t, { h, c }) => {
      const xr = x.subarray((b * T + t) * F, (b * T + t + 1) * F);
      const z = [];
      for (let g = 0; g < 4; g++) {
        const a = matRowTimes(xr, kernel, F, G4, g * U, U);
        const r = matRowTimes(h, recurrent, U, G4, g * U, U);
        z.push(a.map((v, u) => v + r[u] + bias[g * U + u]));
      }
      const hn = new Float64Array(U);
      const cn = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        const i = actRef(recAct, z[0][u]);
        const f = actRef(recAct, z[1][u]);
        const cc = actRef(act, z[2][u]);
        const o = actRef(recAct, z[3][u]);
        cn[u] = f * c[u] + i * cc;
        hn[u] = o * actRef(act, cn[u]);
      }
      return { out: hn, state: { h: hn, c: cn } };
    },
  });
}

export function gruRef({ x, B, T, F, U, kernel, recurrent, bias, recBias, h0, mask, act, recAct, reverse, zeroOutputForMask, resetAfter }) {
  const G3 = 3 * U;
  return runLoop({
    B, T, U, mask, reverse, zeroOutputForMask,
    initState: (b) => ({ h: Float64Array.from(h0.subarray(b * U, (b + 1) * U)) }),
    cell: (b, t, { h }) => {
      const xr = x.subarray((b * T + t) * F, (b * T + t + 1) * F);
      const xz = matRowTimes(xr, kernel, F, G3, 0, U).map((v, u) => v + bias[u]);
      const xrr = matRowTimes(xr, kernel, F, G3, U, U).map((v, u) => v + bias[U + u]);
      const xh = matRowTimes(xr, kernel, F, G3, 2 * U, U).map((v, u) => v + bias[2 * U + u]);
      const rb = recBias ?? new Float64Array(3 * U);
      const rz = matRowTimes(h, recurrent, U, G3, 0, U);
      const rr = matRowTimes(h, recurrent, U, G3, U, U);
      const z = new Float64Array(U);
      const r = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        z[u] = actRef(recAct, xz[u] + rz[u] + rb[u]);
        r[u] = actRef(recAct, xrr[u] + rr[u] + rb[U + u]);
      }
      const hh = new Float64Array(U);
      if (resetAfter) {
        const rh = matRowTimes(h, recurrent, U, G3, 2 * U, U);
        for (let u = 0; u < U; u++) hh[u] = actRef(act, xh[u] + r[u] * (rh[u] + rb[2 * U + u]));
      } else {
        const rhv = h.map((v, u) => r[u] * v);
        const rh = matRowTimes(rhv, recurrent, U, G3, 2 * U, U);
        for (let u = 0; u < U; u++) hh[u] = actRef(act, xh[u] + rh[u] + rb[2 * U + u]);
      }
      const hn = new Float64Array(U);
      for (let u = 0; u < U; u++) hn[u] = z[u] * h[u] + (1 - z[u]) * hh[u];
      return { out: hn, state: { h: hn } };
    },
  });
}

export function simpleRnnRef({ x, B, T, F, U, kernel, recurrent, bias, h0, mask, act, reverse, zeroOutputForMask }) {
  return runLoop({
    B, T, U, mask, reverse, zeroOutputForMask,
    initState: (b) => ({ h: Float64Array.from(h0.subarray(b * U, (b + 1) * U)) }),
    cell: (b, t, { h }) => {
      const xr = x.subarray((b * T + t) * F, (b * T + t + 1) * F);
      const a = matRowTimes(xr, kernel, F, U, 0, U);
      const r = matRowTimes(h, recurrent, U, U, 0, U);
      const hn = a.map((v, u) => actRef(act, v + r[u] + bias[u]));
      return { out: hn, state: { h: hn } };
    },
  });
}

/**
 * Packs a Keras fused [K][G*U] matrix into engine panels with the wasm packer (as the engine
 * does at load time). Returns the pointer.
 */
export function packFused(Kx, mat, Kd, U, G, UG, W) {
  const Up = Math.ceil(U / UG) * UG;
  const N = G * Up;
  const floats = Math.ceil(N / W) * Kd * W;
  const dst = Kx.alloc(floats * 4);
  const src = Kx.putF32(mat);
  for (let g = 0; g < G; g++) Kx.k.packGateColumns(src + g * U * 4, G * U, Kd, U, g, G, UG, dst, W);
  return { ptr: dst, N, Up };
}

/**
 * A GRU's recurrent kernel as gruSequence reads it: one W = 12 panel (reset_after = 1), or for
 * reset_after = 0 z and r (W = 8) then the candidate (W = 4), regions one after the other.
 */
export function packGruRecurrent(Kx, mat, U, resetAfter) {
  if (resetAfter) return packFused(Kx, mat, U, U, 3, 4, 12);
  const Up = Math.ceil(U / 4) * 4;
  const dst = Kx.alloc(3 * Up * U * 4);
  const src = Kx.putF32(mat);
  for (const [g, j, G] of [[0, 0, 2], [1, 1, 2]]) Kx.k.packGateColumns(src + g * U * 4, 3 * U, U, U, j, G, 4, dst, 8);
  Kx.k.packGateColumns(src + 2 * U * 4, 3 * U, U, U, 0, 1, 4, dst + 2 * Up * U * 4, 4);
  return { ptr: dst, N: 3 * Up, Up };
}

/** Input projection xproj[B*T][N] = x . W + bias with the wasm gemm (bias engine-ordered). */
export function inputProjection(Kx, x, rows, F, kernel, bias, U, G, UG) {
  const W = packFused(Kx, kernel, F, U, G, UG, 16);
  const Bb = packFused(Kx, bias, 1, U, G, UG, 16);
  const xp = Kx.alloc(rows * W.N * 4);
  Kx.k.gemm(Kx.putF32(x), F, rows, F, W.ptr, W.N, xp, W.N, Bb.ptr);
  return { xproj: xp, N: W.N, Up: W.Up };
}

/** [B][Up] state buffer from a [B][U] array; padding lanes get `pad` (must be ignored). */
export function putState(Kx, arr, B, U, Up, pad = 0) {
  const buf = new Float32Array(B * Up).fill(pad);
  for (let b = 0; b < B; b++) for (let u = 0; u < U; u++) buf[b * Up + u] = arr[b * U + u];
  return Kx.putF32(buf);
}

export function getState(Kx, ptr, B, U, Up) {
  const buf = Kx.getF32(ptr, B * Up);
  const out = new Float32Array(B * U);
  for (let b = 0; b < B; b++) for (let u = 0; u < U; u++) out[b * U + u] = buf[b * Up + u];
  return out;
}
