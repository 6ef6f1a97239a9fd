import { InputError, InvalidKerasConfigurationError, ModelFileError } from '../errors.js';
import { readHdf5, isHdf5, type H5Group } from '../formats/h5.js';
import { isZip, readKerasArchive } from '../formats/keras-archive.js';
import { parseJsonConfig, decodeUtf8 } from '../formats/json-config.js';
import { readTrainingConfig, type FileTrainingConfig } from '../training/training-config.js';
import type { FileOptimizerState } from '../training/optimizer-variables.js';
import { attachBatchWorkers } from '../engine/batch-workers.js';
import type { PlanStep } from '../engine/run-plan.js';
import type { WasmMemory } from '../wasm/memory.js';
import { buildGraph, type ModelGraph } from '../graph/build-graph.js';
import { generationFromVersion, inferGeneration, type KerasGeneration } from '../keras/generation.js';
import { parseModelConfig } from '../keras/model-config.js';
import { inferKeras1Backend } from '../keras/keras1-backend.js';
import { legacyH5WeightSource, type WeightSource } from '../keras/weights.js';
import { keras3LayerPaths, keras3WeightSource, weightsFileSource } from '../keras/keras3-weights.js';
import type { LayerAssets } from '../layers/types.js';
import type { ModelSpec } from '../keras/model-config.js';
import { importerTable } from '../layers/registry.js';
import { customImporterTable, type CustomLayer } from '../layers/custom-layer.js';
import { readSourceBytes } from './read-source.js';
import { isTfjsSource, loadTfjsModelJson, loadTfjsSource, tfjsResolverFor, type TfjsSource } from './load-tfjs.js';
import { isTfjsModelJson } from '../formats/tfjs-model.js';
import { refuseLfsPointer } from '../formats/lfs-pointer.js';
import { savedModelFilesFor, savedModelFilesInZip } from './saved-model-source.js';
import type { SavedModelFiles } from '../formats/saved-model.js';
import { limitError, renameReaderLimit, resolveLimits, type Limits, type ResolvedLimits } from './limits.js';
import { Model } from './model.js';
import { startWorkerModel, type WorkerModel } from './worker-model.js';
import { buildKernels, lowPrecisionLayers, type KernelRequest, type SequenceThreadsRequest } from './instantiate.js';
import { resolveKernelBuild, type KernelBuild, type KernelChoice } from '../wasm/wasm-module.js';
import type { WeightPrecision } from '../wasm/memory.js';
import type { SequenceThreadsInfo } from '../wasm/sequence-threads.js';

/**
 * A model file: path (Node), URL, File/Blob, bytes; an architecture JSON with its weights file;
 * or a tf.keras SavedModel directory: its path (Node) or URL (ending in `/`), a `FileList` /
 * `File[]` of its files, a `{ relativePath: bytes }` map, or a zip of it (as bytes / File / path).
 */
export type ModelSource =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | Blob
  /** A TF.js layers model: `{ modelJson, weights: { name: bytes } }`, or a `File[]` / `FileList` with model.json and its weight files. */
  | TfjsSource
  | ArrayLike<Blob>
  /** A SavedModel directory as `{ relativePath: bytes }` (e.g. `saved_model.pb`, `variables/variables.index`). */
  | { [relativePath: string]: Uint8Array | ArrayBuffer }
  | {
      /** `model.to_json()` output: a string, parsed object, or its bytes / path / URL. */
      config: string | object | Uint8Array | ArrayBuffer;
      /** `model.save_weights()` HDF5 file; omit to load the architecture only. */
      weights?: string | URL | Uint8Array | ArrayBuffer | Blob;
    };

