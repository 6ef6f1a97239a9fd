import type { ErrorContext } from '../errors.js';
import type { ConfigReader } from '../keras/config-reader.js';
import type { KerasGeneration } from '../keras/generation.js';
import type { WasmMemory } from '../wasm/memory.js';

/** A symbolic Keras shape: batch first, `null` for unknown sizes (like Keras' `None`). */
export type Shape = (number | null)[];

/** A tensor in wasm memory during a predict: float32, row-major. */
export interface Tensor {
  ptr: number;
  shape: number[];
}

/** A Keras time-step mask in wasm memory: one byte per (batch, step), 1 = keep. */
export interface Mask {
  ptr: number;
  batch: number;
  steps: number;
}

/** What the engine knows while running one layer call. */
export interface RunContext {
  readonly memory: WasmMemory;
  /** Recurrent state to start from and to keep (streams); undefined for a stateless predict. */
  readonly state?: LayerState;
}

/** Persistent per-stream state of one layer: named float buffers in wasm memory. */
export interface LayerState {
  buffers: Map<string, { ptr: number; length: number }>;
}

/** The runtime of one imported layer, holding its packed weights in wasm memory. */
export interface LayerKernel {
  /** Runs the layer on concrete inputs; returns outputs (and their masks) in scratch memory. */
  run(inputs: Tensor[], masks: (Mask | null)[], ctx: RunContext): { outputs: Tensor[]; masks: (Mask | null)[] };
  /** Recurrent layers: the states a stream keeps for them (Keras' return_state order). */
  readonly states?: StateLayout;
}

/** How a recurrent layer keeps its states in wasm memory: rows of `paddedUnits` floats. */
export interface StateLayout {
  names: readonly string[];
  units: number;
  paddedUnits: number;
}

/** One weight array as Keras stores it. */
export interface StoredWeight {
  /** The stored name (e.g. `lstm_1/kernel:0`, `lstm_1_W_i`). */
  name: string;
  shape: number[];
  read(): Float32Array;
}

export type { WeightSpec } from '../keras/model-spec.js';
import type { WeightSpec } from '../keras/model-spec.js';

/** The answers every importer gives about one Keras layer (the reference design's questions). */
export interface ImportedLayer {
  readonly name: string;
  readonly className: string;
  /** Output shapes, batch first. */
  readonly outputShapes: Shape[];
  /** Number of weights Keras stores for the layer (its parameter count). */
  readonly numParams: number;
  /** The weights the layer expects, in Keras' stored order (empty for weightless layers). */
  readonly weights: WeightSpec[];
  /** Options kerasrnn ignores at inference (dropout, regularizers...), for the summary. */
  readonly notes: string[];
  /** How the input is re-laid out before the layer's math (informational, e.g. "time-distributed"). */
  readonly inputPreprocessor: string | null;
  /** Importer details for `model.layers` (units, activations, flags). */
  readonly details: Record<string, unknown>;
  /** Packs the weights (in `weights` order, already shape-checked) into wasm memory. */
  instantiate(weights: Float32Array[], memory: WasmMemory): LayerKernel;
  /**
   * Layers that take strings (TextVectorization, StringLookup, Hashing): turns the strings of a
   * model input into the numeric tensor the layer's kernel takes. Strings never enter wasm; the
   * layer must be fed by a model input directly.
   */
  readonly strings?: StringFrontEnd;
}

/** The string-processing half of a layer that takes strings (see {@link ImportedLayer.strings}). */
export interface StringFrontEnd {
  /** True when the layer only takes strings (TextVectorization); false when numbers are fine too. */
  readonly required: boolean;
  /** What the layer expects, for error messages (e.g. "one text per sample: (batch,) or (batch, 1)"). */
  readonly expects: string;
  /** Strings of shape `shape` (batch first) -> the tensor the kernel runs on. */
  encode(strings: readonly string[], shape: readonly number[]): { data: Float32Array; shape: number[] };
  /**
   * Layers that take numbers too (Hashing): told once, when the model is built, that a string
   * input feeds them, so their kernel takes the encoded tensor instead of raw numbers.
   */
  fedStrings?(): void;
}

/**
 * Files Keras saved for a layer besides its weights: a `.keras` archive's
 * `assets/<layer path>/` (vocabulary.txt of the lookup layers). The SavedModel reader can supply
 * the same interface for a SavedModel's `assets/` when it lands.
 */
export interface LayerAssets {
  /** Where the files are, for messages (e.g. `model.keras!/assets/layers/text_vectorization`). */
  readonly location: string;
  /** A file's bytes by its path relative to the layer's asset folder, or undefined. */
  read(name: string): Uint8Array | undefined;
}

/** Everything an importer is given about one layer. */
export interface ImportRequest {
  readonly name: string;
  readonly className: string;
  readonly config: ConfigReader;
  readonly generation: KerasGeneration;
  readonly inputShapes: Shape[];
  /**
   * The stored arguments of the layer's (first) call, when the file records any: tensors appear
   * as `{ $input: i }` placeholders for `inputShapes[i]` (see `LayerCall` in keras/model-config).
   */
  readonly call?: { readonly args: readonly unknown[]; readonly kwargs: Readonly<Record<string, unknown>> };
  readonly context: ErrorContext;
  /** The layer's saved asset files (`.keras` archives), when the source has any. */
  readonly assets?: LayerAssets;
  /** Imports a nested layer config (wrappers: TimeDistributed, Bidirectional). */
  importInner(layerConfig: unknown, inputShapes: Shape[], role: string): ImportedLayer;
}

/** An importer: one per Keras layer class (plus its aliases). */
export interface LayerImporter {
  /** Keras class names this importer handles (current and historical names). */
  readonly classNames: readonly string[];
  import(request: ImportRequest): ImportedLayer;
}
