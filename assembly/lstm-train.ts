// LSTM forward for training and backpropagation through time, SIMD: the products are gemm calls
// (gemm-f32-2x16.ts) over whole batches, the gate arithmetic runs four units per f32x4. Same
// contract as the scalar kernels of backward.ts (Keras layouts: x [B][T][D], kernel [D][4U],
// recurrent kernel [U][4U], gate blocks i, f, c, o), plus optional initial states (truncated
// BPTT carries the state of the previous chunk) and Keras' dropout masks, one per sample and the
// same at every step: `xMask` [B][D] on the inputs, `hMask` [B][U] on the recurrent state.
//
// The planned activation buffer: `gates` [B][T][4U] holds the activated gates after the forward
// pass; the backward pass overwrites each (b, t) row with d(loss)/d(pre-activation) once its
// step is done, so the gate gradients of the whole sequence need no second buffer and feed the
// weight gradients as three big gemms after the time loop:
//   dW = (x * xMask)^T dZ,  dR = (h_{t-1} * hMask)^T dZ,  db = column sums of dZ,  dx = (dZ W^T) * xMask.
// Requires U % 4 == 0 (the caller uses the scalar kernels otherwise).
import { gemm } from './gemm-f32-2x16';
import { packPanels16 as pack, pad16, transposeF32 } from './pack-gates';
import { applyAct } from './activations';
import { tanhV, sigmoidV } from './simd-math';


/** Floats of the work buffer the two kernels below need for these sizes. */
export function lstmTrainWorkFloats(B: i32, T: i32, D: i32, U: i32): i32 {
  const G = 4 * U;
  const N = B * T;
  const forward = pad16(G) * D + pad16(G) * U + pad16(G) + B * G + B * U + N * D;
  const backward = pad16(U) * G + pad16(D) * G + B * U * 3 + pad16(G) * N + D * N + U * N + max(max(U * G, N * D), G * D);
  return max(forward, backward) + 64;
}


@inline function gateAct(z: v128, recAct: i32): v128 {
  return recAct == 2 ? sigmoidV(z) : applyAct(z, recAct);
}

/** d gate / d z from the gate output y: y (1 - y) for sigmoid, the hard sigmoids' slope inside (0, 1). */
@inline function gateSlope(y: v128, recAct: i32): v128 {
  if (recAct == 2) return f32x4.mul(y, f32x4.sub(f32x4.splat(1), y));
  const inside = v128.and(f32x4.gt(y, f32x4.splat(0)), f32x4.lt(y, f32x4.splat(1)));
  return v128.and(inside, f32x4.splat(recAct == 3 ? <f32>0.2 : <f32>1 / <f32>6));
}

/** dst[r][c] = src[r][c] * mask[r / rowsPerMask][c] for rows x cols (mask 0: plain copy). */
function maskedRows(src: usize, rows: i32, cols: i32, mask: usize, rowsPerMask: i32, dst: usize): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * bytes;
    const d = dst + <usize>r * bytes;
    if (!mask) {
      memory.copy(d, s, bytes);
      continue;
    }
    const m = mask + <usize>(r / rowsPerMask) * bytes;
    let i = 0;
    for (; i + 4 <= cols; i += 4) v128.store(d + (<usize>i << 2), f32x4.mul(v128.load(s + (<usize>i << 2)), v128.load(m + (<usize>i << 2))));
    for (; i < cols; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + (<usize>i << 2)) * load<f32>(m + (<usize>i << 2)));
  }
}

/**
 * Forward pass keeping what BPTT needs: gates [B][T][4U] (activated i, f, c~, o), cell states cs
 * and outputs hs [B][T][U]. h0 / c0 [B][U]: initial states (0: zeros). b: bias (0: none).
 * recAct: 2 sigmoid, 3 Keras 1/2 hard_sigmoid, 4 Keras 3 hard_sigmoid; the cell activation is tanh.
 */
