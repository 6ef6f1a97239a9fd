import { InputError, InternalError } from '../errors.js';
import type { ModelGraph } from '../graph/build-graph.js';
import { refKey } from '../graph/build-graph.js';
import type { KerasGeneration } from '../keras/generation.js';
import type { TensorRef } from '../keras/model-config.js';
import type { Shape, StringFrontEnd } from '../layers/types.js';
import { stringFrontEnds, encodeStringInput, isStringBatch } from './string-inputs.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { BatchWorkers } from '../engine/batch-workers.js';
import { runPlan, stepsFor, type PlanStep } from '../engine/run-plan.js';
import type { TensorData, TensorInput } from '../types/tensor.js';
import { formatSummary } from './summary.js';
import { describeLayers, describeOutputs, type LayerInfo, type OutputInfo } from './layer-info.js';

export type { LayerInfo, OutputInfo } from './layer-info.js';
import { Stream } from './stream.js';
import { checkBatchSteps, DEFAULT_LIMITS, type ResolvedLimits } from './limits.js';
import { checkNumericData, validateInput } from './validate-input.js';
import { buildKernels } from './instantiate.js';
import { checkFormat, formatFromPath, modelToBytes, type SaveFormat } from './save-model.js';
import { compileModel, disposeTraining, evaluateModel, fitModel, trainOnBatch, type CompileOptions, type EvaluateOptions, type FitOptions, type History, type TrainOnBatchOptions, type TrainingInput, type TrainingSetup } from './model-training.js';
import type { FileTrainingConfig } from '../training/training-config.js';
import type { ThreadsSource } from '../training/train-threads.js';
import { reinitializedWeights } from '../training/initializers.js';

/** Options of {@link Model.save}. */
export interface SaveOptions {
  /** `keras` (Keras 3 archive), `h5` (legacy full model) or `weights.h5` (Keras 3 weights only). */
  format: SaveFormat;
  /** Return a `Blob` (browsers) instead of bytes. */
  as?: 'bytes' | 'blob';
}

/**
 * What `predict` takes: one tensor per model input (an array, or an object keyed by input name,
 * for several). An input that feeds a string layer (TextVectorization, StringLookup, Hashing on a
 * string Input) takes texts: `['a good movie', 'awful']` or `{ data: string[], shape: [n] }`.
 */
export type ModelInput = TensorInput | StringInput | string[] | (TensorInput | StringInput | string[])[] | Record<string, TensorInput | StringInput | string[]>;

/** Texts for a string input: `shape` is `[n]` or `[n, 1]` (one text per sample). */
export interface StringInput {
  data: string[];
  shape: number[];
}

export type { NamedWeight, LayerWeights, StoredModel, RuntimeInfo } from './model-info.js';
import type { LayerWeights, RuntimeInfo, StoredModel, TrainingForSaving } from './model-info.js';
import type { KernelRequest } from './instantiate.js';

/** Options of {@link Model.predict}. */
export interface PredictOptions {
  /**
   * Return these layers' outputs instead of the model's: a layer name (its first output) or
   * `"name:i"` for its i-th output (e.g. an LSTM's states with return_state).
   */
  outputs?: string[];
}

