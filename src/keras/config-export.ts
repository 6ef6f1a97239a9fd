import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { KerasGeneration } from './generation.js';

/**
 * Writes a model's config in the schema of the file being saved, whatever generation it was read
 * from: Keras 3's (`.keras` config.json: `module` / `registered_name` entries, DTypePolicy objects,
 * InputLayer `batch_shape`, call nodes as `{args, kwargs}` of `__keras_tensor__` objects) or
 * tf.keras 2.x's (legacy `.h5` `model_config`: `{class_name, config}` entries, dtype strings,
 * `batch_input_shape`, call nodes as `[layer, node, tensor, kwargs]` lists). A config already in
 * the target schema is kept field for field (only `trainable` is updated).
 *
 * Fields one schema has and the other's constructors refuse (Keras 3 raises "Unrecognized keyword
 * arguments" for tf.keras' RNN `time_major`; tf.keras refuses Keras 3's RNN `seed`, `use_cudnn`,
 * LoRA fields, ...) are dropped; classes that do not exist in the target (CuDNN layers, TensorFlow
 * op layers, Keras 3 operations) are refused by name.
 */

/** The Keras 3 version whose config schema `.keras` files converted from older Keras follow. */
export const KERAS3_SCHEMA_VERSION = '3.10.0';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
const RNN_CLASSES = new Set(['LSTM', 'GRU', 'SimpleRNN', 'RNN']);
/** Wrapper fields holding a whole layer entry. */
const LAYER_FIELDS = new Set(['layer', 'backward_layer', 'cell', 'cells']);
/** Only in tf.keras (TensorFlow ops, Keras 1 layers): Keras 3 has no such class. */
const TF_KERAS_ONLY = new Set(['TFOpLambda', 'SlicingOpLambda', 'TimeDistributedDense', 'Merge']);

/** The Keras 3 layer a CuDNN layer is written as (Keras 3 has no CuDNN layers). */
export const CUDNN_AS_KERAS3: Readonly<Record<string, string>> = { CuDNNLSTM: 'LSTM', CuDNNGRU: 'GRU' };

/** CuDNN layer fields the plain layer takes as they are. */
const CUDNN_FIELDS = [
  'name', 'trainable', 'dtype', 'return_sequences', 'return_state', 'go_backwards', 'stateful', 'units',
  'kernel_initializer', 'recurrent_initializer', 'bias_initializer', 'unit_forget_bias',
  'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer',
  'kernel_constraint', 'recurrent_constraint', 'bias_constraint',
];

/**
 * A CuDNNLSTM / CuDNNGRU config as the LSTM / GRU (reset_after) that computes the same: cuDNN's
 * fixed tanh and sigmoid, a bias, no dropout (the weights are converted by the caller, as Keras'
 * `_convert_rnn_weights` does).
 */
function cudnnAsPlainConfig(className: string, config: Json): Json {
  const out: Json = {};
  for (const f of CUDNN_FIELDS) if (f in config && !(f === 'unit_forget_bias' && className === 'CuDNNGRU')) out[f] = config[f];
  Object.assign(out, { activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, dropout: 0, recurrent_dropout: 0, unroll: false });
  if (className === 'CuDNNGRU') out.reset_after = true;
  return out;
}

/** What the export needs besides the config. */
export interface ExportContext {
  file: string;
  /** Symbolic shape of a layer's output tensor (for Keras 3 `__keras_tensor__` entries). */
  shapeOf(layer: string, tensor: number): (number | null)[] | undefined;
  /** Input shape(s) of a layer's first call, for Keras 3 `build_config` (undefined: leave out). */
  inputShapeOf(layer: string): unknown;
  /** The trainable flag to write for a layer (by name), if the user changed it. */
  trainableOf(layer: string): boolean | undefined;
  /** True for a Keras 3 operation node (`keras.ops.*` applied to tensors), not a layer. */
  isOperation(layer: string): boolean;
}