/** Options of {@link loadModel}. */
export interface LoadOptions {
  /** Name used in error messages when the source is raw bytes. */
  fileName?: string;
  /**
   * Layers the model file cannot describe by itself: your own Keras layer classes (keyed by class
   * name) and `Lambda` layers (keyed by layer name), implemented in JavaScript. A key matching a
   * layer name wins over one matching its class. See {@link CustomLayer}.
   */
  customLayers?: Record<string, CustomLayer>;
  /**
   * Threads for batch work, in Node.js (default 1). With 2 or more, `predict` splits a batch that
   * is large enough (about 20 MFLOP, e.g. LSTM 128 x 100 steps x 32 rows) across worker threads
   * that each hold their own copy of the model; smaller inputs, streams, browsers and models with
   * `customLayers` run on the calling thread. Results are identical to single-thread ones.
   */
  threads?: number;
  /**
   * Threads one sequence may run on (default: the machine's threads, at most 4; 1 turns it off):
   * each time step's recurrent product and cell update are split by units across threads that
   * share the model's wasm memory, for LSTM and GRU layers whose step is large enough (about 256
   * LSTM units at batch 1; the engine decides per call). Results are bit-identical to one thread. Needs
   * SharedArrayBuffer: Node.js 20.16+, or a cross-origin isolated page; elsewhere the model runs
   * on one thread and `model.info.sequenceThreads.fallback` (and `summary()`) says why. A model
   * whose sequences are split runs the threads build of the kernels, which is plain SIMD
   * (`model.info.kernels` is then `'simd'`); `kernels: 'relaxed-simd'` keeps sequences on one thread.
   */
  sequenceThreads?: number;
  /** @internal Flops per step from which a call is split (tests lower it to split small layers). */
  sequenceMinStepFlops?: number;
  /**
   * `.keras` archives: the most bytes the members read may inflate to in total (default 2 GiB).
   * Declared sizes are checked before anything is inflated and inflating stops at a member's
   * declared size, so a zip bomb costs neither time nor memory; beyond the cap loading fails
   * with a ResourceLimitError.
   */
  maxInflatedBytes?: number;
  /**
   * Caps on what a model file and each predict may ask for: total weight bytes, inflated archive
   * bytes, config nesting depth, batch × time steps, wasm memory. Defaults suit untrusted files;
   * each refusal is a ResourceLimitError naming the cap. See {@link Limits}. (`maxInflatedBytes`
   * above is the same as `limits.maxInflatedBytes`.)
   */
  limits?: Limits;
  /**
   * Run the model in a worker (a Web Worker in browsers, worker_threads in Node.js) so that
   * predicting never blocks the calling thread: `loadModel` then resolves to a
   * {@link WorkerModel} (`await model.predictAsync(x)`, `await model.streamAsync()`), whose
   * results are bit-identical to `Model.predict`'s and whose errors are the same classes. The
   * other options apply in the worker; `customLayers` cannot be sent there. See docs/worker.md.
   */
  worker?: boolean;
  /**
   * With `worker: true`: the worker script, if not the default beside this module
   * (`dist/api/model-worker.js`; `kerasrnn-worker.js` beside the browser build). Relative to the
   * page in browsers.
   */
  workerUrl?: string | URL;
  /**
   * Which build of the wasm kernels to run: `'auto'` (the default) takes `'relaxed-simd'` where
   * the runtime supports relaxed SIMD (current browsers, Node 22+, Node 20 started with
   * `--experimental-wasm-relaxed-simd`) and `'simd'` elsewhere. The relaxed build fuses the
   * multiply-adds of the hot loops (one rounding instead of two), so its results differ from the
   * plain build's in the last bits; each build is deterministic. Asking for `'relaxed-simd'`
   * where the runtime lacks it is an InputError. {@link Model.info} tells which build a model runs.
   */
  kernels?: KernelChoice;
  /**
   * Opt-in reduced-precision weights: `'bf16'` stores the recurrent kernels of LSTM, GRU and
   * SimpleRNN layers as bfloat16 (half the bytes each time step streams; what bounds a large layer
   * at batch 1), `'int8'` as signed bytes with one float32 scale per column (a quarter of the
   * bytes), widened to float32 in registers; activations, states, biases, input kernels and other
   * layers stay float32. Results change by the rounding of the weights, and both are slower than
   * float32 at larger batches (see docs/precision.md for the measured speed-up and error).
   * `model.info.lowPrecisionLayers` names the layers it applies to. Default `'float32'`.
   */
  weights?: WeightPrecision;
}

interface LoadedConfig {
  /** A `.keras` archive's `assets/` members (path without the prefix -> bytes). */
  assets?: Map<string, Uint8Array>;
  json: unknown;
  generation: KerasGeneration;
  weights: WeightSource | null;
  fileName: string;
  /** What was read (see {@link Model.format}). */
  format: string;
  /** A sentence on the source (see {@link Model.formatDetails}). */
  formatDetails?: string;
  /** The file's training configuration (compile's defaults), if it has one. */
  trainingConfig?: FileTrainingConfig | null;
  /** The file's optimizer state, if it has one. */
  optimizerState?: FileOptimizerState | null;
}

function versionOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Keras 1 files do not state their backend, yet Theano-written convolution kernels are flipped;
 * the weight names tell (TensorFlow variables end in ':0').
 */
function withKeras1Backend(generation: KerasGeneration, root: H5Group): KerasGeneration {
  if (generation.major !== 1 || generation.backend) return generation;
  const backend = inferKeras1Backend(root);
  return backend ? { ...generation, backend, backendInferred: true } : generation;
}

function generationFor(json: unknown, version: string | undefined, backend: string | undefined): KerasGeneration {
  const stated = version ? generationFromVersion(version, backend) : null;
  if (stated) return stated;
  return { ...inferGeneration(json), backend };
}

function fromFullH5(root: H5Group, fileName: string, limits: ResolvedLimits): LoadedConfig {
  const configText = root.attr('model_config');
  if (configText === undefined) {
    if (root.attr('layer_names') !== undefined) {
      throw new InvalidKerasConfigurationError(
        'this is a weights-only file (model.save_weights()); load it together with its architecture: loadModel({ config, weights })',
        { file: fileName, field: 'model_config' },
      );
    }
    root.requireAttr('model_config');
  }
  const json = parseJsonConfig(String(configText), fileName, { maxDepth: limits.maxConfigDepth });
  const version = versionOf(root.attr('keras_version')) ?? versionOf((json as Record<string, unknown>)?.keras_version);
  const backend = versionOf(root.attr('backend')) ?? versionOf((json as Record<string, unknown>)?.backend);
  const generation = withKeras1Backend(generationFor(json, version, backend), root);
  return {
    json,
    generation,
    weights: legacyH5WeightSource(root, fileName),
    fileName,
    format: 'keras-h5',
    formatDetails: `Keras ${generation.version} HDF5 (.h5)`,
    trainingConfig: h5TrainingConfig(root.attr('training_config'), fileName, limits),
    optimizerState: storedOptimizerState(root, 'optimizer_weights', (g) => g.stringList('weight_names') ?? []),
  };
}

/**
 * The optimizer variables a file stores (a legacy `.h5`'s `optimizer_weights` listed by
 * `weight_names`; a `.keras` archive's `optimizer/vars` numbered from 0), read when compile
 * resumes them. Inference does not need them: a damaged group leaves the model without a state.
 */
function storedOptimizerState(root: H5Group, source: string, names: (g: H5Group) => string[]): FileOptimizerState | null {
  try {
    if (!root.isGroup(source)) return null;
    const group = root.group(source);
    const variables = names(group).map((name) => {
      const d = group.dataset(name);
      return { name, shape: d.shape, read: () => d.readFloat32() };
    });
    return variables.length > 0 ? { source, variables } : null;
  } catch {
    return null;
  }
}

/**
 * The `training_config` attribute of a full-model .h5 (written by `model.save()` after
 * `compile`). Inference does not need it: a damaged one leaves the model without compile
 * defaults instead of failing the load.
 */
function h5TrainingConfig(text: unknown, fileName: string, limits: ResolvedLimits): FileTrainingConfig | null {
  if (text === undefined || text === null) return null;
  try {
    return readTrainingConfig(parseJsonConfig(String(text), fileName, { maxDepth: limits.maxConfigDepth }), 'training_config');
  } catch {
    return null;
  }
}

/** A tf.keras SavedModel directory. */
async function fromSavedModel(files: SavedModelFiles, limits: ResolvedLimits): Promise<LoadedConfig> {
  // Loaded on first use: the protobuf, SSTable and tensor bundle readers serve only this format.
  const { readKerasSavedModel } = await import('../keras/saved-model.js');
  const read = await readKerasSavedModel(files, { maxWeightBytes: limits.maxWeightBytes, maxConfigDepth: limits.maxConfigDepth });
  const generation = generationFor(read.config, read.kerasVersion, read.backend);
  return { json: read.config, generation, weights: read.weights, fileName: read.fileName, format: 'tf-savedmodel', formatDetails: read.format };
}