/** A loaded Keras model. Create with `loadModel`; free its wasm memory with `dispose()`. */
export class Model {
  /** The Keras model name. */
  readonly name: string;
  /** `Sequential`, `Model` or `Functional`. */
  readonly className: string;
  /** Which Keras wrote the file. */
  readonly generation: KerasGeneration;
  /** The model's inputs (InputLayer names and shapes). */
  readonly inputs: { name: string; shape: Shape; /** `'string'` for an input that takes texts (see {@link ModelInput}). */ dtype?: 'string' }[];
  /** The model's outputs, named as `predictNamed` and the CLI name them (see {@link OutputInfo}). */
  readonly outputs: OutputInfo[];
  /** Every layer with the importer's answers. */
  readonly layers: LayerInfo[];
  /** The file the model came from. */
  readonly fileName: string;
  /** False for an architecture loaded without weights: shapes and counts work, predict does not. */
  readonly hasWeights: boolean;
  /**
   * What was read: `keras-h5` (a full-model .h5), `keras-archive` (.keras), `keras-json` (an
   * architecture JSON alone), `keras-json+weights` (JSON + weights file), `tfjs-layers` (a
   * TensorFlow.js model.json and its weight files), `tf-savedmodel` (a tf.keras SavedModel
   * directory).
   */
  readonly format: string;
  /**
   * A sentence on the source, e.g. `Keras 2.1.2 HDF5 (.h5)`, `tf.keras SavedModel (TF 2.10.1,
   * keras_metadata.pb)` or, for TF.js, the converter, weight groups and quantization; null when
   * there is nothing to add.
   */
  readonly formatDetails: string | null;

  private disposed = false;
  private readonly planCache = new Map<string, PlanStep[]>();
  /** Worker threads of loadModel's `threads` option (see engine/batch-workers.ts). */
  private workers: BatchWorkers | null = null;
  private fixedSteps?: number;
  /** Per model input: the front end of the layer that takes its strings, or null for numeric inputs. */
  private readonly stringInputs: (StringFrontEnd | null)[];

  /** @internal */
  constructor(
    private readonly graph: ModelGraph,
    private steps: PlanStep[] | null,
    private memory: WasmMemory | null,
    fileName: string,
    /** @internal */
    readonly stored: StoredModel,
    format: { format: string; details: string | null } = { format: 'keras', details: null },
    /** Caps of loadModel's `limits` option (maxBatchSteps is checked at every predict). */
    private readonly limits: ResolvedLimits = DEFAULT_LIMITS,
    /** How the model runs (loadModel's `kernels`, `weights` and `sequenceThreads`, resolved). */
    private runtime: RuntimeInfo = { kernels: null, weights: 'float32', lowPrecisionLayers: [], sequenceThreads: null },
    /** What loadModel asked of the kernels, for rebuilding the instance (setWeights, fit). */
    private readonly kernelRequest: KernelRequest = { kernels: 'simd', weights: 'float32' },
  ) {
    const spec = graph.spec;
    this.name = spec.name;
    this.className = spec.className;
    this.generation = spec.generation;
    this.fileName = fileName;
    this.hasWeights = steps !== null;
    this.format = format.format;
    this.formatDetails = format.details;
    const shapeOf = (ref: TensorRef) => graph.shapes.get(refKey(ref)) as Shape;
    this.stringInputs = stringFrontEnds(graph, fileName);
    this.inputs = spec.inputs.map((r, i) => ({ name: r.layer, shape: shapeOf(r), ...(this.stringInputs[i] ? { dtype: 'string' as const } : {}) }));
    this.outputs = describeOutputs(graph);
    this.layers = describeLayers(graph, fileName);
  }

  /**
   * How the model runs: `kernels`, the wasm build predict runs (`relaxed-simd` or `simd`; results
   * are deterministic per build and differ between builds in the last bits); `weights`, the
   * precision of the recurrent kernels; `sequenceThreads`, over how many threads one sequence is
   * split (a call is split only when its work per step is large enough) and, when that is 1, why.
   */
  get info(): RuntimeInfo {
    return this.runtime;
  }

  /** @internal The worker threads of loadModel's `threads` option, or null (read-only). */
  get batchWorkers(): BatchWorkers | null {
    return this.workers;
  }

  /** @internal The wasm memory cap of loadModel's `limits` (training instances use it too). */
  get maxWasmBytes(): number {
    return this.limits.maxWasmBytes;
  }

  /** @internal Hands the model its worker threads (loadModel's `threads` option). */
  useBatchWorkers(workers: BatchWorkers): void {
    this.workers = workers;
  }