function refuse(message: string, file: string, layer: string, className: string): never {
  throw new UnsupportedKerasConfigurationError(message, { file, layer, className });
}

function mapValues(v: unknown, f: (x: unknown, key: string | null) => unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => f(x, null));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f(x, k)]));
  return v;
}

// ------------------------------------------------------------------------------------------------
// to tf.keras 2.x (legacy .h5)

/** A serialised object of a config (initializer, regularizer, dtype policy) in legacy form. */
function legacyValue(v: unknown, key: string | null): unknown {
  if (isObject(v) && typeof v.class_name === 'string' && 'config' in v) {
    if (/DTypePolicy$/.test(v.class_name) && isObject(v.config)) return v.config.name;
    if (key !== null && LAYER_FIELDS.has(key)) return legacyLayerEntry(v, false);
    return { class_name: v.class_name, config: mapValues(v.config, legacyValue) };
  }
  if (key === 'cells' && Array.isArray(v)) return v.map((c) => legacyLayerEntry(c, false));
  return mapValues(v, legacyValue);
}

/** Keras 3 fields tf.keras' constructors do not accept. */
const KERAS3_ONLY_FIELDS = ['seed', 'use_cudnn', 'lora_rank', 'lora_alpha', 'quantization_config', 'optional'];

function legacyLayerConfig(className: string, config: Json): Json {
  const out = mapValues(config, legacyValue) as Json;
  if (className === 'InputLayer' && 'batch_shape' in out) {
    out.batch_input_shape = out.batch_shape;
    delete out.batch_shape;
  }
  for (const f of KERAS3_ONLY_FIELDS) {
    if (f === 'seed' && !RNN_CLASSES.has(className) && !className.endsWith('Cell')) continue;
    delete out[f];
  }
  if (className === 'LeakyReLU' && 'negative_slope' in out) {
    out.alpha = out.negative_slope;
    delete out.negative_slope;
  }
  return out;
}

let legacyContext: { file: string; trainableOf: ExportContext['trainableOf']; hasOperations: boolean; nested: Set<string> } | null = null;

function legacyLayerEntry(entry: unknown, topLevel: boolean): Json {
  const e = entry as Json;
  const className = String(e.class_name);
  const config = isObject(e.config) ? e.config : {};
  const name = String(e.name ?? config.name ?? '');
  const ctx = legacyContext as NonNullable<typeof legacyContext>;
  if (MODEL_CLASSES.has(className)) return { ...legacyModel({ class_name: className, config }), ...(topLevel ? legacyCallFields(e, name) : {}) };
  const out: Json = { class_name: className, config: withTrainable(legacyLayerConfig(className, config), name, ctx.trainableOf) };
  return topLevel ? { ...out, ...legacyCallFields(e, name) } : out;
}

function withTrainable(config: Json, name: string, trainableOf: ExportContext['trainableOf']): Json {
  const t = trainableOf(name);
  // entries without the field (Keras 3 operations) stay without it unless a layer was frozen
  return t === undefined || (t && !('trainable' in config)) ? config : { ...config, trainable: t };
}

function legacyCallFields(e: Json, name: string): Json {
  const out: Json = {};
  if ('name' in e) out.name = name;
  if (!('inbound_nodes' in e)) return out;
  const nodes = Array.isArray(e.inbound_nodes) ? e.inbound_nodes : [];
  // Operations' arguments only make sense in Keras 3's node form, and the tensors around them
  // (masks computed by ops) too: a model with operations keeps every node as Keras 3 writes it.
  const keep = (legacyContext as NonNullable<typeof legacyContext>).hasOperations;
  out.inbound_nodes = nodes.map((n) => (isObject(n) && !keep ? legacyNode(n) : n));
  return out;
}

/**
 * A Keras 3 node `{args, kwargs}` as tf.keras' list of `[layer, node, tensor, kwargs]` when it
 * has that form's shape (tensors only in the first argument or `initial_state`); otherwise the node
 * is kept as it is, as Keras 3's own legacy `.h5` writer keeps every node (tf.keras cannot read
 * such a model anyway: it holds Keras 3 operations or `mask=` tensors).
 */
