import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { KerasGeneration } from './generation.js';
import { normalizeKeras3Calls } from './keras3-calls.js';
import { inlineNestedModels } from './nested-models.js';
import type { LayerCall, LayerSpec, ModelSpec, SavedLayer, TensorRef } from './model-spec.js';
import { isInputPlaceholder } from './model-spec.js';

export type { TensorRef, LayerCall, InputPlaceholder, LayerSpec, ModelSpec } from './model-spec.js';
export { isInputPlaceholder } from './model-spec.js';

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);
const RECURRENT_CLASSES = new Set(['LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU', 'ConvLSTM1D']);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function fail(message: string, file: string, field: string, value: unknown): never {
  throw new InvalidKerasConfigurationError(message, { file, field, value });
}

/**
 * The input shape a layer declares, in every generation's spelling: `batch_input_shape` (Keras 1/2),
 * `batch_shape` (Keras 3 InputLayer), Keras 1's `input_dim` / `input_length`, or Keras 3's
 * `build_config.input_shape`.
 */
function declaredInputShape(className: string, config: Record<string, unknown>, buildConfig: unknown): (number | null)[] | undefined {
  const shape = config.batch_input_shape ?? config.batch_shape;
  if (Array.isArray(shape)) return shape as (number | null)[];
  if (Array.isArray(config.input_shape)) return [null, ...(config.input_shape as (number | null)[])];
  if (isObject(buildConfig) && Array.isArray(buildConfig.input_shape) && !Array.isArray(buildConfig.input_shape[0])) {
    return buildConfig.input_shape as (number | null)[];
  }
  const inputDim = config.input_dim;
  if (className === 'Embedding') {
    return 'input_length' in config ? [null, (config.input_length as number | null) ?? null] : undefined;
  }
  if (typeof inputDim === 'number') {
    if (RECURRENT_CLASSES.has(className) || className === 'TimeDistributedDense') {
      return [null, (config.input_length as number | null) ?? null, inputDim];
    }
    return [null, inputDim];
  }
  return undefined;
}

function tensorRefFromList(entry: unknown, file: string, where: string): TensorRef {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string') fail('expected [layer_name, node_index, tensor_index]', file, where, entry);
  const node = entry[1] ?? 0;
  const tensor = entry[2] ?? 0;
  if (!Number.isInteger(node) || !Number.isInteger(tensor)) fail('node and tensor indices must be integers', file, where, entry);
  return { layer: entry[0], node: node as number, tensor: tensor as number };
}

/** Keras 3 serialises tensors as `{class_name: "__keras_tensor__", config: {keras_history: [...]}}`. */
function collectKeras3Tensors(value: unknown, out: TensorRef[], file: string, where: string): void {
  if (Array.isArray(value)) {
    for (const v of value) collectKeras3Tensors(v, out, file, where);
  } else if (isObject(value) && value.class_name === '__keras_tensor__') {
    const cfg = value.config;
    if (!isObject(cfg)) fail('keras tensor without config', file, where, value);
    out.push(tensorRefFromList(cfg.keras_history, file, where));
  } else if (isObject(value) && isObject(value.config) && 'keras_history' in value.config) {
    out.push(tensorRefFromList(value.config.keras_history, file, where));
  }
}

