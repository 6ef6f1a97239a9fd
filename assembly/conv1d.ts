// 1D convolutions over time, channels last: x [B][T][C] -> out [B][Tout][F].
//
// A convolution is a GEMM: output row (b, t) is the dot product of the receptive field
// x[b][t*stride - padLeft + j*dilation][c] (j < k, c < C, zero outside [0, T)) with the kernel
// viewed as a (k*C) x F matrix. Keras stores its kernel as [k][C/groups][F] row-major, which is
// exactly that matrix, so it is packed once into the 16-column panels of gemm-f32-2x16.ts.
//
// Two ways to feed the GEMM its A rows:
//  * direct (groups == 1, dilation == 1): the receptive field of step t is the contiguous run of
//    k*C floats starting at x[t*stride - padLeft], so A is the (zero-padded) input itself with a
//    row stride of stride*C floats (rows overlap; A is only read). Padding costs one copy of the
//    sequence, no k-fold im2col expansion.
//  * im2col (dilation > 1 or grouped convolutions): receptive fields are gathered into a scratch
//    block of at most IM2COL_ROWS rows at a time, so the scratch stays small for long sequences.
import { gemm } from './gemm-f32-2x16';
import { Conv1dParams, DepthwiseConv1dParams } from './param-blocks';

/** Output rows gathered per im2col block (the block then stays in L2 for the GEMM). */
const IM2COL_ROWS: i32 = 128;

// @ts-ignore: decorator
@inline function panelFloats(N: i32, K: i32): i32 {
  return ((N + 15) >> 4) * 16 * K;
}

/** True when the direct path applies (see the file comment). */
// @ts-ignore: decorator
@inline function isDirect(dilation: i32, groups: i32): bool {
  return dilation == 1 && groups == 1;
}

/** Rows of the zero-padded copy the direct path reads: the last window ends at (Tout-1)*stride + k. */
// @ts-ignore: decorator
@inline function paddedRows(Tout: i32, k: i32, stride: i32): i32 {
  return (Tout - 1) * stride + k;
}

/** Floats of scratch `conv1d` needs for these sizes (0 when it reads the input in place). */
export function conv1dScratchFloats(T: i32, C: i32, Tout: i32, k: i32, stride: i32, dilation: i32, padLeft: i32, groups: i32): i32 {
  if (Tout <= 0) return 0;
  if (isDirect(dilation, groups)) {
    const rows = paddedRows(Tout, k, stride);
    return padLeft == 0 && rows <= T ? 0 : rows * C;
  }
  return min(IM2COL_ROWS, Tout) * k * (C / groups);
}

/** Gathers receptive fields of output steps t0..t0+rows for channels [c0, c0+cg) of one sequence:
 * dst[r][j*cg + c] = xb[(t0+r)*stride - padLeft + j*dilation][c0 + c], zero outside [0, T). */
function im2col(xb: usize, T: i32, C: i32, c0: i32, cg: i32, k: i32, stride: i32, dilation: i32, padLeft: i32, t0: i32, rows: i32, dst: usize): void {
  const cgBytes = <usize>cg << 2;
  let d = dst;
  for (let r = 0; r < rows; r++) {
    let src = (t0 + r) * stride - padLeft;
    for (let j = 0; j < k; j++) {
      if (src >= 0 && src < T) memory.copy(d, xb + ((<usize>src * <usize>C + <usize>c0) << 2), cgBytes);
      else memory.fill(d, 0, cgBytes);
      d += cgBytes;
      src += dilation;
    }
  }
}

/**
 * out[b][t][f] = bias[f] + sum_{j,c} x[b][t*stride - padLeft + j*dilation][g*cg + c] * W[j][c][f]
 * for the group g = f / (F/groups), cg = C/groups. W holds one packed panel set per group
 * (group g's K x F/groups matrix, K = k*cg, packed as gemm expects, groups back to back); bias is
 * 0 or one zero-padded ceil((F/groups)/16)*16 block per group. scratch: conv1dScratchFloats().
 * `params` points at a Conv1dParams block (param-blocks.ts).
 */