function legacyNode(node: Json): unknown {
  const ctx = legacyContext as NonNullable<typeof legacyContext>;
  const refs: unknown[][] = [];
  let convertible = true;
  const collect = (v: unknown) => {
    if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config) && Array.isArray(v.config.keras_history)) {
      const [layer, n, t] = v.config.keras_history as [string, number, number];
      // Keras 3 counts a nested Functional's calls from 0 in call arguments; tf.keras from 1.
      refs.push([layer, ctx.nested.has(layer) ? n + 1 : n, t]);
    } else if (Array.isArray(v)) v.forEach(collect);
    else convertible = false;
  };
  const args = Array.isArray(node.args) ? node.args : [];
  if (args.length !== 1) convertible = false;
  collect(args[0]);
  const kwargs = isObject(node.kwargs) ? node.kwargs : {};
  const plain: Json = {};
  for (const [k, v] of Object.entries(kwargs)) {
    if (k === 'initial_state') collect(v);
    else if (k === 'mask' && v === null) continue;
    else if (JSON.stringify(v)?.includes('__keras_tensor__')) convertible = false;
    else plain[k] = v;
  }
  return convertible ? refs.map((r) => [...r, plain]) : node;
}

function legacyModel(json: Json): Json {
  const className = String(json.class_name);
  const config = isObject(json.config) ? json.config : {};
  const layers = Array.isArray(config.layers) ? config.layers : [];
  const out: Json = { name: config.name };
  if ('trainable' in config) out.trainable = config.trainable;
  out.layers = layers.map((l) => legacyLayerEntry(l, className !== 'Sequential'));
  if (className !== 'Sequential') {
    out.input_layers = config.input_layers;
    out.output_layers = config.output_layers;
  }
  return { class_name: className === 'Model' ? 'Functional' : className, config: out };
}

/** Names of the Functional models nested (at any depth) in a Keras 3 config. */
function nestedFunctionals(json: unknown, out = new Set<string>()): Set<string> {
  const c = isObject(json) && isObject(json.config) ? json.config : null;
  for (const l of Array.isArray(c?.layers) ? (c.layers as unknown[]) : []) {
    if (isObject(l) && MODEL_CLASSES.has(String(l.class_name))) {
      if (l.class_name !== 'Sequential') out.add(String(l.name ?? (isObject(l.config) ? l.config.name : '')));
      nestedFunctionals(l, out);
    }
  }
  return out;
}

/**
 * The model config in tf.keras 2.x form (the `model_config` attribute of a legacy `.h5`), from a
 * config of any generation 2 or 3.
 */
export function legacyModelConfig(json: unknown, generation: KerasGeneration, ctx: ExportContext): Json {
  if (generation.major === 1) throw keras1Refusal(ctx.file);
  if (!isObject(json)) throw new UnsupportedKerasConfigurationError('the model config is not an object', { file: ctx.file });
  if (generation.major === 2) return keepSchema(json, ctx);
  const hasOperations = [...layerNamesOf(json)].some((n) => ctx.isOperation(n));
  legacyContext = { file: ctx.file, trainableOf: ctx.trainableOf, hasOperations, nested: nestedFunctionals(json) };
  try {
    return legacyModel(json);
  } finally {
    legacyContext = null;
  }
}

// ------------------------------------------------------------------------------------------------
// to Keras 3 (.keras)

const DTYPE_POLICY = (name: unknown): Json => ({ module: 'keras', class_name: 'DTypePolicy', config: { name: typeof name === 'string' ? name : 'float32' }, registered_name: null });

function keras3Module(key: string | null): string {
  if (key === null) return 'keras.layers';
  if (key.endsWith('_initializer')) return 'keras.initializers';
  if (key.endsWith('_regularizer')) return 'keras.regularizers';
  if (key.endsWith('_constraint')) return 'keras.constraints';
  return 'keras.layers';
}