export function lstmForwardTrainSimd(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, b: usize, recAct: i32,
  h0: usize, c0: usize, xMask: usize, hMask: usize, gates: usize, cs: usize, hs: usize, work: usize,
): void {
  const G = 4 * U;
  const N = B * T;
  const Wp = work;
  const Rp = Wp + (<usize>(pad16(G) * D) << 2);
  const bias = Rp + (<usize>(pad16(G) * U) << 2);
  const zr = bias + (<usize>pad16(G) << 2);
  const hPrev = zr + (<usize>(B * G) << 2);
  const xm = hPrev + (<usize>(B * U) << 2);
  pack(W, D, G, Wp);
  pack(R, U, G, Rp);
  memory.fill(bias, 0, <usize>pad16(G) << 2);
  if (b) memory.copy(bias, b, <usize>G << 2);
  // x . W + b for every (b, t) at once
  let xin = x;
  if (xMask) {
    maskedRows(x, N, D, xMask, T, xm);
    xin = xm;
  }
  gemm(xin, D, N, D, Wp, G, gates, G, bias);
  const rowG = <usize>(T * G) << 2;
  const rowU = <usize>(T * U) << 2;
  for (let t = 0; t < T; t++) {
    // h_{t-1} (masked) for all rows, then its product with R
    const hasPrev = t > 0 || h0 != 0;
    if (hasPrev) {
      for (let bi = 0; bi < B; bi++) {
        const src = t > 0 ? hs + <usize>bi * rowU + (<usize>((t - 1) * U) << 2) : h0 + (<usize>(bi * U) << 2);
        maskedRows(src, 1, U, hMask ? hMask + (<usize>(bi * U) << 2) : 0, 1, hPrev + (<usize>(bi * U) << 2));
      }
      gemm(hPrev, U, B, U, Rp, G, zr, G, 0);
    }
    for (let bi = 0; bi < B; bi++) {
      const g = gates + <usize>bi * rowG + (<usize>(t * G) << 2);
      const z = zr + (<usize>(bi * G) << 2);
      const c = cs + <usize>bi * rowU + (<usize>(t * U) << 2);
      const h = hs + <usize>bi * rowU + (<usize>(t * U) << 2);
      const cPrevRow: usize = t > 0 ? c - (<usize>U << 2) : c0 ? c0 + (<usize>(bi * U) << 2) : 0;
      for (let u = 0; u < U; u += 4) {
        const o = <usize>u << 2;
        const uo = <usize>U << 2;
        let zi = v128.load(g + o), zf = v128.load(g + uo + o), zc = v128.load(g + 2 * uo + o), zo = v128.load(g + 3 * uo + o);
        if (hasPrev) {
          zi = f32x4.add(zi, v128.load(z + o));
          zf = f32x4.add(zf, v128.load(z + uo + o));
          zc = f32x4.add(zc, v128.load(z + 2 * uo + o));
          zo = f32x4.add(zo, v128.load(z + 3 * uo + o));
        }
        const ig = gateAct(zi, recAct), fg = gateAct(zf, recAct), cg = tanhV(zc), og = gateAct(zo, recAct);
        v128.store(g + o, ig);
        v128.store(g + uo + o, fg);
        v128.store(g + 2 * uo + o, cg);
        v128.store(g + 3 * uo + o, og);
        let cn = f32x4.mul(ig, cg);
        if (cPrevRow) cn = f32x4.add(cn, f32x4.mul(fg, v128.load(cPrevRow + o)));
        v128.store(c + o, cn);
        v128.store(h + o, f32x4.mul(og, tanhV(cn)));
      }
    }
  }
}

/**
 * Backpropagation through time over the T steps of the forward pass above (same arguments), from
 * dhs [B][T][U] (d loss / d h_t from above). Writes dx [B][T][D] (if dx != 0), dW [D][4U],
 * dR [U][4U], db [4U] (if db != 0), and, if dh0 != 0, d loss / d h0 and d loss / d c0 ([B][U]
 * each at dh0 and dc0; dc0 must hold d loss / d c_T on entry, zeros when nothing reads the last
 * cell state). Overwrites `gates` with the gate gradients.
 */