function parseInboundNodes(layer: Record<string, unknown>, file: string, knownLayers: ReadonlySet<string>): LayerCall[] {
  const nodes = layer.inbound_nodes;
  if (nodes === undefined || nodes === null) return [];
  if (!Array.isArray(nodes)) fail('inbound_nodes must be a list', file, `${String(layer.name)}.inbound_nodes`, nodes);
  const where = `${String(layer.name)}.inbound_nodes`;
  return nodes.map((node): LayerCall => {
    if (isObject(node)) {
      // Keras 3: {args: [...], kwargs: {...}}; initial states arrive as a keyword argument.
      const inputs: TensorRef[] = [];
      collectKeras3Tensors(node.args, inputs, file, where);
      const states: TensorRef[] = [];
      const kwargs = isObject(node.kwargs) ? node.kwargs : {};
      collectKeras3Tensors(kwargs.initial_state, states, file, where);
      const call = keras3CallArguments(node, inputs.length + states.length, file, where);
      return { inputs: [...inputs, ...states, ...call.extra], initialStates: states.length, args: call.args, kwargs: call.kwargs };
    }
    if (!Array.isArray(node)) fail('an inbound node must be a list', file, where, node);
    // Keras 1/2: a list of [layer, node, tensor, kwargs]; an RNN called with initial_state lists
    // the states after the sequence, so every input past the first is a state for recurrent layers.
    // tf.keras op layers (TFOpLambda) keep their first argument's structure: a single tensor is
    // stored as the entry itself, and constants as ['_CONSTANT_VALUE', -1, value, kwargs].
    const call = keras2CallArguments(node, knownLayers, file, where);
    const isRecurrent = RECURRENT_CLASSES.has(String(layer.class_name)) || layer.class_name === 'Bidirectional';
    const main = call.inputs.length - call.kwargTensors;
    return { ...call, initialStates: isRecurrent ? Math.max(0, main - 1) : 0 };
  });
}

const CONSTANT_VALUE = '_CONSTANT_VALUE';

function isKeras2Entry(v: unknown): v is unknown[] {
  return Array.isArray(v) && typeof v[0] === 'string' && v.length >= 3 && v.length <= 4 && Number.isInteger(v[1]) && Number.isInteger(v[2] ?? 0);
}

/**
 * Splits a tf.keras / Keras 2 inbound node into its tensors (first argument first, then tensors
 * passed as keyword arguments, which tf.keras stores as [layer, node, tensor] lists) and the
 * call's arguments with placeholders. Every entry of the first argument repeats the call's kwargs.
 */
function keras2CallArguments(
  node: unknown[],
  knownLayers: ReadonlySet<string>,
  file: string,
  where: string,
): { inputs: TensorRef[]; args: unknown[]; kwargs: Record<string, unknown>; kwargTensors: number } {
  const inputs: TensorRef[] = [];
  let kwargs: Record<string, unknown> | undefined;
  const constant = (v: unknown[]) => v[0] === CONSTANT_VALUE && v[1] === -1;
  const first = (v: unknown): unknown => {
    if (Array.isArray(v) && (constant(v) || isKeras2Entry(v))) {
      if (isObject(v[3]) && kwargs === undefined) kwargs = v[3];
      if (constant(v)) return v[2];
      inputs.push(tensorRefFromList(v, file, where));
      return { $input: inputs.length - 1 };
    }
    if (Array.isArray(v)) return v.map(first);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, first(x)]));
    fail('expected [layer_name, node_index, tensor_index]', file, where, v);
  };
  const firstArg = node.length > 0 && (constant(node) || isKeras2Entry(node)) ? first(node) : node.map(first);
  const main = inputs.length;
  const inKwargs = (v: unknown): unknown => {
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && knownLayers.has(v[0]) && Number.isInteger(v[1]) && Number.isInteger(v[2])) {
      inputs.push(tensorRefFromList(v, file, where));
      return { $input: inputs.length - 1 };
    }
    if (Array.isArray(v)) return v.map(inKwargs);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inKwargs(x)]));
    return v;
  };
  const kw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs ?? {})) kw[k] = k === 'mask' ? asReference(v, knownLayers) : inKwargs(v);
  return { inputs, args: [firstArg], kwargs: kw, kwargTensors: inputs.length - main };
}

/** An explicit `mask=` tensor argument: kept as `{ $ref }` references, not as inputs (importers
 * that honour explicit masks read them from `LayerCall.kwargs.mask`). */