let keras3Ctx: { ctx: ExportContext; nestedSequential: Set<string>; nestedFunctional: Set<string>; layerNames: Set<string> } | null = null;

function keras3Value(v: unknown, key: string | null): unknown {
  if (key === 'dtype' && (typeof v === 'string' || (isObject(v) && v.class_name === 'Policy'))) {
    return DTYPE_POLICY(typeof v === 'string' ? v : isObject(v.config) ? v.config.name : undefined);
  }
  if (key !== null && LAYER_FIELDS.has(key)) {
    if (Array.isArray(v)) return v.map((c) => keras3LayerEntry(c, null));
    if (isObject(v)) return keras3LayerEntry(v, null);
  }
  if (isObject(v) && typeof v.class_name === 'string' && 'config' in v && Object.keys(v).every((k) => k === 'class_name' || k === 'config')) {
    return { module: keras3Module(key), class_name: v.class_name, config: mapValues(v.config, keras3Value), registered_name: null };
  }
  return mapValues(v, keras3Value);
}

function keras3LayerConfig(className: string, config: Json, name: string): Json {
  const out = mapValues(config, keras3Value) as Json;
  if (className === 'InputLayer') {
    const shape = out.batch_input_shape ?? out.batch_shape;
    const r: Json = { batch_shape: shape, dtype: typeof config.dtype === 'string' ? config.dtype : 'float32', sparse: config.sparse === true, name };
    return r;
  }
  delete out.batch_input_shape;
  delete out.input_dtype;
  if (RNN_CLASSES.has(className) || className.endsWith('Cell')) delete out.time_major;
  if (className === 'GRU' && !('reset_after' in out)) out.reset_after = false; // Keras 2's default, Keras 3's is true
  if (className === 'BatchNormalization' && Array.isArray(out.axis) && out.axis.length === 1) out.axis = out.axis[0];
  if (className === 'Embedding') delete out.input_length;
  if (!('name' in out)) out.name = name;
  return out;
}

function keras3LayerEntry(entry: unknown, callFields: { shapeRefs: boolean } | null): Json {
  const k = keras3Ctx as NonNullable<typeof keras3Ctx>;
  const e = entry as Json;
  const stored = String(e.class_name);
  const className = CUDNN_AS_KERAS3[stored] ?? stored;
  const config = isObject(e.config) ? (stored in CUDNN_AS_KERAS3 ? cudnnAsPlainConfig(stored, e.config) : e.config) : {};
  const name = String(e.name ?? config.name ?? '');
  if (TF_KERAS_ONLY.has(className) || className === 'Lambda') {
    refuse(`Keras 3 has no ${className} layer that reads this config: save as .h5 instead`, k.ctx.file, name, className);
  }
  if (MODEL_CLASSES.has(className)) {
    return { ...keras3Model({ class_name: className, config }, name), ...(callFields ? keras3CallFields(e, name, className) : {}) };
  }
  const out: Json = {
    module: 'keras.layers',
    class_name: className,
    config: withTrainable(keras3LayerConfig(className, config, name), name, k.ctx.trainableOf),
    registered_name: null,
  };
  if (callFields) {
    const shape = k.ctx.inputShapeOf(name);
    if (shape !== undefined && className !== 'InputLayer') out.build_config = { input_shape: shape };
    Object.assign(out, keras3CallFields(e, name, className));
  }
  return out;
}

function keras3Tensor(ref: unknown[]): Json {
  const k = keras3Ctx as NonNullable<typeof keras3Ctx>;
  const [layer, node, tensor] = ref as [string, number, number];
  // tf.keras counts a nested model's calls from 1 (node 0 is its own); Keras 3 call arguments from 0.
  const n = k.nestedSequential.has(layer) || k.nestedFunctional.has(layer) ? Math.max(0, node - 1) : node;
  return {
    class_name: '__keras_tensor__',
    config: { shape: k.ctx.shapeOf(layer, tensor) ?? null, dtype: 'float32', keras_history: [layer, n, tensor] },
  };
}