/** Layers in the order Keras 3 saves them (Sequential models leave out their InputLayer). */
function keras3LayerOrder(config: unknown): { name: string; className: string }[] {
  const c = config as { class_name?: unknown; config?: { layers?: unknown } } | null;
  const layers = Array.isArray(c?.config?.layers) ? (c.config.layers as Record<string, unknown>[]) : [];
  return layers
    .filter((l) => !(c?.class_name === 'Sequential' && l?.class_name === 'InputLayer'))
    .map((l) => ({
      name: String((l?.config as Record<string, unknown> | undefined)?.name ?? l?.name ?? ''),
      className: String(l?.class_name ?? ''),
    }));
}

/**
 * A config given as an object goes through the same JSON reader as a file (depth cap, prototype
 * keys dropped); a cyclic or absurdly deep object cannot be serialised and is refused here.
 */
function configFromObject(config: object, fileName: string, limits: ResolvedLimits): unknown {
  let text: string;
  try {
    text = JSON.stringify(config);
  } catch (cause) {
    if (cause instanceof RangeError) {
      throw limitError('the config object nests too deeply to read', 'maxConfigDepth', limits.maxConfigDepth, { file: fileName });
    }
    throw new InvalidKerasConfigurationError(
      `the config object is not JSON data (${cause instanceof Error ? cause.message : String(cause)})`,
      { file: fileName, field: 'config' },
      { cause },
    );
  }
  if (typeof text !== 'string') throw new InvalidKerasConfigurationError('the config object is not JSON data', { file: fileName, field: 'config' });
  return parseJsonConfig(text, fileName, { maxDepth: limits.maxConfigDepth });
}

async function loadConfig(source: ModelSource, options: LoadOptions, limits: ResolvedLimits): Promise<LoadedConfig> {
  // Bytes carry no name: say what they are rather than invent a file name.
  const fallback = options.fileName ?? '<bytes>';
  const h5Options = { maxDatasetElements: Math.floor(limits.maxWeightBytes / 4) };
  const jsonOptions = { maxDepth: limits.maxConfigDepth };
  // A SavedModel folder first: its file list may hold .json files (e.g. assets) that would look like TF.js.
  const savedModel = await savedModelFilesFor(source, fallback);
  if (savedModel) return fromSavedModel(savedModel, limits);
  if (isTfjsSource(source)) return loadTfjsSource(source as object, fallback, limits);
  if (source && typeof source === 'object' && 'config' in source && !(source instanceof Uint8Array) && !(source instanceof ArrayBuffer)) {
    const pair = source as { config: unknown; weights?: unknown };
    const unknownKeys = Object.keys(pair).filter((k) => k !== 'config' && k !== 'weights');
    if (unknownKeys.length) {
      throw new ModelFileError(`the model source object has ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}; it takes { config, weights }`, { field: unknownKeys[0] });
    }
    if (pair.config === undefined || pair.config === null) throw new ModelFileError('the model source object has no config: pass { config, weights }', { field: 'config' });
    let json: unknown;
    let configName = options.fileName ?? '<config>';
    let configLocation: string | null = null;
    if (typeof pair.config === 'string' && /^\s*[{[]/.test(pair.config)) {
      json = parseJsonConfig(pair.config, configName, jsonOptions);
    } else if (typeof pair.config === 'object' && pair.config !== null && !(pair.config instanceof Uint8Array) && !(pair.config instanceof ArrayBuffer) && !(pair.config instanceof URL)) {
      json = configFromObject(pair.config, configName, limits);
    } else {
      const read = await readSourceBytes(pair.config, configName);
      configName = read.fileName;
      if (typeof pair.config === 'string' || pair.config instanceof URL) configLocation = pair.config.toString();
      json = parseJsonConfig(decodeUtf8(read.bytes), configName, jsonOptions);
    }
    // A TF.js model.json names its own weight files (weightsManifest), found beside it.
    if (isTfjsModelJson(json)) {
      if (pair.weights !== undefined && pair.weights !== null) {
        throw new ModelFileError(
          'the config is a TF.js model.json, whose weightsManifest names its own weight files: pass its path alone, or { modelJson, weights: { "<weight file name>": bytes } }',
          { file: configName, field: 'weights' },
        );
      }
      return loadTfjsModelJson(json, configName, tfjsResolverFor(configLocation, configName), limits);
    }
    const rec = json as Record<string, unknown>;
    let generation = generationFor(json, versionOf(rec?.keras_version), versionOf(rec?.backend));
    let weights: WeightSource | null = null;
    if (pair.weights !== undefined && pair.weights !== null) {
      const w = await readSourceBytes(pair.weights, '<weights>');
      if (!isHdf5(w.bytes)) refuseLfsPointer(w.bytes, w.fileName);
      const root = readHdf5(w.bytes, w.fileName, h5Options);
      generation = withKeras1Backend(generation, root);
      weights = weightsFileSource(root, w.fileName);
    }
    return { json, generation, weights, fileName: configName, format: weights ? 'keras-json+weights' : 'keras-json', formatDetails: weights ? 'JSON config + HDF5 weights' : 'JSON config (no weights)' };
  }
  const { bytes, fileName } = await readSourceBytes(source, fallback);
  if (isHdf5(bytes)) return fromFullH5(readHdf5(bytes, fileName, h5Options), fileName, limits);
  if (isZip(bytes)) {
    const zipped = savedModelFilesInZip(bytes, fileName, limits.maxInflatedBytes);
    if (zipped) return fromSavedModel(zipped, limits);
    const archive = readKerasArchive(bytes, fileName, { ...h5Options, ...jsonOptions, maxInflatedBytes: limits.maxInflatedBytes });
    const version = versionOf(archive.metadata.keras_version) ?? '3';
    const generation = generationFor(archive.config, version, undefined);
    return {
      json: archive.config,
      generation,
      weights: archive.weights ? keras3WeightSource(archive.weights, fileName, keras3LayerOrder(archive.config)) : null,
      fileName,
      format: 'keras-archive',
      formatDetails: `Keras ${version} .keras archive`,
      trainingConfig: readTrainingConfig((archive.config as Record<string, unknown> | null)?.compile_config, 'compile_config'),
      optimizerState: archive.weights ? storedOptimizerState(archive.weights, 'optimizer/vars', (g) => g.keys().filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b))) : null,
      ...(archive.assets.size > 0 ? { assets: archive.assets } : {}),
    };
  }
  const text = decodeUtf8(bytes.subarray(0, 64)).trimStart();
  if (text.startsWith('{')) {
    const json = parseJsonConfig(decodeUtf8(bytes), fileName, jsonOptions);
    if (isTfjsModelJson(json)) {
      const location = typeof source === 'string' || source instanceof URL ? source.toString() : null;
      return loadTfjsModelJson(json, fileName, tfjsResolverFor(location, fileName), limits);
    }
    const rec = json as Record<string, unknown>;
    return { json, generation: generationFor(json, versionOf(rec.keras_version), versionOf(rec.backend)), weights: null, fileName, format: 'keras-json', formatDetails: 'JSON config (no weights)' };
  }
  refuseLfsPointer(bytes, fileName);
  throw new ModelFileError('not a Keras model file (expected HDF5 .h5, a .keras zip archive, or a JSON config)', { file: fileName });
}