function asReference(v: unknown, knownLayers: ReadonlySet<string>): unknown {
  if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && knownLayers.has(v[0]) && Number.isInteger(v[1]) && Number.isInteger(v[2])) {
    return { $ref: { layer: v[0], node: v[1], tensor: v[2] } };
  }
  if (isObject(v) && (v.class_name === '__keras_tensor__' || (isObject(v.config) && 'keras_history' in v.config))) {
    const cfg = (isObject(v.config) ? v.config : {}) as Record<string, unknown>;
    const h = cfg.keras_history;
    if (Array.isArray(h) && typeof h[0] === 'string') return { $ref: { layer: h[0], node: h[1] ?? 0, tensor: h[2] ?? 0 } };
  }
  if (Array.isArray(v)) return v.map((x) => asReference(x, knownLayers));
  return v;
}

/**
 * The arguments of a Keras 3 call with tensors replaced by placeholders. Tensors of `args` and of
 * `initial_state` are the first `counted` inputs (in that order, as collected by the caller);
 * tensors in other keyword arguments are returned in `extra`, to be appended after them.
 */
function keras3CallArguments(
  node: Record<string, unknown>,
  counted: number,
  file: string,
  where: string,
): { args: unknown[]; kwargs: Record<string, unknown>; extra: TensorRef[] } {
  let next = 0;
  const extra: TensorRef[] = [];
  const isTensor = (v: unknown): v is Record<string, unknown> =>
    isObject(v) && (v.class_name === '__keras_tensor__' || (isObject(v.config) && 'keras_history' in v.config));
  const walk = (v: unknown, counting: boolean): unknown => {
    if (isTensor(v)) {
      if (counting) return { $input: next++ };
      const refs: TensorRef[] = [];
      collectKeras3Tensors(v, refs, file, where);
      extra.push(...refs);
      return { $input: counted + extra.length - 1 };
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, counting));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, counting)]));
    return v;
  };
  const args = (Array.isArray(node.args) ? node.args : []).map((a) => walk(a, true));
  const rawKwargs = isObject(node.kwargs) ? node.kwargs : {};
  const kwargs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rawKwargs)) kwargs[k] = k === 'mask' ? asReference(v, new Set()) : walk(v, k === 'initial_state');
  return { args, kwargs, extra };
}

function refList(value: unknown, file: string, field: string): TensorRef[] {
  if (!Array.isArray(value)) fail('expected a list of [layer, node, tensor]', file, field, value);
  if (typeof value[0] === 'string') return [tensorRefFromList(value, file, field)];
  return value.map((v) => tensorRefFromList(v, file, field));
}

function layerEntry(raw: unknown, file: string, index: number): { className: string; config: Record<string, unknown>; raw: Record<string, unknown> } {
  if (!isObject(raw)) fail('a layer entry must be an object', file, `layers[${index}]`, raw);
  const className = raw.class_name;
  if (typeof className !== 'string') fail('layer entry without class_name', file, `layers[${index}].class_name`, className);
  const config = raw.config;
  if (!isObject(config) && !(MODEL_CLASSES.has(className) && Array.isArray(config))) {
    fail('layer entry without a config object', file, `layers[${index}].config`, config);
  }
  return { className, config: config as Record<string, unknown>, raw };
}

function layerName(entry: { config: Record<string, unknown>; raw: Record<string, unknown> }, file: string, index: number): string {
  const name = entry.raw.name ?? entry.config.name;
  if (typeof name !== 'string' || name === '') fail('layer without a name', file, `layers[${index}].name`, name);
  return name;
}

/** Parses a model used as a layer (nested Sequential / Functional / Model) into its own spec. */
function parseNested(e: { className: string; config: Record<string, unknown>; raw: Record<string, unknown> }, file: string, generation: KerasGeneration): ModelSpec {
  return parseModelConfig({ class_name: e.className, config: e.config, build_config: e.raw.build_config }, file, generation, { nested: true });
}

