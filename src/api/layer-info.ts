/**
 * What `model.layers`, `model.outputs` and `summary()` tell about a loaded graph, worked out once
 * at load: parameter counts split as Keras splits them, the tensors each layer call was fed
 * ("Connected to"), and the names of the model outputs as `predict` writes them.
 */
import type { ModelGraph } from '../graph/build-graph.js';
import { refKey } from '../graph/build-graph.js';
import { SET_MASK_CLASS } from '../keras/keras3-calls.js';
import type { TensorRef } from '../keras/model-config.js';
import type { Shape } from '../layers/types.js';
import { InputError } from '../errors.js';

/** What `model.layers` tells about each layer. */
export interface LayerInfo {
  name: string;
  className: string;
  /** Output shapes, batch first (`null` = any size); one entry per output tensor. */
  outputShapes: Shape[];
  /** Output shape of the first output (as Keras' summary shows it). */
  outputShape: Shape;
  /** Number of weights Keras stores for the layer. */
  numParams: number;
  /**
   * The part of `numParams` Keras counts as non-trainable: every weight of a layer that is not
   * trainable, and the moving statistics of BatchNormalization layers. Follows `trainable`.
   */
  readonly nonTrainableParams: number;
  /**
   * The layer's own `trainable` flag, as the file states it (a layer inside a frozen nested model
   * keeps its own flag). Settable: `model.layers[i].trainable = false`; `save` writes it, and
   * training will leave layers that are not trainable unchanged.
   */
  trainable: boolean;
  /**
   * The tensors each call of the layer takes, as Keras' summary writes them in "Connected to":
   * `"lstm[0][0]"` = first output of the layer's first call. One list per call; empty for inputs.
   */
  inbound: string[][];
  /** Options ignored at inference, and other import notes. */
  notes: string[];
  /** How the input is re-laid out before the layer (informational), or null. */
  inputPreprocessor: string | null;
  /** Importer details (units, activations, flags). */
  details: Record<string, unknown>;
}

/** One model output: the name `predict` results are keyed by, and where it comes from. */
export interface OutputInfo {
  /**
   * Unique name, as Keras' `output_names`: the layer's name, with `_1`, `_2`, ... appended when
   * several outputs come from one layer (an LSTM with `return_state`). The CLI's `y.<name>.npy`
   * files and `predictNamed` use these names.
   */
  name: string;
  /** The layer the output comes from. */
  layer: string;
  /** Which of that layer's outputs (0 = first). */
  tensor: number;
  shape: Shape;
}

/** Weight names Keras keeps in `non_trainable_weights` (BatchNormalization statistics, Keras 1-3). */
const STATISTICS = new Set(['moving_mean', 'moving_variance', 'running_mean', 'running_std']);

/** kerasrnn's own graph nodes (mask plumbing): they run, but they are not Keras layers. */
export function isInternalClass(className: string): boolean {
  return className === SET_MASK_CLASS;
}

/**
 * Adds `trainable` as an own property that accepts only booleans, and `nonTrainableParams`
 * following it (`statistics`: the weights Keras never trains, whatever the flag).
 */
function withTrainableFlag(info: Omit<LayerInfo, 'trainable' | 'nonTrainableParams'>, initial: boolean, statistics: number, file: string): LayerInfo {
  let value = initial;
  const holder = info as LayerInfo;
  Object.defineProperty(holder, 'trainable', {
    enumerable: true,
    get: () => value,
    set: (v: unknown) => {
      if (typeof v !== 'boolean') throw new InputError('trainable must be true or false', { file, layer: info.name, field: 'trainable', value: v });
      value = v;
    },
  });
  Object.defineProperty(holder, 'nonTrainableParams', { enumerable: true, get: () => (value ? statistics : info.numParams) });
  return holder;
}

/** Describes the graph's layers (internal nodes left out); `file` names the model in errors. */
export function describeLayers(graph: ModelGraph, file: string): LayerInfo[] {
  const internal = new Map<string, TensorRef>();
  for (const n of graph.nodes) if (isInternalClass(n.layer.imported.className)) internal.set(`${n.layer.spec.name}:${n.callIndex}`, n.inputs[0]);
  // A mask node stands in for the tensor it masks: "Connected to" names that tensor.
  const source = (ref: TensorRef): TensorRef => {
    for (let r = ref, depth = 0; depth < 64; depth++) {
      const through = internal.get(`${r.layer}:${r.node}`);
      if (!through) return r;
      r = through;
    }
    return ref;
  };
  const calls = new Map<string, string[][]>();
  for (const n of graph.nodes) {
    const list = calls.get(n.layer.spec.name) ?? [];
    list[n.callIndex] = n.inputs.map((r) => {
      const s = source(r);
      return `${s.layer}[${s.node}][${s.tensor}]`;
    });
    calls.set(n.layer.spec.name, list);
  }
  return graph.layers
    .filter(({ imported }) => !isInternalClass(imported.className))
    .map(({ spec: l, imported: i }) => {
      const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
      const statistics = i.weights.filter((w) => STATISTICS.has(w.name)).reduce((n, w) => n + size(w.shape), 0);
      const info = {
        name: l.name,
        className: i.className,
        outputShapes: i.outputShapes,
        outputShape: i.outputShapes[0],
        numParams: i.numParams,
        inbound: Array.from(calls.get(l.name) ?? [], (c) => c ?? []).filter((c) => c.length > 0),
        notes: i.notes,
        inputPreprocessor: i.inputPreprocessor,
        details: i.details,
      };
      return withTrainableFlag(info, l.config?.trainable !== false, Math.min(statistics, i.numParams), file);
    });
}

/** The model outputs with unique names (`lstm`, `lstm_1`, ... for several outputs of one layer). */
export function describeOutputs(graph: ModelGraph): OutputInfo[] {
  const taken = new Set<string>();
  const seen = new Map<string, number>();
  return graph.spec.outputs.map((r) => {
    let k = seen.get(r.layer) ?? 0;
    let name = k === 0 ? r.layer : `${r.layer}_${k}`;
    // `lstm_1` may itself be a layer whose output is listed too: count on until the name is free.
    while (taken.has(name)) name = `${r.layer}_${++k}`;
    seen.set(r.layer, k + 1);
    taken.add(name);
    return { name, layer: r.layer, tensor: r.tensor, shape: graph.shapes.get(refKey(r)) as Shape };
  });
}