function isRefList(v: unknown): v is unknown[] {
  return Array.isArray(v) && typeof v[0] === 'string' && Number.isInteger(v[1]) && Number.isInteger(v[2] ?? 0) && v.length >= 3 && v.length <= 4;
}

function keras3CallFields(e: Json, name: string, className: string): Json {
  const out: Json = { name };
  if (!('inbound_nodes' in e)) return out;
  const nodes = Array.isArray(e.inbound_nodes) ? e.inbound_nodes : [];
  const k3 = keras3Ctx as NonNullable<typeof keras3Ctx>;
  out.inbound_nodes = nodes.map((node) => {
    if (isObject(node)) return node;
    const entries = (Array.isArray(node) ? node : []) as unknown[];
    if (!entries.every(isRefList)) {
      const k = keras3Ctx as NonNullable<typeof keras3Ctx>;
      refuse('this call node (constants or nested structures, as TensorFlow op layers store them) has no Keras 3 equivalent', k.ctx.file, name, className);
    }
    const refs = entries as unknown[][];
    const stored = (isObject(refs[0]?.[3]) ? refs[0][3] : {}) as Json;
    const kwargs: Json = {};
    const initialState: Json[] = [];
    // tf.keras >= 2.4 stores tensors passed as keyword arguments (initial_state, MultiHeadAttention's
    // value / key) as [layer, node, tensor] lists inside the kwargs.
    const tensors = (v: unknown): unknown =>
      isRefList(v) && k3.layerNames.has(String(v[0])) ? keras3Tensor(v) : Array.isArray(v) ? v.map(tensors) : isObject(v) ? mapValues(v, tensors) : v;
    for (const [key, v] of Object.entries(stored)) {
      if (key === 'initial_state' && Array.isArray(v)) {
        for (const s of isRefList(v) ? [v] : v) if (isRefList(s)) initialState.push(keras3Tensor(s));
      } else kwargs[key] = tensors(v);
    }
    const recurrent = RNN_CLASSES.has(className) || className === 'Bidirectional';
    const main = recurrent ? refs.slice(0, 1) : refs;
    if (recurrent) for (const s of refs.slice(1)) initialState.push(keras3Tensor(s));
    if (initialState.length > 0) kwargs.initial_state = initialState;
    const args = main.map(keras3Tensor);
    return { args: [args.length === 1 ? args[0] : args], kwargs };
  });
  return out;
}

function keras3Model(json: Json, nameHint?: string): Json {
  const className = String(json.class_name) === 'Model' ? 'Functional' : String(json.class_name);
  const raw = json.config;
  const config: Json = Array.isArray(raw) ? { layers: raw } : isObject(raw) ? raw : {};
  const name = String(config.name ?? nameHint ?? (className === 'Sequential' ? 'sequential' : 'functional'));
  const trainable = config.trainable !== false;
  let layers = (Array.isArray(config.layers) ? config.layers : []) as Json[];
  if (className === 'Sequential') {
    const first = layers[0];
    const firstConfig = isObject(first?.config) ? first.config : {};
    const shape = firstConfig.batch_input_shape;
    if (first && first.class_name !== 'InputLayer' && Array.isArray(shape)) {
      // Keras 3 writes a Sequential model's input as an InputLayer entry.
      layers = [{ class_name: 'InputLayer', config: { batch_input_shape: shape, dtype: firstConfig.dtype ?? 'float32', name: `${String(firstConfig.name)}_input` } }, ...layers];
    }
    const out: Json = {
      name,
      trainable,
      dtype: DTYPE_POLICY('float32'),
      layers: layers.map((l) => keras3LayerEntry(l, null)),
    };
    return { module: 'keras', class_name: 'Sequential', config: out, registered_name: null };
  }
  const k = keras3Ctx as NonNullable<typeof keras3Ctx>;
  const fixIo = (refs: unknown) => {
    const list = isRefList(refs) ? [refs] : Array.isArray(refs) ? refs : [];
    // input_layers / output_layers: Keras 3 counts a nested Sequential's calls from 0 (tf.keras from 1).
    return list.map((r) => (isRefList(r) ? [r[0], k.nestedSequential.has(String(r[0])) ? Math.max(0, Number(r[1]) - 1) : r[1], r[2] ?? 0] : r));
  };
  const out: Json = {
    name,
    trainable,
    layers: layers.map((l) => keras3LayerEntry(l, { shapeRefs: true })),
    input_layers: fixIo(config.input_layers),
    output_layers: fixIo(config.output_layers),
  };
  return { module: 'keras.src.models.functional', class_name: 'Functional', config: out, registered_name: 'Functional' };
}

