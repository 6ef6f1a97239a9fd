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
