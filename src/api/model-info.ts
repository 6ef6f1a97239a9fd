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
import type { WasmMemory, WeightPrecision } from '../wasm/memory.js';
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
   * loadModel's `weights`: `float32`, `bf16` or `int8` (the recurrent kernels of LSTM, GRU and
   * SimpleRNN layers stored as bfloat16, or as int8 with a float32 scale per column; other
   * weights stay float32).
   */
  readonly weights: WeightPrecision;
  /**
   * The layers whose recurrent kernels `weights` stores in reduced precision (LSTM, GRU,
   * SimpleRNN, their CuDNN forms, wrappers of them such as Bidirectional); empty for float32,
   * and for a model with no such layer, where `weights` changes nothing.
   */
  readonly lowPrecisionLayers: readonly string[];
  /**
   * One sequence on several threads (loadModel's `sequenceThreads`, resolved against the
   * runtime): `threads` is how many a large enough call is split over, `fallback` says why it is 1.
   * Null for a model loaded without weights.
   */
  readonly sequenceThreads: SequenceThreadsInfo | null;
}
import type { FileTrainingConfig } from '../training/training-config.js';
import type { FileOptimizerState, RestoredOptimizerState } from '../training/optimizer-variables.js';
import type { OptimizerSpec } from '../training/optimizers.js';
import type { SequentialTrainer } from '../training/sequential-trainer.js';
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
  /** The file's optimizer state (resumed by compile), null if it has none. */
  optimizerState?: FileOptimizerState | null;
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

/** What saving writes of a compiled model: the compile entries and the optimizer's state. */
export interface TrainingForSaving {
  spec: OptimizerSpec;
  /** The optimizer entry compile used. */
  entry: unknown;
  loss: unknown;
  metrics: unknown;
  /** Keras' `loss_weights` compile used, or null. */
  lossWeights: unknown;
  /** The trainer once training ran (its optimizer holds the state). */
  trainer: SequentialTrainer | null;
  /** The file's state compile resumed, before training ran. */
  resumed: RestoredOptimizerState | null;
}

/** The parts of a Model that saving reads. */
export interface SaveSource {
  readonly fileName: string;
  readonly inputs: readonly { name: string; shape: Shape }[];
  /** The model outputs (Keras' output names), in order. */
  readonly outputs: readonly { name: string }[];
  readonly layers: readonly LayerInfo[];
  readonly stored: StoredModel;
  readonly graphForSaving: ModelGraph;
  /** The compile configuration and optimizer state, once compiled (null: not compiled). */
  readonly trainingForSaving?: TrainingForSaving | null;
  /** A kernel instance for weight conversions (CuDNN layers written as LSTM / GRU). */
  readonly kernelsForSaving?: WasmMemory | null;
}

/** The parts of a Model that training reads. */
export interface TrainingSource {
  readonly fileName: string;
  readonly generation: KerasGeneration;
  readonly inputs: readonly { name: string; shape: Shape }[];
  /** The model outputs (Keras' output names), in order. */
  readonly outputs: readonly { name: string }[];
  readonly layers: readonly LayerInfo[];
  readonly stored: StoredModel;
  readonly graphForSaving: ModelGraph;
  readonly maxWasmBytes: number;
  readonly info: RuntimeInfo;
  /** loadModel's source and options when training may split batches over threads (`threads` > 1, Node.js). */
  readonly threadsSource: ThreadsSource | null;
  /** Set to true (by a callback) to stop `fit` after the current batch. */
  stopTraining: boolean;
  /** Inference on the current (synced) weights (one tensor per input, every output), for evaluate and validation. */
  predictList(x: TensorInput[]): TensorData[];
}