  /** @internal loadModel's source and options for training's threads (null: training runs on one thread). */
  threadsSource: ThreadsSource | null = null;

  /** Total parameter count (Keras' "Total params"). */
  get numParams(): number {
    return this.layers.reduce((n, l) => n + l.numParams, 0);
  }

  /** Keras' "Non-trainable params" (frozen layers, BatchNormalization statistics). */
  get nonTrainableParams(): number {
    return this.layers.reduce((n, l) => n + l.nonTrainableParams, 0);
  }

  /** Bytes of wasm memory the model holds (weights plus the largest predict's buffers). */
  get memoryBytes(): number {
    return this.memory?.byteLength ?? 0;
  }

  /** A Keras-style summary table followed by the import notes. */
  summary(): string {
    return formatSummary(this);
  }

  private resolveOutputs(names: string[] | undefined): TensorRef[] {
    if (!names) return this.graph.spec.outputs;
    if (!Array.isArray(names)) throw new InputError('outputs must be a list of layer names', { file: this.fileName, field: 'outputs', value: names });
    return names.map((n) => {
      const m = /^(.*?)(?::(\d+))?$/.exec(n) as RegExpExecArray;
      const layer = this.graph.layers.find((l) => l.spec.name === m[1]);
      const tensor = m[2] === undefined ? 0 : Number(m[2]);
      if (!layer || tensor >= layer.imported.outputShapes.length) {
        throw new InputError('no such layer output', { file: this.fileName, field: 'outputs', value: n });
      }
      return { layer: layer.spec.name, node: 0, tensor };
    });
  }

  /**
   * Runs the model. Takes one tensor per model input (an array, or an object keyed by input name,
   * for several) and returns one tensor per output (an array when there are several, or when
   * `options.outputs` is given). For a single-output model {@link Model.predictOne} is typed as one
   * tensor; {@link Model.predictNamed} returns the outputs keyed by name.
   */
  predict(x: ModelInput, options: PredictOptions & { outputs: string[] }): TensorData[];
  predict(x: ModelInput, options?: PredictOptions): TensorData | TensorData[];
  predict(x: ModelInput, options: PredictOptions = {}): TensorData | TensorData[] {
    if (this.disposed) throw new InputError('the model was disposed', { file: this.fileName });
    if (!this.steps || !this.memory) {
      throw new InputError('the model was loaded without weights (architecture only): predict needs weights', { file: this.fileName });
    }
    const wanted = this.resolveOutputs(options.outputs);
    const cacheKey = wanted.map(refKey).join('|');
    let steps = this.planCache.get(cacheKey);
    if (!steps) {
      steps = stepsFor(this.steps, wanted);
      this.planCache.set(cacheKey, steps);
    }
    const hasStrings = this.stringInputs.some((f) => f !== null);
    const given = hasStrings && this.inputs.length === 1 && isStringBatch(x) ? [x as unknown as TensorInput] : this.orderInputs(x);
    // Strings become the numbers their layer's kernel takes before anything else sees them.
    const list = given.map((t, i) => {
      const fe = this.stringInputs[i];
      return fe ? encodeStringInput(t, fe, this.inputs[i].name, this.fileName, this.inputs[i].shape) : t;
    });
    // Validated before anything else (threads included) touches the data.
    let batch = -1;
    const dims = list.map((t, i) => {
      const { name, shape } = this.inputs[i];
      const d = this.stringInputs[i] ? (t.shape as number[]) : validateInput(t, shape, name, this.fileName);
      if (batch >= 0 && d[0] !== batch) {
        throw new InputError(`all inputs need the same batch size (${batch} vs ${d[0]})`, { file: this.fileName, field: name, value: d });
      }
      batch = d[0];
      return d;
    });
    const longest = Math.max(this.longestFixedSteps(), ...dims.map((d) => (d.length >= 2 ? d[1] : 1)));
    checkBatchSteps(batch, longest, this.limits.maxBatchSteps, { file: this.fileName, field: 'inputs' });
    const split = hasStrings ? null : this.workers?.run(list, options.outputs, (rows) => {
      // The batch workers already use the other cores: this thread's rows run on this thread.
      const y: TensorData | TensorData[] = this.memory?.threads ? this.memory.threads.alone(() => this.predict(rows, options)) : this.predict(rows, options);
      return Array.isArray(y) ? y : [y];
    });
    if (split) return split.length === 1 && !Array.isArray(options.outputs) ? split[0] : split;
    const memory = this.memory;
    memory.beginScratch();
    try {
      const feeds = new Map<string, { ptr: number; shape: number[] }>();
      list.forEach((t, i) => {
        const n = dims[i].reduce((a, b) => a * b, 1);
        const ptr = memory.scratch(n * 4);
        memory.f32(ptr, n).set(t.data);
        feeds.set(refKey(this.graph.spec.inputs[i]), { ptr, shape: dims[i] });
      });
      const results = runPlan(steps, memory, this.generation, feeds, wanted);
      const outputs = wanted.map((ref) => {
        const t = results.get(refKey(ref));
        if (!t) throw new InternalError(`output ${refKey(ref)} was not computed`, { file: this.fileName });
        const n = t.shape.reduce((a, b) => a * b, 1);
        return { data: memory.f32(t.ptr, n).slice(), shape: t.shape.slice() };
      });
      return outputs.length === 1 && !Array.isArray(options.outputs) ? outputs[0] : outputs;
    } finally {
      memory.endScratch();
    }
  }

