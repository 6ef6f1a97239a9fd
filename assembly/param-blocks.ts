// Parameter blocks: the arguments of kernels that take too many to pass positionally, as named
// fields of a small struct the caller writes into linear memory. A kernel reads its block once
// per call (into locals) and never per step, so passing a pointer costs nothing in the hot loop.
//
// This file is the single source of each block's layout: scripts/gen-kernel-abi.mjs reads the
// classes below and generates the TypeScript interfaces and writers
// (src/wasm/kernel-abi.generated.ts), field by field at the offsets the compiler lays them out
// at. Rules the generator enforces: every field is 4 bytes (i32, u32, usize or f32), so field n
// sits at byte 4n (a base class's fields first), and each exported class has an exported
// `<NAME>_BYTES = offsetof<Class>()` that the generator checks against its own count. Flags are
// i32 (0 or 1); pointers are byte offsets, 0 = absent where a field says so.

/**
 * What every whole-sequence recurrent kernel reads (all of SimpleRNN's); a cell with more state
 * or options extends it.
 */
@unmanaged class SequenceParams {
  /** The input projection x . W + bias, [batch][steps][gates * Up] (Up = units padded to the kernel's unit group). */
  xproj: usize;
  batch: i32;
  steps: i32;
  units: i32;
  /** The recurrent kernel, packed in panels of one unit group's gate columns (see each kernel). */
  recurrentKernel: usize;
  /** State h [batch][Up], read as the initial state and holding the final one on return. */
  h: usize;
  /** As many scratch floats as h (the step writes here while the old state is still read). */
  hScratch: usize;
  /** [batch][steps][units], or 0. */
  outSeq: usize;
  /** [batch][units], or 0. */
  outLast: usize;
  /** u8 [batch][steps] (1 = kept), or 0. */
  mask: usize;
  /** Activation ids (activation-ids.ts); the recurrent (gate) one is unused by SimpleRNN. */
  activation: i32;
  recurrentActivation: i32;
  /** go_backwards. */
  reverse: i32;
  /** Keras 3's zero_output_for_mask: masked steps output 0 instead of the last kept output. */
  zeroOutputForMask: i32;
  /**
   * 1: recurrentKernel holds bfloat16 (bf16.ts' packGateColumnsBf16; loadModel's weights:
   * 'bf16'), read by lstmSequence and simpleRnnSequence; 0: float32. gruSequence requires 0.
   */
  recurrentBf16: i32;
  /**
   * 1: recurrentKernel holds int8 in 16-column panels (int8.ts' packGateColumnsInt8; loadModel's
   * weights: 'int8'), read by low-precision-sequence.ts; 0: float32, or bfloat16 there.
   */
  recurrentInt8: i32;
  /** int8: the float32 scale of each column of recurrentKernel, in its column order; else 0. */
  recurrentScales: usize;
  /** low-precision-sequence.ts: scratch for one step's recurrent product (see each kernel); else 0. */
  products: usize;
}

/** `lstmSequence` (assembly/lstm-sequence.ts): the cell state c and its scratch twin besides h. */
@unmanaged export class LstmSequenceParams extends SequenceParams {
  c: usize;
  cScratch: usize;
}
export const LSTM_SEQUENCE_PARAMS_BYTES: i32 = offsetof<LstmSequenceParams>();

/** `gruSequence` (assembly/gru-sequence.ts). */
@unmanaged export class GruSequenceParams extends SequenceParams {
  /** 3 * Up floats in engine order (reset_after's recurrent bias), or 0. */
  recurrentBias: usize;
  /** [batch][Up] for r * h (reset_after = 0). */
  rh: usize;
  /** 1: r multiplies (h . R + recurrent bias), Keras 2.3+ default; 0: r multiplies h first. */
  resetAfter: i32;
}
export const GRU_SEQUENCE_PARAMS_BYTES: i32 = offsetof<GruSequenceParams>();