/** Every layer name in a config (nested models included). */
function layerNamesOf(json: unknown, out = new Set<string>()): Set<string> {
  const c = isObject(json) ? json.config : null;
  const layers = Array.isArray(c) ? c : isObject(c) && Array.isArray(c.layers) ? c.layers : [];
  for (const l of layers as unknown[]) {
    if (!isObject(l)) continue;
    out.add(String(l.name ?? (isObject(l.config) ? l.config.name : '')));
    if (MODEL_CLASSES.has(String(l.class_name))) layerNamesOf(l, out);
  }
  return out;
}

function collectNested(json: unknown, seq: Set<string>, fun: Set<string>): void {
  const c = isObject(json) ? json.config : null;
  const layers = Array.isArray(c) ? c : isObject(c) && Array.isArray(c.layers) ? c.layers : [];
  for (const l of layers as unknown[]) {
    if (!isObject(l) || !MODEL_CLASSES.has(String(l.class_name))) continue;
    const name = String(l.name ?? (isObject(l.config) ? l.config.name : ''));
    (l.class_name === 'Sequential' ? seq : fun).add(name);
    collectNested(l, seq, fun);
  }
}

/**
 * The model config in Keras 3 form (`config.json` of a `.keras` archive), from a config of
 * generation 2 or 3.
 */
export function keras3ModelConfig(json: unknown, generation: KerasGeneration, ctx: ExportContext): Json {
  if (generation.major === 1) throw keras1Refusal(ctx.file);
  if (!isObject(json)) throw new UnsupportedKerasConfigurationError('the model config is not an object', { file: ctx.file });
  if (generation.major === 3) return keepSchema(json, ctx);
  const seq = new Set<string>();
  const fun = new Set<string>();
  collectNested(json, seq, fun);
  keras3Ctx = { ctx, nestedSequential: seq, nestedFunctional: fun, layerNames: layerNamesOf(json) };
  try {
    const model = keras3Model(json);
    const inputShape = ctx.inputShapeOf('');
    return { ...model, build_config: { input_shape: model.class_name === 'Sequential' ? (inputShape ?? null) : null } };
  } finally {
    keras3Ctx = null;
  }
}

/** A config already in the target schema: a deep copy with the `trainable` flags brought up to date. */
function keepSchema(json: Json, ctx: ExportContext): Json {
  const copy = JSON.parse(JSON.stringify(json)) as Json;
  const visit = (model: Json) => {
    const c = model.config;
    const layers = Array.isArray(c) ? c : isObject(c) && Array.isArray(c.layers) ? c.layers : [];
    for (const l of layers as unknown[]) {
      if (!isObject(l) || !isObject(l.config)) continue;
      const name = String(l.name ?? l.config.name ?? '');
      if (!MODEL_CLASSES.has(String(l.class_name))) l.config = withTrainable(l.config, name, ctx.trainableOf);
      if (MODEL_CLASSES.has(String(l.class_name))) visit(l);
    }
  };
  visit(copy);
  return copy;
}

/** Keras 1 configs are converted to Keras 2 first (keras1-export.ts). */
function keras1Refusal(file: string): UnsupportedKerasConfigurationError {
  return new UnsupportedKerasConfigurationError('internal: a Keras 1 config must be converted to Keras 2 before export', { file, field: 'keras_version' });
}