  /**
   * Runs a model that has one output (or the one layer output named in `options.outputs`) and
   * returns that tensor. A model with several outputs is refused with an error naming them.
   */
  predictOne(x: ModelInput, options: PredictOptions = {}): TensorData {
    const wanted = options.outputs ?? this.outputs.map((o) => (o.tensor === 0 ? o.layer : `${o.layer}:${o.tensor}`));
    if (!Array.isArray(wanted) || wanted.length !== 1) {
      throw new InputError(`predictOne returns one output; this asks for ${Array.isArray(wanted) ? wanted.length : 'no list of'} outputs (use predict or predictNamed)`, {
        file: this.fileName,
        field: 'outputs',
        value: Array.isArray(wanted) ? (options.outputs ?? this.outputs.map((o) => o.name)) : wanted,
      });
    }
    return this.predict(x, { ...options, outputs: wanted })[0];
  }

  /** @internal Every output for one tensor per input (training's evaluate and validation). */
  predictList(x: TensorInput[]): TensorData[] {
    return this.predict(x, { outputs: this.outputs.map((o) => (o.tensor === 0 ? o.layer : `${o.layer}:${o.tensor}`)) });
  }

  /**
   * Runs the model and returns its outputs keyed by name, as ONNX Runtime's `session.run` does:
   * the names of `model.outputs` (`lstm`, `lstm_1` for two outputs of one layer), or the names
   * given in `options.outputs`.
   */
  predictNamed(x: ModelInput, options: PredictOptions = {}): Record<string, TensorData> {
    const names = options.outputs ?? this.outputs.map((o) => o.name);
    const wanted = options.outputs ?? this.outputs.map((o) => (o.tensor === 0 ? o.layer : `${o.layer}:${o.tensor}`));
    const list = this.predict(x, { ...options, outputs: wanted });
    const out: Record<string, TensorData> = {};
    names.forEach((n, i) => (out[n] = list[i]));
    return out;
  }

  /** The longest fixed time axis inside the model (e.g. RepeatVector's n), for maxBatchSteps. */
  private longestFixedSteps(): number {
    if (this.fixedSteps === undefined) {
      let steps = 1;
      for (const s of this.graph.shapes.values()) if (s.length >= 3 && typeof s[1] === 'number') steps = Math.max(steps, s[1]);
      this.fixedSteps = steps;
    }
    return this.fixedSteps;
  }