export function conv1d(params: usize): void {
  const p = changetype<Conv1dParams>(params);
  const x = p.x, B = p.batch, T = p.steps, C = p.channels, out = p.out, Tout = p.outSteps, F = p.filters;
  const k = p.size, stride = p.stride, dilation = p.dilation, padLeft = p.padLeft, groups = p.groups;
  const W = p.kernel, bias = p.bias, scratch = p.scratch;
  if (B <= 0 || Tout <= 0 || F <= 0) return;
  const inBatch = <usize>T * <usize>C << 2;
  const outBatch = <usize>Tout * <usize>F << 2;
  if (isDirect(dilation, groups)) {
    const K = k * C;
    const rows = paddedRows(Tout, k, stride);
    const inPlace = padLeft == 0 && rows <= T;
    for (let b = 0; b < B; b++) {
      let a = x + <usize>b * inBatch;
      if (!inPlace) {
        // Zero-padded copy: row i holds x[i - padLeft] (zeros before the start and past the end).
        const lead = min(padLeft, rows);
        memory.fill(scratch, 0, <usize>lead * <usize>C << 2);
        const avail = min(T, rows - lead);
        if (avail > 0) memory.copy(scratch + (<usize>lead * <usize>C << 2), a, <usize>avail * <usize>C << 2);
        const tail = rows - lead - max(avail, 0);
        if (tail > 0) memory.fill(scratch + (<usize>(lead + avail) * <usize>C << 2), 0, <usize>tail * <usize>C << 2);
        a = scratch;
      }
      gemm(a, stride * C, Tout, K, W, F, out + <usize>b * outBatch, F, bias);
    }
    return;
  }
  const cg = C / groups;
  const Fg = F / groups;
  const K = k * cg;
  const groupPanelBytes = <usize>panelFloats(Fg, K) << 2;
  const groupBiasBytes = <usize>(((Fg + 15) >> 4) * 16) << 2;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * inBatch;
    const ob = out + <usize>b * outBatch;
    for (let t0 = 0; t0 < Tout; t0 += IM2COL_ROWS) {
      const rows = min(IM2COL_ROWS, Tout - t0);
      for (let g = 0; g < groups; g++) {
        im2col(xb, T, C, g * cg, cg, k, stride, dilation, padLeft, t0, rows, scratch);
        gemm(
          scratch, K, rows, K, W + <usize>g * groupPanelBytes, Fg,
          ob + ((<usize>t0 * <usize>F + <usize>(g * Fg)) << 2), F,
          bias ? bias + <usize>g * groupBiasBytes : 0,
        );
      }
    }
  }
}

/**
 * Depthwise convolution (the first half of SeparableConv1D, and DepthwiseConv1D):
 * out[b][t][c*dm + m] = bias[c*dm + m] + sum_j x[b][t*stride - padLeft + j*dilation][c] * W[j][c*dm + m],
 * with W in Keras' own [k][C][dm] layout and bias 0 or C*dm floats. Vectorised across channels
 * when dm == 1 (the common case); a depth multiplier > 1 reads each input channel dm times.
 * `params` points at a DepthwiseConv1dParams block (param-blocks.ts).
 */
export function depthwiseConv1d(params: usize): void {
  const p = changetype<DepthwiseConv1dParams>(params);
  const x = p.x, B = p.batch, T = p.steps, C = p.channels, dm = p.depthMultiplier, out = p.out, Tout = p.outSteps;
  const k = p.size, stride = p.stride, dilation = p.dilation, padLeft = p.padLeft, W = p.kernel, bias = p.bias;
  const O = C * dm;
  const rowBytes = <usize>O << 2;
  const o4 = O & ~3;
  for (let b = 0; b < B; b++) {
    const xb = x + (<usize>b * <usize>T * <usize>C << 2);
    for (let t = 0; t < Tout; t++) {
      const o = out + ((<usize>b * <usize>Tout + <usize>t) * rowBytes);
      if (bias) memory.copy(o, bias, rowBytes);
      else memory.fill(o, 0, rowBytes);
      let src = t * stride - padLeft;
      for (let j = 0; j < k; j++, src += dilation) {
        if (src < 0 || src >= T) continue;
        const xr = xb + (<usize>src * <usize>C << 2);
        const wr = W + <usize>j * rowBytes;
        if (dm == 1) {
          let i = 0;
          for (; i < o4; i += 4) {
            const q = o + (<usize>i << 2);
            v128.store(q, f32x4.add(v128.load(q), f32x4.mul(v128.load(xr + (<usize>i << 2)), v128.load(wr + (<usize>i << 2)))));
          }
          for (; i < O; i++) {
            const q = o + (<usize>i << 2);
            store<f32>(q, load<f32>(q) + load<f32>(xr + (<usize>i << 2)) * load<f32>(wr + (<usize>i << 2)));
          }
        } else {
          for (let i = 0; i < O; i++) {
            const q = o + (<usize>i << 2);
            store<f32>(q, load<f32>(q) + load<f32>(xr + (<usize>(i / dm) << 2)) * load<f32>(wr + (<usize>i << 2)));
          }
        }
      }
    }
  }
}