/** Each layer's asset folder in a `.keras` archive (the folder of its weights, under `assets/`). */
function layerAssets(spec: ModelSpec, files: Map<string, Uint8Array>, fileName: string): Map<string, LayerAssets> {
  const out = new Map<string, LayerAssets>();
  const paths = keras3LayerPaths(spec.savedLayers ?? spec.layers.map((l) => ({ name: l.name, className: l.className, trainable: true, specName: l.name })));
  for (const [name, path] of paths) {
    out.set(name, { location: `${fileName}!/assets/${path}`, read: (file) => files.get(`${path}/${file}`) });
  }
  return out;
}

async function instantiate(
  graph: ModelGraph,
  weights: WeightSource,
  limits: ResolvedLimits,
  request: KernelRequest,
): Promise<{ steps: PlanStep[]; memory: WasmMemory; arrays: Map<string, Float32Array[]>; sequenceThreads: SequenceThreadsInfo; kernels: KernelBuild }> {
  const requests = graph.layers
    .filter((l) => l.imported.weights.length > 0)
    .map((l) => ({ name: l.spec.name, className: l.spec.className, expected: l.imported.weights }));
  // What the architecture claims is checked before a single weight is read.
  const weightBytes = requests.reduce((n, r) => n + r.expected.reduce((m, w) => m + 4 * w.shape.reduce((a, b) => a * b, 1), 0), 0);
  if (!(weightBytes <= limits.maxWeightBytes)) {
    throw limitError(`the model's weights take ${weightBytes} bytes as float32`, 'maxWeightBytes', limits.maxWeightBytes, { file: weights.fileName });
  }
  const arrays = weights.bind(requests, graph.spec);
  return { ...(await buildKernels(graph, arrays, limits.maxWasmBytes, request)), arrays };
}