  private orderInputs(x: ModelInput): TensorInput[] {
    const n = this.inputs.length;
    if (ArrayBuffer.isView(x)) {
      throw new InputError(`predict takes { data, shape }, not a bare ${x.constructor.name}: wrap it as { data, shape: ${JSON.stringify(this.inputs[0]?.shape.map((d) => d ?? 1))} }`, { file: this.fileName, field: 'inputs' });
    }
    if (x && typeof x === 'object' && !Array.isArray(x) && ('data' in x || 'shape' in x) && !('data' in x && 'shape' in x)) {
      const missing = 'data' in x ? 'shape' : 'data';
      throw new InputError(`the input has no "${missing}": predict takes { data, shape }, e.g. shape ${JSON.stringify(this.inputs[0]?.shape.map((d) => d ?? 1))} for ${this.inputs[0]?.name}`, { file: this.fileName, field: missing });
    }
    if (Array.isArray(x)) {
      if (x.length !== n) throw new InputError(`the model has ${n} inputs, got ${x.length}`, { file: this.fileName, field: 'inputs', value: x.length });
      return x as TensorInput[];
    }
    if (x && typeof x === 'object' && 'data' in x && 'shape' in x) {
      if (n !== 1) throw new InputError(`the model has ${n} inputs (${this.inputs.map((i) => i.name).join(', ')}): pass an array or an object keyed by input name`, { file: this.fileName, field: 'inputs' });
      return [x as TensorInput];
    }
    if (x && typeof x === 'object') {
      const rec = x as Record<string, TensorInput>;
      return this.inputs.map((i) => {
        const t = Object.hasOwn(rec, i.name) ? rec[i.name] : undefined;
        if (!t) {
          const given = Object.keys(rec);
          throw new InputError(`missing input "${i.name}"${given.length ? ` (the object has keys ${given.map((k) => JSON.stringify(k)).join(', ')}; the model's inputs are ${this.inputs.map((m) => JSON.stringify(m.name)).join(', ')})` : ' (the object is empty)'}`, { file: this.fileName, field: i.name });
        }
        return t;
      });
    }
    throw new InputError('predict takes { data, shape } (or an array / object of them)', { file: this.fileName, field: 'inputs', value: typeof x });
  }

  /**
   * A stream over this model: feed time steps in pieces, recurrent state carries over. Each stream
   * keeps its own state; streams and predict calls on one model may be interleaved.
   */
  stream(): Stream {
    if (this.disposed) throw new InputError('the model was disposed', { file: this.fileName });
    if (!this.steps || !this.memory) {
      throw new InputError('the model was loaded without weights (architecture only): streams need weights', { file: this.fileName });
    }
    return new Stream(this.graph, this.steps, this.memory, this.fileName, this.limits, () => this.disposed);
  }

  /**
   * Copies of the weights, by layer in model order, each layer's arrays in Keras' order (the order
   * the file stores them and `set_weights` takes them). With a layer name, only that layer's.
   */
  getWeights(layer?: string): LayerWeights[] {
    const arrays = this.requireWeights('getWeights');
    const layers = layer === undefined ? this.graph.layers : this.graph.layers.filter((l) => l.spec.name === layer);
    if (layer !== undefined && layers.length === 0) throw new InputError('no such layer', { file: this.fileName, field: 'layer', value: layer });
    return layers
      .filter((l) => l.imported.weights.length > 0)
      .map((l) => ({
        layer: l.spec.name,
        className: l.imported.className,
        weights: l.imported.weights.map((w, i) => ({ name: w.name, shape: w.shape.slice(), data: (arrays.get(l.spec.name) as Float32Array[])[i].slice() })),
      }));
  }

  /**
   * Replaces weights: `{ layerName: [array, ...] }` (or `getWeights()`' list), each layer's arrays
   * in Keras' order with the shapes `getWeights` reports (a `Float32Array` / number array of the
   * right length, or `{ data, shape }`). Layers not named keep theirs. Every array is checked
   * before anything changes; then the weights are repacked into a new wasm instance. Streams
   * opened before keep the weights they started with; with loadModel's `threads`, the worker
   * threads get the new weights too.
   */
  async setWeights(values: Record<string, WeightValue[]> | LayerWeights[]): Promise<void> {
    const arrays = this.requireWeights('setWeights');
    const entries: [string, WeightValue[]][] = Array.isArray(values)
      ? values.map((v) => [v?.layer, v?.weights] as [string, WeightValue[]])
      : values && typeof values === 'object'
        ? Object.entries(values)
        : [];
    if (entries.length === 0 && !(values && typeof values === 'object')) {
      throw new InputError('setWeights takes { layerName: [arrays] } or the list getWeights() returns', { file: this.fileName, field: 'weights', value: typeof values });
    }
    const next = new Map(arrays);
    for (const [name, list] of entries) {
      const layer = this.graph.layers.find((l) => l.spec.name === name);
      if (!layer) throw new InputError('no such layer', { file: this.fileName, layer: name, field: 'weights' });
      next.set(name, checkedWeights(layer.imported.weights, list, { file: this.fileName, layer: name, className: layer.imported.className }));
    }
    await this.installWeights(next);
  }

  private requireWeights(what: string): Map<string, Float32Array[]> {
    if (this.disposed) throw new InputError('the model was disposed', { file: this.fileName });
    if (!this.stored.arrays) throw new InputError(`the model was loaded without weights (architecture only): ${what} needs weights`, { file: this.fileName });
    return this.stored.arrays;
  }

  /**
   * Saves the model as Keras reads it back: `save('model.keras')`, `save('model.h5')`,
   * `save('model.weights.h5')` write a file (Node.js; the format follows the extension, or
   * `options.format`); `save({ format })` returns the file's bytes and `save({ format, as: 'blob' })`
   * a Blob (browsers). The config is written in the target format's schema (Keras 3 for `.keras`,
   * tf.keras 2.x for `.h5`) whichever format the model was read from, with the current weights and
   * `trainable` flags. Conversions that would change what the model computes are refused.
   */
  save(path: string, options?: { format?: SaveFormat }): Promise<void>;
  save(options: SaveOptions & { as?: 'bytes' }): Promise<Uint8Array>;
  save(options: SaveOptions & { as: 'blob' }): Promise<Blob>;
  async save(target: string | SaveOptions, options: { format?: SaveFormat } = {}): Promise<void | Uint8Array | Blob> {
    if (this.disposed) throw new InputError('the model was disposed', { file: this.fileName });
    if (typeof target === 'string') {
      const format = options.format !== undefined ? checkFormat(options.format, target) : formatFromPath(target);
      if (!format) throw new InputError('cannot tell the format from the file name: use .keras, .h5 or .weights.h5, or pass { format }', { file: target, field: 'path', value: target });
      const bytes = modelToBytes(this, format);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(target, bytes);
      return;
    }
    if (!target || typeof target !== 'object') throw new InputError('save takes a file path or { format }', { file: this.fileName, field: 'target', value: typeof target });
    const bytes = modelToBytes(this, checkFormat(target.format, this.fileName));
    if (target.as === 'blob') return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: target.format === 'keras' ? 'application/zip' : 'application/x-hdf5' });
    if (target.as !== undefined && target.as !== 'bytes') throw new InputError('as must be "bytes" or "blob"', { file: this.fileName, field: 'as', value: target.as });
    return bytes;
  }

