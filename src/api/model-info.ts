/**
 * What a loaded model tells about itself: `model.layers` entries, weights, the stored config. Its
 * own module so that summary.ts and save-model.ts describe the Model they read without importing
 * model.ts (which imports them).
 * @packageDocumentation
 */
import type { ModelGraph } from '../graph/build-graph.js';
import type { KerasGeneration } from '../keras/generation.js';
import type { Shape } from '../layers/types.js';
import type { KernelBuild } from '../wasm/wasm-module.js';
import type { WeightPrecision } from '../wasm/memory.js';
import type { SequenceThreadsInfo } from '../wasm/sequence-threads.js';

/** How a loaded model runs: loadModel's `kernels`, `weights` and `sequenceThreads`, resolved (see {@link Model.info}). */
export interface RuntimeInfo {
  /**
   * The kernel build predict runs: `relaxed-simd` (multiply-adds fused with
   * `f32x4.relaxed_madd`) or `simd` (plain wasm SIMD); null for a model loaded without weights.
   * Results are deterministic per build; the two builds differ in the last bits.
   */
  readonly kernels: KernelBuild | null;
  /**
   * loadModel's `weights`: `float32`, or `bf16` (the recurrent kernels of LSTM and SimpleRNN layers
   * stored as bfloat16; other weights stay float32).
   */
  readonly weights: WeightPrecision;
  /**
   * One sequence on several threads (loadModel's `sequenceThreads`, resolved against the
   * runtime): `threads` is how many a large enough call is split over, `fallback` says why it is 1.
   * Null for a model loaded without weights.
   */
  readonly sequenceThreads: SequenceThreadsInfo | null;
}
import type { FileTrainingConfig } from '../training/training-config.js';
import type { ThreadsSource } from '../training/train-threads.js';
import type { TensorData, TensorInput } from '../types/tensor.js';

/** What `model.layers` tells about each layer (defined with the code that builds it). */
export type { LayerInfo } from './layer-info.js';
import type { LayerInfo } from './layer-info.js';

/** One weight array of a layer, named as the importer names it (`kernel`, `recurrent_kernel`, ...). */
export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A layer's weights in Keras' order (the order the file stores them). */
export interface LayerWeights {
  layer: string;
  className: string;
  weights: NamedWeight[];
}

/** @internal What a loaded model keeps for saving and for `getWeights` / `setWeights`. */
export interface StoredModel {
  /** The config as read from the file (its own generation's schema). */
  json: unknown;
  generation: KerasGeneration;
  backend?: string;
  /** Each layer's weights in Keras' order, by layer name (null: loaded without weights). */
  arrays: Map<string, Float32Array[]> | null;
  /** The file's training configuration (compile's defaults), null if it has none. */
  trainingConfig?: FileTrainingConfig | null;
}

/** The parts of a Model the summary reads. */
export interface SummarySource {
  readonly name: string;
  readonly className: string;
  readonly generation: KerasGeneration;
  readonly format: string;
  readonly formatDetails: string | null;
  readonly layers: readonly LayerInfo[];
  readonly numParams: number;
  readonly nonTrainableParams: number;
  readonly hasWeights: boolean;
  readonly info: RuntimeInfo;
}

/** The parts of a Model that saving reads. */
export interface SaveSource {
  readonly fileName: string;
  readonly inputs: readonly { name: string; shape: Shape }[];
  readonly layers: readonly LayerInfo[];
  readonly stored: StoredModel;
  readonly graphForSaving: ModelGraph;
}

/** The parts of a Model that training reads. */
export interface TrainingSource {
  readonly fileName: string;
  readonly generation: KerasGeneration;
  readonly inputs: readonly { name: string; shape: Shape }[];
  readonly layers: readonly LayerInfo[];
  readonly stored: StoredModel;
  readonly graphForSaving: ModelGraph;
  readonly maxWasmBytes: number;
  readonly info: RuntimeInfo;
  /** loadModel's source and options when training may split batches over threads (`threads` > 1, Node.js). */
  readonly threadsSource: ThreadsSource | null;
  /** Set to true (by a callback) to stop `fit` after the current batch. */
  stopTraining: boolean;
  /** Inference on the current (synced) weights, for evaluate and validation. */
  predictOne(x: TensorInput): TensorData;
}
