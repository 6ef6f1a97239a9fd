/**
 * The functions `assembly/index.ts` exports. Pointers are byte offsets into the instance's memory;
 * every f32 array is 16-byte aligned. See `assembly/` for the layouts each kernel expects.
 */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  packGateColumns(src: number, srcRowStride: number, K: number, U: number, g: number, G: number, UG: number, dst: number, W: number): void;
  transposeF32(src: number, rows: number, cols: number, dst: number): void;
  addF32(a: number, b: number, out: number, n: number): void;
  gemm(A: number, lda: number, M: number, K: number, Bp: number, N: number, C: number, ldc: number, bias: number): void;
  lstmSequence(
    xproj: number, B: number, T: number, U: number, Rp: number, h: number, c: number, hScratch: number, cScratch: number,
    outSeq: number, outLast: number, mask: number, act: number, recAct: number, reverse: number, zeroOutputForMask: number,
  ): void;
  /** Keras 3 ops: out = a OP b over a rank-4 output shape with element strides (0 = broadcast); OP codes in src/layers/keras3-ops.ts. */
  opsBroadcastBinary(
    a: number, b: number, out: number, op: number, d0: number, d1: number, d2: number, d3: number,
    sa0: number, sa1: number, sa2: number, sa3: number, sb0: number, sb1: number, sb2: number, sb3: number,
  ): void;
  /** Keras 3 ops.where: out = c != 0 ? a : b, strides as in opsBroadcastBinary. */
  opsBroadcastSelect(
    c: number, a: number, b: number, out: number, d0: number, d1: number, d2: number, d3: number,
    sc0: number, sc1: number, sc2: number, sc3: number, sa0: number, sa1: number, sa2: number, sa3: number,
    sb0: number, sb1: number, sb2: number, sb3: number,
  ): void;
  /** Keras 3 element-wise ops that are not activations (not, cast to int / bool, neg, abs, ...). */
  opsUnary(x: number, out: number, n: number, op: number): void;
  /** [outer][n][inner] -> [outer][inner]: 0 sum, 1 mean, 2 max, 3 min, 4 any, 5 all, 6 prod. */
  opsReduceAxis(x: number, outer: number, n: number, inner: number, out: number, op: number): void;
  /** mask[i] = x[i] != 0 (u8), for a mask tensor passed to a layer call. */
  opsMaskFromValues(x: number, n: number, mask: number): void;
  simpleRnnSequence(
    xproj: number, B: number, T: number, U: number, Rp: number, h: number, hScratch: number,
    outSeq: number, outLast: number, mask: number, act: number, reverse: number, zeroOutputForMask: number,
  ): void;
  gruSequence(
    xproj: number, B: number, T: number, U: number, Rp: number, recBias: number, h: number, hScratch: number, rh: number,
    outSeq: number, outLast: number, mask: number, act: number, recAct: number, reverse: number, zeroOutputForMask: number,
    resetAfter: number,
  ): void;
  activate(ptr: number, n: number, act: number, alpha: number): void;
  softmaxRows(ptr: number, rows: number, cols: number): void;
  logSoftmaxRows(ptr: number, rows: number, cols: number): void;
  gatherRows(ids: number, count: number, table: number, vocab: number, dim: number, out: number): number;
  maskNotEqualZero(ids: number, count: number, maskOut: number): void;
  maskingLayer(x: number, rows: number, features: number, maskValue: number, out: number, maskOut: number): void;
  repeatRows(src: number, rows: number, cols: number, times: number, dst: number): void;
  simdPeak(iterations: number): number;
  /** Per-row "kept a step in an earlier call" bytes for the sequence kernels (0 = none). */
  setMaskHistory(flags: number): void;
  /** flags[b] |= any(mask[b][:]). */
  markKeptRows(mask: number, B: number, T: number, flags: number): void;
  /** dst[b][t] = src[b][T-1-t] (rows of F floats). */
  reverseSequence(src: number, B: number, T: number, F: number, dst: number): void;
  /** out[r] = [a[r] (colsA), b[r] (colsB)]. */
  concatRows(a: number, colsA: number, b: number, colsB: number, rows: number, out: number): void;
  mulF32(a: number, b: number, out: number, n: number): void;
  subF32(a: number, b: number, out: number, n: number): void;
  maxF32(a: number, b: number, out: number, n: number): void;
  minF32(a: number, b: number, out: number, n: number): void;
  /** out[i] = a[i] & b[i] for u8 masks. */
  maskAnd(a: number, b: number, out: number, n: number): void;
  scaleF32(ptr: number, n: number, k: number): void;
  fillF32(ptr: number, n: number, value: number): void;
  copyF32(src: number, dst: number, n: number): void;
  /** out[i] = a[i] | b[i] for u8 masks. */
  maskOr(a: number, b: number, out: number, n: number): void;
  /** out[r] = mask[r] ? a[r] : b[r] for [rows][cols] arrays and a u8 row mask. */
  selectRows(a: number, b: number, mask: number, rows: number, cols: number, out: number): void;
  /** ptr[r] *= mask[r] ? 1 : 0 (u8 row mask), in place. */
  mulRowsByMask(ptr: number, mask: number, rows: number, cols: number): void;
  /** dst[b][T-1-t] = src[b][t] for a [B][T] u8 mask. */
  reverseMaskRows(src: number, B: number, T: number, dst: number): void;
  /** Rows scaled to unit L2 norm: x / sqrt(max(sum x^2, eps)). */
  l2NormalizeRows(ptr: number, rows: number, cols: number, eps: number): void;
  /** Strided batched C = A * B (or A * B^T with transB); strides in floats (see assembly/attention.ts). */
  batchMatMul(
    a: number, lda: number, aBatch: number, b: number, ldb: number, bBatch: number, c: number, ldc: number, cBatch: number,
    batch: number, M: number, K: number, N: number, transB: number,
  ): void;
  /** out[p][i][j] = outScale * sum_d w[d] * tanh(inScale * (q[p][i][d] + k[p][j][d])); w = 0 means ones. */
  additiveScores(q: number, k: number, batch: number, Tq: number, Tv: number, D: number, inScale: number, w: number, outScale: number, out: number): void;
  /** Keras' masked softmax over the last axis of [batch*heads][rows][cols] scores (masks u8 or 0). */
  maskedSoftmax(
    scores: number, batch: number, heads: number, rows: number, cols: number,
    qmask: number, vmask: number, kmask: number, causal: number, zeroMasked: number,
  ): void;
  /** Softmax over the middle axis of [outer][axisLen][inner], in place. */
  softmaxStrided(ptr: number, outer: number, axisLen: number, inner: number): void;
  /** Conv1D, channels last: x [B][T][C] -> out [B][Tout][F]; W packed per group (see assembly/conv1d.ts). */
  conv1d(
    x: number, B: number, T: number, C: number, out: number, Tout: number, F: number,
    k: number, stride: number, dilation: number, padLeft: number, groups: number, W: number, bias: number, scratch: number,
  ): void;
  /** Floats of scratch `conv1d` needs (0 when it reads its input in place). */
  conv1dScratchFloats(T: number, C: number, Tout: number, k: number, stride: number, dilation: number, padLeft: number, groups: number): number;
  /** Depthwise conv: out[b][t][c*dm+m] = bias + sum_j x[b][t*stride-padLeft+j*dilation][c] * W[j][c][m]. */
  depthwiseConv1d(
    x: number, B: number, T: number, C: number, dm: number, out: number, Tout: number,
    k: number, stride: number, dilation: number, padLeft: number, W: number, bias: number,
  ): void;
  /** Max (mode 0) or average (mode 1) pooling over time windows; padding ignored. */
  pool1d(x: number, B: number, T: number, C: number, out: number, Tout: number, pool: number, stride: number, padLeft: number, mode: number): void;
  /** Global max (0) / average (1) over steps of [B][T][C]; the average skips masked steps (mask u8 or 0). */
  globalPool1d(x: number, B: number, T: number, C: number, mask: number, mode: number, out: number): void;
  /** Global max (0) / average (1) of each row (channels-first data). */
  globalPoolRows(x: number, rows: number, cols: number, mode: number, out: number): void;
  /** out = (x - mean[n]) * scale[n] + shift[n] over [outer][N][inner]. */
  batchNormInference(x: number, out: number, outer: number, N: number, inner: number, mean: number, scale: number, shift: number): void;
  /** Layer normalisation over the N axis of [outer][N][inner]; gamma / beta may be 0. */
  layerNorm(x: number, out: number, outer: number, N: number, inner: number, gamma: number, beta: number, eps: number): void;
  /** Keras relu(x, negative_slope, max_value, threshold); maxValue = Infinity for none. */
  reluLayer(src: number, dst: number, n: number, slope: number, maxValue: number, threshold: number): void;
  /** x if x > 0 else alpha * (exp(x) - 1). */
  eluLayer(src: number, dst: number, n: number, alpha: number): void;
  /** x if x > theta else 0. */
  thresholdedRelu(src: number, dst: number, n: number, theta: number): void;
  /** PReLU over [B][T][F] with alpha[t*tStride + f*fStride]. */
  prelu(src: number, dst: number, B: number, T: number, F: number, alpha: number, tStride: number, fStride: number): void;
  /** ptr[i] += adder where the u8 mask is 0. */
  addWhereMasked(ptr: number, mask: number, n: number, adder: number): void;
  /** ptr[i] = 0 where the u8 mask is 0. */
  zeroWhereMasked(ptr: number, mask: number, n: number): void;
  /** dst[b][dstStart+i] = src[b][srcStart+i] for i < n (rows of C floats). */
  copySteps(src: number, srcT: number, srcStart: number, dst: number, dstT: number, dstStart: number, B: number, n: number, C: number): void;
  /** Strided gather over five axes (strides in floats), dst row-major. */
  permuteCopy(src: number, dst: number, n0: number, n1: number, n2: number, n3: number, n4: number, s0: number, s1: number, s2: number, s3: number, s4: number): void;
  /** dst (d0, d1, d2, d3) contiguous = src[i0*s0 + i1*s1 + i2*s2 + i3*s3] (element strides; 0 broadcasts). */
  stridedCopy4(src: number, dst: number, d0: number, d1: number, d2: number, d3: number, s0: number, s1: number, s2: number, s3: number): void;
  /** dst [outer][inner] = reduction of src [outer][axisLen][inner]: op 0 sum, 1 mean, 2 max, 3 min. */
  reduceAxis(src: number, outer: number, axisLen: number, inner: number, dst: number, op: number): void;
  /** out[i] = a[i] / b[i]. */
  divF32(a: number, b: number, out: number, n: number): void;
  /** out[i] = 1 / 0 for a[i] OP b[i], OP 0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >=. */
  compareF32(a: number, b: number, out: number, n: number, op: number): void;
  /** In place: mode 0 truncate toward zero, mode 1 x != 0 ? 1 : 0. */
  castF32(ptr: number, n: number, mode: number): void;
  /** Training losses (assembly/losses.ts): returns the summed loss, writes scale * d(loss)/d(pred) to grad. */
  lossMse(pred: number, target: number, n: number, scale: number, grad: number): number;
  lossMae(pred: number, target: number, n: number, scale: number, grad: number): number;
  lossHuber(pred: number, target: number, n: number, delta: number, scale: number, grad: number): number;
  lossBinaryCrossentropy(pred: number, target: number, n: number, fromLogits: number, smoothing: number, scale: number, grad: number): number;
  lossCategoricalCrossentropy(pred: number, target: number, ids: number, rows: number, cols: number, fromLogits: number, smoothing: number, scale: number, grad: number): number;
  /** Optimizer updates (assembly/optimizers.ts), in place on one variable and its slots. */
  sgdUpdate(w: number, g: number, m: number, n: number, lr: number, momentum: number, nesterov: number): void;
  rmspropUpdate(w: number, g: number, v: number, mom: number, avg: number, n: number, lr: number, rho: number, momentum: number, eps: number, centered: number, form: number): void;
  adamUpdate(w: number, g: number, m: number, v: number, vhat: number, n: number, alpha: number, beta1: number, beta2: number, eps: number, amsgrad: number, decay: number): void;
  adagradUpdate(w: number, g: number, acc: number, n: number, lr: number, eps: number, form: number): void;
  /** Backward kernels (assembly/backward.ts). act 100 = softmax rows of `cols`. */
  activationBackward(y: number, dy: number, n: number, cols: number, act: number, dz: number): void;
  denseForwardTrain(x: number, M: number, K: number, N: number, W: number, b: number, z: number): void;
  denseBackward(x: number, dz: number, M: number, K: number, N: number, W: number, dx: number, dW: number, db: number): void;
  lstmForwardTrain(x: number, B: number, T: number, D: number, U: number, W: number, R: number, b: number, gates: number, cs: number, hs: number): void;
  lstmBackward(
    x: number, B: number, T: number, D: number, U: number, W: number, R: number, gates: number, cs: number, hs: number, dhs: number,
    dx: number, dW: number, dR: number, db: number, scratch: number,
  ): void;
}
