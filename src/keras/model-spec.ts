/**
 * The normalised model every Keras generation's config becomes (`model-config.ts` builds it):
 * layers, their calls and tensor references, and how Keras saves their weights. Its own module so
 * that the floors above (layers, graph, engine, api) and the keras/ modules that build it share
 * the types without importing the parser, and keras/ has no import cycle.
 * @packageDocumentation
 */
import type { KerasGeneration } from './generation.js';

/** A reference to one output tensor of one call of a layer (Keras' `keras_history`). */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/** One call of a layer in the graph: its input tensors in order (main inputs, then initial states). */
export interface LayerCall {
  inputs: TensorRef[];
  /** How many of `inputs` are initial states (`initial_state=`) rather than main inputs. */
  initialStates: number;
  /**
   * The call's arguments as stored, for layers whose meaning depends on them (tf.keras TFOpLambda
   * / SlicingOpLambda, `use_causal_mask`, `return_attention_scores`): positional arguments and
   * keyword arguments with every tensor replaced by an {@link InputPlaceholder} naming its index
   * in `inputs`. Tensors found only in keyword arguments are appended to `inputs` after the
   * main inputs and initial states. Absent for calls written without arguments (Sequential).
   */
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

/** Stands for the tensor `inputs[$input]` inside a call's stored arguments. */
export interface InputPlaceholder {
  $input: number;
}

/** True for the placeholder of an input tensor inside `LayerCall.args` / `kwargs`. */
export function isInputPlaceholder(v: unknown): v is InputPlaceholder {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, unknown>).$input === 'number' && Object.keys(v).length === 1;
}

/** A layer as the normalised model config describes it. */
export interface LayerSpec {
  name: string;
  className: string;
  /** The layer's own config dict, as stored. */
  config: Record<string, unknown>;
  calls: LayerCall[];
  /** Input shape declared on the layer (batch first), when the file states one. */
  declaredInputShape?: (number | null)[];
  /** Keras 3's `module` of the entry (operation nodes come from `keras.src.ops.*`; null for classes defined in `__main__`). */
  module?: string | null;
  /** A model used as a layer, parsed (inlined away by nested-models.ts before graph building). */
  nested?: ModelSpec;
}

/** The whole model in one form, whatever Keras generation wrote it. */
export interface ModelSpec {
  name: string;
  className: string;
  layers: LayerSpec[];
  inputs: TensorRef[];
  outputs: TensorRef[];
  generation: KerasGeneration;
  /** The model's `layers` as Keras saves their weights (nested models as subtrees). */
  savedLayers?: SavedLayer[];
}

/** One entry of a model's `layers` as Keras saves weights (Keras' `model.layers`). */
export interface SavedLayer {
  /** The layer's name in the file. */
  name: string;
  className: string;
  /** False when the layer (or a model around it) was frozen: its weights are non-trainable. */
  trainable: boolean;
  /** Name of the layer in the flattened ModelSpec (leaf layers). */
  specName?: string;
  /** A nested model's own `layers`. */
  children?: SavedLayer[];
  /** A Keras 3 operation node (not a layer: nothing saved for it). */
  op?: boolean;
}

/** A weight the importer expects, in Keras' stored order. */
export interface WeightSpec {
  /** Short name (`kernel`, `W_i`, `embeddings`). */
  name: string;
  shape: number[];
  /**
   * Other layouts Keras stored this weight in, told apart by their shape as Keras' own loaders do
   * (e.g. Keras 1.0's Convolution1D kernel); `convert` turns one into `shape`'s layout.
   */
  otherLayouts?: { shape: number[]; convert(data: Float32Array): Float32Array }[];
}