function parseSequential(
  config: unknown,
  file: string,
  generation: KerasGeneration,
  modelName: string,
  buildInputShape: unknown,
  nested = false,
): ModelSpec {
  const layersRaw = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layersRaw) || layersRaw.length === 0) fail('a Sequential model needs a non-empty layer list', file, 'config.layers', layersRaw);
  const layers: LayerSpec[] = [];
  let previous: TensorRef | null = null;
  const entries = layersRaw.map((l, i) => layerEntry(l, file, i));
  const branchInputs: TensorRef[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const name = layerName(e, file, i);
    if (isKeras1MergeOfBranches(e)) {
      const merged = expandKeras1Merge(e, name, previous, file, generation, layers);
      branchInputs.push(...merged.inputs);
      previous = merged.output;
      continue;
    }
    const inner = MODEL_CLASSES.has(e.className) ? parseNested(e, file, generation) : undefined;
    const declared = inner
      ? inner.layers.find((l) => l.name === inner.inputs[0]?.layer)?.declaredInputShape
      : declaredInputShape(e.className, e.config, e.raw.build_config);
    if (previous === null) {
      if (e.className === 'InputLayer') {
        layers.push({ name, className: e.className, config: e.config, calls: [], declaredInputShape: declared });
        previous = { layer: name, node: 0, tensor: 0 };
        continue;
      }
      // Keras adds an implicit InputLayer named "<first layer>_input" in front of a Sequential model.
      const shape =
        declared ??
        (Array.isArray(buildInputShape) ? (buildInputShape as (number | null)[]) : undefined);
      // A nested Sequential takes its input shape from the outer model's call.
      if (!shape && !nested) fail('the first layer of a Sequential model declares no input shape', file, `${name}.batch_input_shape`, undefined);
      const inputName = `${name}_input`;
      layers.push({ name: inputName, className: 'InputLayer', config: { name: inputName, batch_input_shape: shape }, calls: [], declaredInputShape: shape });
      previous = { layer: inputName, node: 0, tensor: 0 };
    }
    if (e.className === 'InputLayer') {
      // Keras' Sequential accepts an InputLayer only as its first layer.
      fail('an InputLayer can only be the first layer of a Sequential model', file, `layers[${i}]`, name);
    }
    layers.push({
      name,
      className: e.className,
      config: e.config,
      calls: [{ inputs: [previous], initialStates: 0 }],
      declaredInputShape: declared,
      ...(inner ? { nested: inner } : {}),
    });
    previous = { layer: name, node: 0, tensor: 0 };
  }
  const input = layers[0];
  return {
    name: modelName,
    className: 'Sequential',
    layers,
    inputs: branchInputs.length > 0 ? branchInputs : [{ layer: input.name, node: 0, tensor: 0 }],
    outputs: [previous as TensorRef],
    generation,
  };
}

/** A Keras 1 `Merge` written inside a Sequential model: its config lists the merged branches. */
function isKeras1MergeOfBranches(e: { className: string; config: Record<string, unknown> }): boolean {
  return e.className === 'Merge' && Array.isArray(e.config.layers);
}

/**
 * Expands a Keras 1 `Sequential([Merge([branch1, branch2, ...], mode=...), ...])` into the graph
 * it stands for: every branch (a Sequential, or a single layer) becomes a chain with its own
 * input, and the Merge layer a node over the branches' outputs. Keras 1 saves the branches'
 * weights first, in branch order (`Sequential.flattened_layers`), which is the order of the
 * layers pushed here. Appends to `layers`; returns the branches' inputs and the Merge's output.
 */