/** loadModel's `sequenceThreads` (a positive integer) and the internal split threshold, checked. */
function sequenceRequest(options: LoadOptions, file: string): SequenceThreadsRequest {
  const { sequenceThreads: threads, sequenceMinStepFlops: minStepFlops } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new InputError('sequenceThreads must be an integer from 1 to 256', { file, field: 'sequenceThreads', value: threads });
  }
  if (minStepFlops !== undefined && !(typeof minStepFlops === 'number' && minStepFlops >= 0)) {
    throw new InputError('sequenceMinStepFlops must be a number >= 0', { file, field: 'sequenceMinStepFlops', value: minStepFlops });
  }
  return { threads, minStepFlops };
}

/**
 * Loads a Keras model: a full-model `.h5` (Keras 1, 2, tf.keras, Keras 3 legacy), a Keras 3
 * `.keras` archive, an architecture JSON (shapes and parameter counts only), or
 * `{ config, weights }` for `to_json()` + `save_weights()` files.
 */
export async function loadModel(source: ModelSource, options: LoadOptions & { worker: true }): Promise<WorkerModel>;
export async function loadModel(source: ModelSource, options?: LoadOptions & { worker?: false }): Promise<Model>;
export async function loadModel(source: ModelSource, options?: LoadOptions): Promise<Model | WorkerModel>;
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<Model | WorkerModel> {
  if (options?.worker !== undefined && typeof options.worker !== 'boolean') {
    throw new InputError('worker must be true or false', { file: options.fileName, field: 'worker', value: options.worker });
  }
  if (options?.worker) return startWorkerModel(source, options as LoadOptions & Record<string, unknown>);
  try {
    return await load(source, options);
  } catch (e) {
    throw renameReaderLimit(e);
  }
}

async function load(source: ModelSource, options: LoadOptions): Promise<Model> {
  const limits = resolveLimits(options.limits, options.maxInflatedBytes);
  const build = resolveKernelBuild(options.kernels, options.fileName);
  const weights = options.weights ?? 'float32';
  if (weights !== 'float32' && weights !== 'bf16' && weights !== 'int8') {
    throw new InputError("weights must be 'float32', 'bf16' or 'int8'", { file: options.fileName, field: 'weights', value: weights });
  }
  const loaded = await loadConfig(source, options, limits);
  const spec = parseModelConfig(loaded.json, loaded.fileName, loaded.generation);
  const assets = loaded.assets ? layerAssets(spec, loaded.assets, loaded.fileName) : undefined;
  const graph = buildGraph(spec, importerTable(), loaded.fileName, customImporterTable(options.customLayers), assets);
  const format = { format: loaded.format, details: loaded.formatDetails ?? null };
  const stored = { json: loaded.json, generation: loaded.generation, backend: loaded.generation.backend, trainingConfig: loaded.trainingConfig ?? null, optimizerState: loaded.optimizerState ?? null };
  if (!loaded.weights) return new Model(graph, null, null, loaded.fileName, { ...stored, arrays: null }, format, undefined, { kernels: null, weights, lowPrecisionLayers: lowPrecisionLayers(graph, weights), sequenceThreads: null });
  const request: KernelRequest = { kernels: build, relaxedAsked: options.kernels === 'relaxed-simd', weights, sequence: sequenceRequest(options, loaded.fileName) };
  const { steps, memory, arrays, sequenceThreads, kernels } = await instantiate(graph, loaded.weights, limits, request);
  const model = new Model(graph, steps, memory, loaded.fileName, { ...stored, arrays }, format, limits, { kernels, weights, lowPrecisionLayers: lowPrecisionLayers(graph, weights), sequenceThreads }, request);
  // The workers run the build this thread chose, so a split batch gives the same bits as one thread.
  if (options.threads !== undefined) await attachBatchWorkers(model, source, { ...options, kernels, fileName: options.fileName ?? loaded.fileName });
  // training splits its batches over the same threads (training/parallel-trainer.ts)
  if (model.batchWorkers) model.threadsSource = { threads: model.batchWorkers.threads, source, loadOptions: { ...options, kernels } };
  return model;
}