  private training: TrainingSetup | null = null;

  /** Set to true (e.g. from a callback) to stop a running `fit` after the current batch. */
  stopTraining = false;

  /**
   * The training configuration stored in the file (`training_config` of a `.h5`,
   * `compile_config` of a `.keras`, TF.js' `trainingConfig`), null if it has none: `compile()`
   * takes the optimizer, loss and metrics it leaves out from here.
   */
  get trainingConfig(): FileTrainingConfig | null {
    return this.stored.trainingConfig ?? null;
  }

  /**
   * Re-initialises a layer's weights from the initializers its config names
   * (`kernel_initializer`, `recurrent_initializer`, `bias_initializer`, ...), drawn from a seeded
   * generator (`seed`, default 1: the same seed gives the same weights). An LSTM with
   * `unit_forget_bias` (Keras' default) gets ones in its forget-gate bias, as Keras builds it.
   * Training continues from the new weights; the optimizer keeps its state.
   */
  async reinitializeLayer(name: string, options: { seed?: number } = {}): Promise<void> {
    const layer = this.graph.layers.find((l) => l.spec.name === name);
    if (!layer) throw new InputError('no such layer', { file: this.fileName, field: 'layer', value: name });
    if (layer.imported.weights.length === 0) throw new InputError('the layer has no weights to re-initialise', { file: this.fileName, layer: name, className: layer.imported.className });
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new InputError('seed must be an integer', { file: this.fileName, field: 'seed', value: seed });
    // wrappers (Bidirectional, TimeDistributed) take their inner layer's initializers
    const inner = layer.spec.config.layer as { class_name?: string; config?: Record<string, unknown> } | undefined;
    const [className, config] = inner?.config ? [String(inner.class_name), inner.config] : [layer.imported.className, layer.spec.config];
    const values = reinitializedWeights(className, config, layer.imported.weights, seed, { layer: name });
    await this.setWeights({ [name]: values });
  }