/** `simpleRnnSequence` (assembly/simple-rnn-sequence.ts): the common fields only. */
@unmanaged export class SimpleRnnSequenceParams extends SequenceParams {}
export const SIMPLE_RNN_SEQUENCE_PARAMS_BYTES: i32 = offsetof<SimpleRnnSequenceParams>();

/** What every 1D window kernel reads (convolutions, pooling): input, output and window. */
@unmanaged class Window1dParams {
  /** Input [batch][steps][channels]. */
  x: usize;
  batch: i32;
  steps: i32;
  channels: i32;
  /** Output [batch][outSteps][output channels]. */
  out: usize;
  outSteps: i32;
  /** Window length (kernel or pool size), the step between windows, zero steps before the input. */
  size: i32;
  stride: i32;
  padLeft: i32;
}

/** What both 1D convolutions read besides the window: dilation and the packed weights. */
@unmanaged class Conv1dWindowParams extends Window1dParams {
  dilation: i32;
  /** The kernel in the layout each convolution states. */
  kernel: usize;
  /** Bias in the layout each convolution states, or 0. */
  bias: usize;
}

/** `conv1d` (assembly/conv1d.ts). */
@unmanaged export class Conv1dParams extends Conv1dWindowParams {
  filters: i32;
  groups: i32;
  /** conv1dScratchFloats() floats. */
  scratch: usize;
}
export const CONV1D_PARAMS_BYTES: i32 = offsetof<Conv1dParams>();

/** `depthwiseConv1d` (assembly/conv1d.ts). */
@unmanaged export class DepthwiseConv1dParams extends Conv1dWindowParams {
  depthMultiplier: i32;
}
export const DEPTHWISE_CONV1D_PARAMS_BYTES: i32 = offsetof<DepthwiseConv1dParams>();

/** `pool1d` (assembly/pooling.ts): MaxPooling1D / AveragePooling1D. */
@unmanaged export class Pool1dParams extends Window1dParams {
  /** POOL_MAX or POOL_AVG (pooling.ts). */
  mode: i32;
}
export const POOL1D_PARAMS_BYTES: i32 = offsetof<Pool1dParams>();

/**
 * `batchMatMul` (assembly/attention.ts): `batch` products C (M x N) = A (M x K) * B (K x N, or
 * N x K with transB), each operand read through a row stride and a batch stride (in floats).
 */
@unmanaged export class BatchMatMulParams {
  a: usize;
  lda: i32;
  aBatch: i32;
  b: usize;
  ldb: i32;
  bBatch: i32;
  c: usize;
  ldc: i32;
  cBatch: i32;
  batch: i32;
  M: i32;
  K: i32;
  N: i32;
  transB: i32;
}
export const BATCH_MAT_MUL_PARAMS_BYTES: i32 = offsetof<BatchMatMulParams>();

/** `lookupSorted` (assembly/categorical.ts): IntegerLookup's vocabulary search. */
@unmanaged export class LookupSortedParams {
  /** n input values. */
  x: usize;
  n: i32;
  /** keyCount keys sorted ascending, and the value of each. */
  keys: usize;
  values: usize;
  keyCount: i32;
  /** The value of an input not in the vocabulary (numOov <= 1). */
  missing: f32;
  /** With numOov > 1: oovStart + floormod(x, numOov). */
  numOov: i32;
  oovStart: i32;
  /** 1: an input equal to maskKey gives maskValue. */
  hasMask: i32;
  maskKey: f32;
  maskValue: f32;
  /** 1: an input not in the vocabulary is an error (num_oov_indices = 0). */
  missingIsError: i32;
  out: usize;
}
export const LOOKUP_SORTED_PARAMS_BYTES: i32 = offsetof<LookupSortedParams>();

/**
 * `additiveScores` (assembly/attention.ts): out[p][i][j] = outScale * sum_d w[d] *
 * tanh(inScale * (q[p][i][d] + k[p][j][d])).
 */