function expandKeras1Merge(
  e: { className: string; config: Record<string, unknown> },
  name: string,
  previous: TensorRef | null,
  file: string,
  generation: KerasGeneration,
  layers: LayerSpec[],
): { inputs: TensorRef[]; output: TensorRef } {
  if (previous !== null) {
    fail('a Merge of branches can only be the first layer of a Sequential model', file, `${name}.layers`, name);
  }
  const branches = e.config.layers as unknown[];
  if (branches.length < 2) fail('a Merge needs at least two branches', file, `${name}.layers`, branches.length);
  const inputs: TensorRef[] = [];
  const outputs: TensorRef[] = [];
  branches.forEach((b, i) => {
    const where = `${name}.layers[${i}]`;
    if (!isObject(b) || typeof b.class_name !== 'string') fail('a Merge branch must be a {class_name, config} object', file, where, b);
    let branch: ModelSpec;
    if (b.class_name === 'Sequential') {
      branch = parseSequential(b.config, file, generation, `${name}_branch_${i}`, undefined);
    } else if (MODEL_CLASSES.has(b.class_name)) {
      throw new UnsupportedKerasConfigurationError('a functional model as a Merge branch is not supported', { file, layer: name, className: 'Merge', field: where, value: b.class_name });
    } else {
      // Merge([layer_a, layer_b]): each layer is a branch of its own, fed by its own input.
      branch = parseSequential([b], file, generation, `${name}_branch_${i}`, undefined);
    }
    for (const l of branch.layers) {
      if (layers.some((x) => x.name === l.name)) fail('two layers share a name', file, `${where}.name`, l.name);
      layers.push(l);
    }
    inputs.push(...branch.inputs);
    outputs.push(...branch.outputs);
  });
  const { layers: _branches, ...config } = e.config;
  layers.push({ name, className: 'Merge', config, calls: [{ inputs: outputs, initialStates: 0 }] });
  return { inputs, output: { layer: name, node: 0, tensor: 0 } };
}

function parseFunctional(config: unknown, file: string, generation: KerasGeneration, className: string): ModelSpec {
  if (!isObject(config)) fail('a functional model config must be an object', file, 'config', config);
  const layersRaw = config.layers;
  if (!Array.isArray(layersRaw) || layersRaw.length === 0) fail('a functional model needs a non-empty layer list', file, 'config.layers', layersRaw);
  const knownLayers = new Set(layersRaw.map((l) => (isObject(l) ? String(l.name ?? (isObject(l.config) ? l.config.name : '')) : '')));
  const layers = layersRaw.map((l, i): LayerSpec => {
    const e = layerEntry(l, file, i);
    const name = layerName(e, file, i);
    return {
      name,
      className: e.className,
      config: e.config,
      calls: parseInboundNodes(e.raw, file, knownLayers),
      declaredInputShape: declaredInputShape(e.className, e.config, e.raw.build_config),
      ...('module' in e.raw ? { module: typeof e.raw.module === 'string' ? e.raw.module : null } : {}),
      ...(MODEL_CLASSES.has(e.className) ? { nested: parseNested(e, file, generation) } : {}),
    };
  });
  return {
    name: typeof config.name === 'string' ? config.name : 'model',
    className,
    layers,
    inputs: refList(config.input_layers, file, 'config.input_layers'),
    outputs: refList(config.output_layers, file, 'config.output_layers'),
    generation,
  };
}

/**
 * Normalises a model config (`model.to_json()`, `model_config`, `config.json`) into a ModelSpec:
 * Keras 3 operation nodes and `mask=` arguments normalised (keras3-calls.ts), nested models
 * inlined (nested-models.ts).
 */
export function parseModelConfig(json: unknown, file: string, generation: KerasGeneration, options: { nested?: boolean } = {}): ModelSpec {
  return inlineNestedModels(normalizeKeras3Calls(parseModelLevel(json, file, generation, options.nested === true), file), file);
}

function parseModelLevel(json: unknown, file: string, generation: KerasGeneration, nested: boolean): ModelSpec {
  if (!isObject(json)) fail('the model config must be a JSON object', file, 'model_config', json);
  const className = json.class_name;
  if (typeof className !== 'string') fail('the model config has no class_name', file, 'class_name', className);
  const config = json.config;
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'sequential';
  if (className === 'Sequential') {
    const buildInput = isObject(config) ? (config.build_input_shape ?? (isObject(json.build_config) ? json.build_config.input_shape : undefined)) : undefined;
    return parseSequential(config, file, generation, name, buildInput, nested);
  }
  if (className === 'Model' || className === 'Functional') return parseFunctional(config, file, generation, className);
  throw new UnsupportedKerasConfigurationError('the top-level object is not a Sequential or functional model', {
    file,
    field: 'class_name',
    value: className,
  });
}