  /**
   * Prepares training with a Keras optimizer, loss and metrics; what is left out comes from the
   * file's training configuration (see {@link Model.trainingConfig}). See docs/training.md for
   * what is supported; anything else is refused here with an error naming the layer or option.
   * The optimizer follows the update rule of the Keras version that wrote the model.
   */
  compile(options: CompileOptions = {}): void {
    if (this.disposed) throw new InputError('the model was disposed', { file: this.fileName });
    const setup = compileModel(this, options);
    disposeTraining(this.training);
    this.training = setup;
  }

  /**
   * One training update on a batch; resolves to the batch's loss before the update, or, with
   * metrics, `[loss, ...metrics]` (Keras' train_on_batch; `returnDict` for `{ loss, ... }`).
   */
  async trainOnBatch(x: TrainingInput, y: TrainingInput, options: TrainOnBatchOptions = {}): Promise<number | number[] | Record<string, number>> {
    const result = await trainOnBatch(this, this.requireCompiled(), x, y, options);
    await this.repack();
    return result;
  }

  /**
   * Keras' fit: mini-batch training for `epochs`, with validation, sample / class weights and
   * callbacks; resolves to the history (`history.loss`, metrics, `val_*` per epoch).
   */
  async fit(x: TrainingInput, y: TrainingInput, options: FitOptions = {}): Promise<History> {
    const setup = this.requireCompiled();
    return fitModel(this, setup, x, y, options, () => this.repack());
  }

  /**
   * Keras' evaluate: the loss (and metrics: `[loss, ...metrics]`) on (x, y) in inference mode,
   * weighted by `sampleWeight` if given.
   */
  async evaluate(x: TrainingInput, y: TrainingInput, options: EvaluateOptions = {}): Promise<number | number[] | Record<string, number>> {
    return evaluateModel(this, this.requireCompiled(), x, y, options);
  }

  private requireCompiled(): TrainingSetup {
    if (this.disposed) throw new InputError('the model was disposed', { file: this.fileName });
    if (!this.training) throw new InputError('call compile({ optimizer, loss }) before training', { file: this.fileName });
    return this.training;
  }

  /** Repacks the (trained) weights into a new wasm instance for predict. */
  private async repack(): Promise<void> {
    await this.installWeights(this.requireWeights('training'));
  }