export function lstmBackwardSimd(
  x: usize, B: i32, T: i32, D: i32, U: i32, W: usize, R: usize, recAct: i32,
  h0: usize, c0: usize, xMask: usize, hMask: usize, gates: usize, cs: usize, hs: usize, dhs: usize,
  dx: usize, dW: usize, dR: usize, db: usize, dh0: usize, dc0: usize, work: usize,
): void {
  const G = 4 * U;
  const N = B * T;
  const RTp = work; // R^T [4U][U] packed
  const WTp = RTp + (<usize>(pad16(U) * G) << 2); // W^T [4U][D] packed
  const dhNext = WTp + (<usize>(pad16(D) * G) << 2);
  const dcNext = dhNext + (<usize>(B * U) << 2);
  const tmp = dcNext + (<usize>(B * U) << 2);
  const dZp = tmp + (<usize>(B * U) << 2); // dZ [N][4U] packed
  const XT = dZp + (<usize>(pad16(G) * N) << 2); // (x * xMask)^T [D][N]
  const HT = XT + (<usize>(D * N) << 2); // (h_{t-1} * hMask)^T [U][N]
  const RT = HT + (<usize>(U * N) << 2); // R^T / W^T unpacked, or x * xMask: max(U G, N D) floats
  transposeF32(R, U, G, RT);
  pack(RT, G, U, RTp);
  memory.fill(dhNext, 0, <usize>(B * U) << 2);
  // with dh0, dc0 is in / out: on entry d loss / d c_T reaching the last cell state from outside (a returned state)
  if (dh0) memory.copy(dcNext, dc0, <usize>(B * U) << 2);
  else memory.fill(dcNext, 0, <usize>(B * U) << 2);
  const rowG = <usize>(T * G) << 2;
  const rowU = <usize>(T * U) << 2;
  const uo = <usize>U << 2;
  for (let t = T - 1; t >= 0; t--) {
    for (let bi = 0; bi < B; bi++) {
      const g = gates + <usize>bi * rowG + (<usize>(t * G) << 2);
      const c = cs + <usize>bi * rowU + (<usize>(t * U) << 2);
      const dhr = dhs + <usize>bi * rowU + (<usize>(t * U) << 2);
      const cPrevRow: usize = t > 0 ? c - uo : c0 ? c0 + (<usize>(bi * U) << 2) : 0;
      const dn = dhNext + (<usize>(bi * U) << 2);
      const dcn = dcNext + (<usize>(bi * U) << 2);
      for (let u = 0; u < U; u += 4) {
        const o = <usize>u << 2;
        const ig = v128.load(g + o), fg = v128.load(g + uo + o), cg = v128.load(g + 2 * uo + o), og = v128.load(g + 3 * uo + o);
        const tc = tanhV(v128.load(c + o));
        const dh = f32x4.add(v128.load(dhr + o), v128.load(dn + o));
        const dc = f32x4.add(f32x4.mul(f32x4.mul(dh, og), f32x4.sub(f32x4.splat(1), f32x4.mul(tc, tc))), v128.load(dcn + o));
        const cPrev = cPrevRow ? v128.load(cPrevRow + o) : f32x4.splat(0);
        v128.store(g + o, f32x4.mul(f32x4.mul(dc, cg), gateSlope(ig, recAct)));
        v128.store(g + uo + o, f32x4.mul(f32x4.mul(dc, cPrev), gateSlope(fg, recAct)));
        v128.store(g + 2 * uo + o, f32x4.mul(f32x4.mul(dc, ig), f32x4.sub(f32x4.splat(1), f32x4.mul(cg, cg))));
        v128.store(g + 3 * uo + o, f32x4.mul(f32x4.mul(dh, tc), gateSlope(og, recAct)));
        v128.store(dcn + o, f32x4.mul(dc, fg));
      }
    }
    if (t > 0 || dh0) {
      // d loss / d h_{t-1} = (dz_t R^T) * hMask
      gemm(gates + (<usize>(t * G) << 2), T * G, B, G, RTp, U, dhNext, U, 0);
      if (hMask) maskedRows(dhNext, B, U, hMask, 1, dhNext);
    }
  }
  if (dh0) {
    memory.copy(dh0, dhNext, <usize>(B * U) << 2);
    memory.copy(dc0, dcNext, <usize>(B * U) << 2);
  }
  // dZ packed as the B operand of the weight-gradient gemms
  pack(gates, N, G, dZp);
  // dW = (x * xMask)^T dZ
  if (xMask) {
    maskedRows(x, N, D, xMask, T, RT);
    transposeF32(RT, N, D, XT);
  } else {
    transposeF32(x, N, D, XT);
  }
  gemm(XT, N, D, N, dZp, G, dW, G, 0);
  // dR = (h_{t-1} * hMask)^T dZ, h_{-1} = h0 (or zeros)
  for (let bi = 0; bi < B; bi++) {
    for (let t = 0; t < T; t++) {
      const r = bi * T + t;
      const src: usize = t > 0 ? hs + <usize>bi * rowU + (<usize>((t - 1) * U) << 2) : h0 ? h0 + (<usize>(bi * U) << 2) : 0;
      for (let u = 0; u < U; u++) {
        let v: f32 = src ? load<f32>(src + (<usize>u << 2)) : 0;
        if (hMask) v *= load<f32>(hMask + (<usize>(bi * U + u) << 2));
        store<f32>(HT + (<usize>(u * N + r) << 2), v);
      }
    }
  }
  gemm(HT, N, U, N, dZp, G, dR, G, 0);
  if (db) {
    memory.fill(db, 0, <usize>G << 2);
    for (let r = 0; r < N; r++) {
      const z = gates + <usize>r * (<usize>G << 2);
      for (let j = 0; j < G; j += 4) v128.store(db + (<usize>j << 2), f32x4.add(v128.load(db + (<usize>j << 2)), v128.load(z + (<usize>j << 2))));
    }
  }
  if (dx) {
    // dx = (dZ W^T) * xMask
    transposeF32(W, D, G, RT);
    pack(RT, G, D, WTp);
    gemm(gates, G, N, G, WTp, D, dx, D, 0);
    if (xMask) maskedRows(dx, N, D, xMask, T, dx);
  }
}
