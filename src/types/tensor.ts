/** A dense row-major tensor as kerasrnn takes and returns it. */
export interface TensorData {
  /** Values, row-major (C order). */
  data: Float32Array;
  /** Dimensions, batch first. */
  shape: number[];
}

/** What `predict` accepts: float32 preferred; other numeric arrays are converted once. */
export interface TensorInput {
  data: Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | Int16Array | Uint32Array | Int8Array | number[];
  shape: number[];
}