  /** Packs `arrays` into a new wasm instance and makes them the model's weights. */
  private async installWeights(arrays: Map<string, Float32Array[]>): Promise<void> {
    const { steps, memory, sequenceThreads, kernels } = await buildKernels(this.graph, arrays, this.limits.maxWasmBytes, this.kernelRequest);
    if (this.disposed) {
      memory.threads?.dispose();
      throw new InputError('the model was disposed', { file: this.fileName });
    }
    if (this.workers) {
      try {
        this.workers.updateWeights(Object.fromEntries(arrays));
      } catch {
        // a worker that cannot take the weights: predict runs on the calling thread from now on
        this.workers.dispose();
        this.workers = null;
      }
    }
    this.memory?.threads?.dispose();
    this.runtime = { ...this.runtime, kernels, sequenceThreads };
    this.steps = steps;
    this.memory = memory;
    this.planCache.clear();
    this.stored.arrays = arrays;
    this.training?.trainer?.useWeights(arrays);
  }

  /** @internal The parsed graph (layers, specs, shapes), for saving. */
  get graphForSaving(): ModelGraph {
    return this.graph;
  }

  /** @internal The predict kernel instance (weight conversions when saving), null once disposed. */
  get kernelsForSaving(): WasmMemory | null {
    return this.memory;
  }

  /** @internal The compile configuration and optimizer state, for saving (null before compile). */
  get trainingForSaving(): TrainingForSaving | null {
    const t = this.training;
    if (!t) return null;
    return { spec: t.optimizer, entry: t.entries.optimizer, loss: t.entries.loss, metrics: t.entries.metrics, lossWeights: t.entries.lossWeights, trainer: t.trainer ?? null, resumed: t.resumed };
  }

  /** Frees the model's wasm memory. The model cannot be used afterwards. */
  dispose(): void {
    disposeTraining(this.training);
    this.workers?.dispose();
    this.workers = null;
    this.memory?.threads?.dispose();
    this.disposed = true;
    this.memory = null;
    this.steps = null;
    this.planCache.clear();
  }
}

/** A weight given to `setWeights`: values in C order, optionally with their shape. */
export type WeightValue = Float32Array | ArrayLike<number> | { data: ArrayLike<number>; shape: number[] };

function checkedWeights(expected: readonly { name: string; shape: number[] }[], list: unknown, ctx: { file: string; layer: string; className: string }): Float32Array[] {
  if (!Array.isArray(list)) throw new InputError('a layer\'s weights must be a list of arrays', { ...ctx, field: 'weights', value: typeof list });
  if (list.length !== expected.length) {
    throw new InputError(`the layer has ${expected.length} weight arrays (${expected.map((w) => w.name).join(', ')}), got ${list.length}`, { ...ctx, field: 'weights', value: list.length });
  }
  return expected.map((spec, i) => {
    const v = list[i] as WeightValue;
    const field = `weights[${i}] (${spec.name})`;
    const withShape = v && typeof v === 'object' && 'data' in v && 'shape' in v && !ArrayBuffer.isView(v) ? v : null;
    if (withShape && (!Array.isArray(withShape.shape) || withShape.shape.length !== spec.shape.length || withShape.shape.some((d, k) => d !== spec.shape[k]))) {
      throw new InputError(`expected shape ${JSON.stringify(spec.shape)}, got ${JSON.stringify(withShape.shape)}`, { ...ctx, field, value: withShape.shape });
    }
    const data = (withShape ? withShape.data : v) as ArrayLike<number>;
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (!data || typeof data !== 'object' || typeof data.length !== 'number' || data.length !== n) {
      throw new InputError(`expected ${n} values for shape ${JSON.stringify(spec.shape)}, got ${data && typeof data === 'object' ? data.length : typeof data}`, { ...ctx, field, value: spec.shape });
    }
    checkNumericData(data, { ...ctx, field });
    return Float32Array.from(data);
  });
}