@unmanaged export class AdditiveScoresParams {
  /** [batch][queries][dim] and [batch][keys][dim]. */
  q: usize;
  k: usize;
  batch: i32;
  queries: i32;
  keys: i32;
  dim: i32;
  inScale: f32;
  /** dim weights, or 0 for all ones. */
  w: usize;
  outScale: f32;
  /** [batch][queries][keys]. */
  out: usize;
}
export const ADDITIVE_SCORES_PARAMS_BYTES: i32 = offsetof<AdditiveScoresParams>();

/**
 * `additiveScoresBackward` (assembly/attention-backward.ts): the gradients of
 * {@link AdditiveScoresParams}' scores given d(loss)/d(scores).
 */
@unmanaged export class AdditiveScoresBackwardParams {
  /** [batch][queries][dim] and [batch][keys][dim], as in the forward pass. */
  q: usize;
  k: usize;
  /** d(loss)/d(scores) [batch][queries][keys]. */
  dScores: usize;
  batch: i32;
  queries: i32;
  keys: i32;
  dim: i32;
  inScale: f32;
  /** dim weights, or 0 for all ones. */
  w: usize;
  outScale: f32;
  /** Outputs (overwritten): d/dq, d/dk like q and k; d/dw [dim]; [d/d inScale, d/d outScale]. */
  dq: usize;
  dk: usize;
  dw: usize;
  dScalars: usize;
}
export const ADDITIVE_SCORES_BACKWARD_PARAMS_BYTES: i32 = offsetof<AdditiveScoresBackwardParams>();

/** `maskedSoftmax` (assembly/attention.ts): Keras' masked softmax of scores, in place. */
@unmanaged export class MaskedSoftmaxParams {
  /** [batch * heads][rows][cols]. */
  scores: usize;
  batch: i32;
  heads: i32;
  rows: i32;
  cols: i32;
  /** u8 masks, or 0: query [batch][rows], value and key [batch][cols]. */
  queryMask: usize;
  valueMask: usize;
  keyMask: usize;
  /** 1: position j > i is masked. */
  causal: i32;
  /** 1: masked positions' probabilities are zeroed after the softmax (Keras >= 3.10). */
  zeroMasked: i32;
}
export const MASKED_SOFTMAX_PARAMS_BYTES: i32 = offsetof<MaskedSoftmaxParams>();

/**
 * What the training kernels of GRU, SimpleRNN and LSTM's general path (backward-rnn.ts) read
 * besides their positional arguments: the initial state (truncated BPTT carries the previous
 * chunk's last state in) and the dropout masks Keras draws once per sequence.
 */
@unmanaged export class RecurrentTrainParams {
  /** Initial state h [batch][units], or 0 (zeros). */
  h0: usize;
  /** LSTM's initial cell state c [batch][units], or 0 (zeros). */
  c0: usize;
  /** Inverted-dropout masks on the inputs [batch][maskSets][features] (0 or 1 / (1 - rate)), or 0. */
  inputMask: usize;
  /** Inverted-dropout masks on the recurrent state [batch][maskSets][units], or 0. */
  stateMask: usize;
  /** 1: one mask for every gate block; the gate count (3 GRU, 4 LSTM): one mask per gate block (Keras 2 implementation 0 / 1, Keras 3.8+ with recurrent_dropout). */
  maskSets: i32;
  /** GRU: the update gate mixes the dropped state (z * (h * m) + (1 - z) * candidate), as Keras 2.1.3+ implementation 2 and Keras 3 before 3.8 compute it. */
  mixDroppedState: i32;
  /** Backward: d(loss)/d(the returned last state h) [batch][units] (return_state, or the last output), or 0. */
  dhLast: usize;
  /** Backward, LSTM: d(loss)/d(the returned last cell state c) [batch][units], or 0. */
  dcLast: usize;
  /** Backward output: d(loss)/d(h0) [batch][units] (the initial state's gradient), or 0 (not wanted). */
  dh0: usize;
  /** Backward output, LSTM: d(loss)/d(c0) [batch][units], or 0. */
  dc0: usize;
}
export const RECURRENT_TRAIN_PARAMS_BYTES: i32 = offsetof<RecurrentTrainParams>();
