import { InputError, KerasRnnError, UnsupportedKerasConfigurationError } from '../errors.js';
import { instantiateKernels } from '../wasm/wasm-module.js';
import { WasmMemory } from '../wasm/memory.js';
import { computeLoss, lossFromConfig, type LossSpec } from '../training/losses.js';
import { metricFromConfig, metricSums, resolveAccuracy, type MetricSpec } from '../training/metrics.js';
import { optimizerFromConfig, type OptimizerSpec } from '../training/optimizers.js';
import { checkBatch, planTraining, SequentialTrainer } from '../training/sequential-trainer.js';
import { checkSplittable, ParallelTrainer, type TrainerArguments } from '../training/parallel-trainer.js';
import { singleLoss, unwrapFunction } from '../training/training-config.js';
import type { TrainingSource } from './model-info.js';
import type { TensorData, TensorInput } from '../types/tensor.js';
import { checkNumericData } from './validate-input.js';

/** A Keras config entry: a name or a serialised object. */
export type KerasEntry = string | { class_name: string; config?: Record<string, unknown> };

/**
 * Options of {@link Model.compile}. What is left out comes from the file's own training
 * configuration (`training_config` of a `.h5`, `compile_config` of a `.keras`, TF.js'
 * `trainingConfig`), as `model.trainingConfig` shows it.
 */
export interface CompileOptions {
  /** `"adam"`, `"sgd"`, `"rmsprop"`, `"adamw"`, `"adagrad"` or a Keras config `{ class_name, config }`. */
  optimizer?: KerasEntry;
  /** A Keras loss name (`"mse"`, `"categorical_crossentropy"`, ...) or `{ class_name, config }`. */
  loss?: KerasEntry;
  /** Metrics: `"accuracy"` (and its variants), `"mae"`, `"mse"` by name or config; `[]` for none. */
  metrics?: KerasEntry[];
  /** Seed of the dropout masks and of fit's shuffling (default 1). */
  seed?: number;
}

/** What a callback's hooks get: the loss and metrics so far (`val_` ones at epoch end). */
export type Logs = Record<string, number>;

/**
 * Hooks `fit` calls, awaited in order. Returning `false` from a hook (or setting
 * `model.stopTraining = true`) stops training after the current batch (batch hooks) or epoch.
 */
export interface Callback {
  onTrainBegin?(logs: Logs): unknown;
  onTrainEnd?(logs: Logs): unknown;
  onEpochBegin?(epoch: number, logs: Logs): unknown;
  onEpochEnd?(epoch: number, logs: Logs): unknown;
  onBatchBegin?(batch: number, logs: Logs): unknown;
  onBatchEnd?(batch: number, logs: Logs): unknown;
}

/** Options of {@link Model.fit}. */
export interface FitOptions {
  epochs?: number;
  /** Samples per update (default 32). */
  batchSize?: number;
  /** Shuffle the training samples before each epoch (seeded by compile's `seed`); default true. */
  shuffle?: boolean;
  /** Evaluated after each epoch (`val_loss`, `val_<metric>`): `[x, y]` or `[x, y, sampleWeight]`. */
  validationData?: [TensorInput, TensorInput] | [TensorInput, TensorInput, ArrayLike<number>];
  /** Holds out the LAST fraction of the samples (before shuffling) as validation data, as Keras does. */
  validationSplit?: number;
  /** Weight of each class (by class index: argmax of one-hot targets, else the target value). */
  classWeight?: Record<number, number>;
  /** One weight per sample, multiplying its loss. */
  sampleWeight?: ArrayLike<number>;
  callbacks?: Callback | Callback[];
  /**
   * Truncated backpropagation through time: each batch's sequences are cut into chunks of this
   * many steps, one update per chunk, the state carried from chunk to chunk (needs an output and a
   * target at every step). Default: BPTT over the whole sequence.
   */
  tbptt?: number;
}

/** What `fit` resolves to, as Keras' History: per-epoch values by name, and the epoch numbers. */
export interface History {
  history: Record<string, number[]>;
  epoch: number[];
}

/** Options of {@link Model.evaluate}. */
export interface EvaluateOptions {
  batchSize?: number;
  sampleWeight?: ArrayLike<number>;
  /** Return `{ loss, metric... }` instead of Keras' scalar / list. */
  returnDict?: boolean;
}

/** Options of {@link Model.trainOnBatch}. */
export interface TrainOnBatchOptions {
  sampleWeight?: ArrayLike<number>;
  classWeight?: Record<number, number>;
  /** Return `{ loss, metric... }` instead of Keras' scalar / list. */
  returnDict?: boolean;
  /** Truncated BPTT chunk length (see {@link FitOptions.tbptt}). */
  tbptt?: number;
}

/** What a compiled model keeps for training. */
export interface TrainingSetup {
  optimizer: OptimizerSpec;
  loss: LossSpec;
  /** As configured (`accuracy` unresolved: resolved per call against the targets). */
  metrics: MetricSpec[];
  seed: number;
  /** Where each option came from (`compile` or the file's configuration), for the record. */
  sources: { optimizer: string; loss: string; metrics: string };
  trainer?: SequentialTrainer;
  /** A kernel instance for losses and metrics of predictions (evaluate, validation). */
  scoring?: WasmMemory;
}

function describe(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  const c = (entry as { class_name?: unknown })?.class_name;
  return typeof c === 'string' ? c : JSON.stringify(entry);
}

/**
 * Validates compile's arguments against the model, filling what is left out from the file's
 * training configuration; refuses what training does not support, by name.
 */
export function compileModel(model: TrainingSource, options: CompileOptions = {}): TrainingSetup {
  if (!options || typeof options !== 'object') throw new InputError('compile takes { optimizer, loss, metrics }', { file: model.fileName, field: 'options' });
  if (!model.stored.arrays) throw new InputError('the model was loaded without weights: nothing to train', { file: model.fileName });
  const plan = planTraining(model.graphForSaving, model.generation);
  if (model.threadsSource) checkSplittable(plan);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new InputError('seed must be an integer', { file: model.fileName, field: 'seed', value: seed });
  const file = model.stored.trainingConfig ?? null;
  const from = (given: unknown, stored: unknown, what: string) => {
    if (given !== undefined && given !== null) return { entry: given, source: 'compile' };
    if (stored !== undefined && stored !== null) return { entry: stored, source: file?.source ?? 'file' };
    throw new InputError(`compile needs ${what}: the file has no training configuration with one`, { file: model.fileName, field: what });
  };
  const optimizer = from(options.optimizer, file?.optimizer, 'optimizer');
  const loss = from(options.loss, file?.loss, 'loss');
  const metricList = options.metrics ?? file?.metrics ?? [];
  if (!Array.isArray(metricList)) throw new InputError('metrics must be a list', { file: model.fileName, field: 'metrics', value: metricList });
  const withFile = <T>(what: string, source: string, make: () => T): T => {
    try {
      return make();
    } catch (e) {
      // say that the refused entry came from the file, not from the caller
      if (e instanceof UnsupportedKerasConfigurationError && source !== 'compile') {
        const tail = new KerasRnnError('', e.context).message;
        const base = tail && e.message.endsWith(tail) ? e.message.slice(0, -tail.length) : e.message;
        throw new UnsupportedKerasConfigurationError(`${base} (the ${what} of the file's ${source}; pass compile({ ${what} }) to override it)`, { file: model.fileName, ...e.context }, { cause: e });
      }
      throw e;
    }
  };
  const metricsSource = options.metrics !== undefined ? 'compile' : (file?.source ?? 'none');
  const metrics = withFile('metrics', metricsSource, () => metricList.map((m) => metricFromConfig(unwrapFunction(m))));
  const names = new Set<string>(['loss']);
  for (const m of metrics) {
    if (names.has(m.name)) throw new InputError(`two metrics are named ${m.name}`, { file: model.fileName, field: 'metrics', value: m.name });
    names.add(m.name);
  }
  return {
    optimizer: withFile('optimizer', optimizer.source, () => optimizerFromConfig(optimizer.entry, model.generation)),
    loss: withFile('loss', loss.source, () => lossFromConfig(singleLoss(loss.entry))),
    metrics,
    seed,
    sources: { optimizer: optimizer.source === 'compile' ? 'compile' : `${optimizer.source}: ${describe(optimizer.entry)}`, loss: loss.source, metrics: metricsSource },
  };
}

function tensorOf(t: TensorInput | undefined, what: string, file: string): { data: Float32Array; shape: number[] } {
  if (!t || typeof t !== 'object' || !Array.isArray(t.shape) || !t.data) throw new InputError(`${what} must be { data, shape }`, { file, field: what });
  checkNumericData(t.data, { file, field: what });
  const data = Float32Array.from(t.data as ArrayLike<number>);
  if (!data.every(Number.isFinite)) throw new InputError(`${what} holds NaN or infinite values`, { file, field: what });
  if (data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new InputError(`${what} data does not fit its shape`, { file, field: what, value: t.shape });
  return { data, shape: t.shape.slice() };
}

type Tensor = { data: Float32Array; shape: number[] };

/** x, y (and per-sample weights) checked against the model and each other. */
function dataOf(model: TrainingSource, x: TensorInput, y: TensorInput, what: string): { x: Tensor; y: Tensor; samples: number } {
  const xs = tensorOf(x, `${what}x`, model.fileName);
  const ys = tensorOf(y, `${what}y`, model.fileName);
  checkBatch(xs, model.inputs[0].shape, ys.data.length, model.fileName);
  const samples = xs.shape[0];
  if (ys.shape[0] !== samples) throw new InputError(`x has ${samples} samples, y has ${ys.shape[0]}`, { file: model.fileName, field: `${what}y`, value: ys.shape });
  return { x: xs, y: ys, samples };
}

function weightsOf(values: ArrayLike<number> | undefined, samples: number, field: string, file: string): Float32Array | null {
  if (values === undefined || values === null) return null;
  const w = Float32Array.from(values);
  if (w.length !== samples) throw new InputError(`${field} has ${w.length} values for ${samples} samples`, { file, field, value: w.length });
  if (!w.every((v) => Number.isFinite(v) && v >= 0)) throw new InputError(`${field} must hold finite values >= 0`, { file, field });
  return w;
}

/**
 * Keras' class_weight as per-sample weights: the class of a sample is the argmax of a one-hot
 * row, or the (rounded) target value of a one-column / sparse target; classes missing from the
 * mapping weigh 1. Keras refuses class weights for targets of rank 3 or more, and so does this.
 */
function classWeightsOf(classWeight: Record<number, number> | undefined, y: Tensor, file: string): Float32Array | null {
  if (classWeight === undefined || classWeight === null) return null;
  if (typeof classWeight !== 'object') throw new InputError('classWeight must map class indices to weights', { file, field: 'classWeight', value: classWeight });
  if (y.shape.length > 2) throw new UnsupportedKerasConfigurationError('classWeight is not supported for targets of rank 3 or more (Keras refuses it too)', { file, field: 'classWeight', value: y.shape });
  const samples = y.shape[0];
  const cols = y.data.length / samples;
  const out = new Float32Array(samples);
  // one pass over the targets when fit starts (not per batch)
  for (let s = 0; s < samples; s++) {
    let cls = 0;
    if (cols > 1) {
      for (let k = 1; k < cols; k++) if (y.data[s * cols + k] > y.data[s * cols + cls]) cls = k;
    } else cls = Math.round(y.data[s]);
    const w = classWeight[cls] ?? 1;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new InputError(`classWeight of class ${cls} must be a number >= 0`, { file, field: 'classWeight', value: w });
    out[s] = w;
  }
  return out;
}

async function trainerOf(model: TrainingSource, setup: TrainingSetup): Promise<SequentialTrainer> {
  if (!setup.trainer) {
    const kernels = model.info.kernels ?? 'simd';
    const memory = new WasmMemory(await instantiateKernels(kernels), model.maxWasmBytes);
    const byName = new Map(model.layers.map((l) => [l.name, l]));
    const args: TrainerArguments = [
      memory,
      planTraining(model.graphForSaving, model.generation),
      model.stored.arrays as Map<string, Float32Array[]>,
      (layer: string) => byName.get(layer)?.trainable !== false,
      setup.optimizer,
      setup.loss,
      setup.seed,
    ];
    // loadModel's `threads`: each batch split over that many threads (parallel-trainer.ts)
    const threads = model.threadsSource;
    setup.trainer = threads ? await ParallelTrainer.create(args, threads, kernels, model.maxWasmBytes) : new SequentialTrainer(...args);
  }
  return setup.trainer;
}

/** Stops what a compiled model's training holds besides memory (its worker threads). */
export function disposeTraining(setup: TrainingSetup | null): void {
  if (setup?.trainer instanceof ParallelTrainer) setup.trainer.dispose();
}

/** Running sums of the loss and metrics over an epoch / an evaluation (Keras' Mean trackers). */
class Tracker {
  private loss = 0;
  private samples = 0;
  private sums: number[];
  private rows = 0;

  constructor(private readonly metrics: MetricSpec[]) {
    this.sums = metrics.map(() => 0);
  }

  add(loss: number, samples: number, sums: number[], rows: number): void {
    this.loss += loss * samples;
    this.samples += samples;
    sums.forEach((v, i) => (this.sums[i] += v));
    this.rows += rows;
  }

  logs(prefix = ''): Logs {
    const out: Logs = { [`${prefix}loss`]: this.loss / this.samples };
    this.metrics.forEach((m, i) => (out[`${prefix}${m.name}`] = this.sums[i] / this.rows));
    return out;
  }
}

/** The metrics with `accuracy` resolved for these predictions and targets. */
function resolvedMetrics(setup: TrainingSetup, predShape: number[], yLength: number, file: string): MetricSpec[] {
  const cols = predShape[predShape.length - 1] ?? 1;
  const rows = predShape.reduce((a, b) => a * b, 1) / cols;
  const sparse = yLength === rows && cols > 1;
  return setup.metrics.map((m) => {
    const r = resolveAccuracy(m, setup.loss, cols, sparse);
    if ((r.kind === 'sparse_categorical_accuracy') !== sparse) {
      throw new InputError(`metric ${m.name} (${r.kind}) does not fit targets of ${yLength} values for predictions of shape [${predShape.join(', ')}]`, { file, field: 'metrics', value: m.name });
    }
    return r;
  });
}

/** Metric sums (over rows) of predictions against targets, in the given kernel instance. */
function scoreMetrics(memory: WasmMemory, metrics: MetricSpec[], pred: Tensor, y: Float32Array): { sums: number[]; rows: number } {
  const cols = pred.shape[pred.shape.length - 1] ?? 1;
  const rows = pred.data.length / cols;
  if (metrics.length === 0) return { sums: [], rows };
  memory.beginScratch();
  try {
    const p = memory.scratch(pred.data.length * 4);
    memory.f32(p, pred.data.length).set(pred.data);
    const t = memory.scratch(y.length * 4);
    memory.f32(t, y.length).set(y);
    return { sums: metricSums(memory, metrics, p, rows, cols, t), rows };
  } finally {
    memory.endScratch();
  }
}

async function scoringOf(model: TrainingSource, setup: TrainingSetup): Promise<WasmMemory> {
  setup.scoring ??= new WasmMemory(await instantiateKernels(), model.maxWasmBytes);
  return setup.scoring;
}

/** Rows `rows` of a [samples, ...] tensor, as a new tensor. */
function take(t: Tensor, rows: ArrayLike<number>, samples: number): Tensor {
  const row = t.data.length / samples;
  const out = new Float32Array(rows.length * row);
  for (let i = 0; i < rows.length; i++) out.set(t.data.subarray(rows[i] * row, (rows[i] + 1) * row), i * row);
  return { data: out, shape: [rows.length, ...t.shape.slice(1)] };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Loss and metrics of the model's predictions (inference mode) on (x, y), Keras' evaluate. */
async function evaluateData(model: TrainingSource, setup: TrainingSetup, x: Tensor, y: Tensor, weights: Float32Array | null, batchSize: number, prefix: string): Promise<Logs> {
  const memory = await scoringOf(model, setup);
  const samples = x.shape[0];
  let metrics: MetricSpec[] | null = null;
  const tracker = new Tracker(setup.metrics);
  for (let start = 0; start < samples; start += batchSize) {
    const rows = range(start, Math.min(samples, start + batchSize));
    const bx = take(x, rows, samples);
    const by = take(y, rows, samples);
    const pred = model.predictOne(bx);
    metrics ??= resolvedMetrics(setup, pred.shape, by.data.length, model.fileName);
    const { loss } = computeLoss(memory, setup.loss, pred, by.data, weights ? weights.subarray(start, start + rows.length) : null);
    const { sums, rows: count } = scoreMetrics(memory, metrics, pred, by.data);
    tracker.add(loss, rows.length, sums, count);
  }
  return tracker.logs(prefix);
}

function positiveInteger(value: number, field: string, file: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InputError(`${field} must be an integer >= 1`, { file, field, value });
  return value;
}

/** Keras' return shape: the loss alone without metrics, else [loss, ...metrics]; or the dict. */
function kerasResult(logs: Logs, returnDict: boolean | undefined): number | number[] | Logs {
  if (returnDict) return logs;
  const values = Object.values(logs);
  return values.length === 1 ? values[0] : values;
}

/** One update on (x, y); resolves to the loss before it (with metrics: `[loss, ...metrics]`). */
export async function trainOnBatch(model: TrainingSource, setup: TrainingSetup, x: TensorInput, y: TensorInput, options: TrainOnBatchOptions = {}): Promise<number | number[] | Logs> {
  const data = dataOf(model, x, y, '');
  if (options.sampleWeight !== undefined && options.classWeight !== undefined) {
    throw new InputError('pass sampleWeight or classWeight, not both (as Keras)', { file: model.fileName, field: 'classWeight' });
  }
  const weights = weightsOf(options.sampleWeight, data.samples, 'sampleWeight', model.fileName) ?? classWeightsOf(options.classWeight, data.y, model.fileName);
  const tbptt = options.tbptt === undefined ? undefined : positiveInteger(options.tbptt, 'tbptt', model.fileName);
  const trainer = await trainerOf(model, setup);
  const loss = trainer.trainOnBatch(data.x.data, data.x.shape, data.y.data, weights, tbptt);
  const tracker = new Tracker(setup.metrics);
  const out = trainer.lastOutput as Tensor;
  const metrics = resolvedMetrics(setup, out.shape, data.y.data.length, model.fileName);
  const { sums, rows } = scoreMetrics(await scoringOf(model, setup), metrics, out, data.y.data);
  tracker.add(loss, data.samples, sums, rows);
  return kerasResult(tracker.logs(), options.returnDict);
}

/** Loss and metrics on (x, y) in inference mode (no dropout), as Keras' evaluate returns them. */
export async function evaluateModel(model: TrainingSource, setup: TrainingSetup, x: TensorInput, y: TensorInput, options: EvaluateOptions = {}): Promise<number | number[] | Logs> {
  const data = dataOf(model, x, y, '');
  const batchSize = positiveInteger(options.batchSize ?? 32, 'batchSize', model.fileName);
  const weights = weightsOf(options.sampleWeight, data.samples, 'sampleWeight', model.fileName);
  return kerasResult(await evaluateData(model, setup, data.x, data.y, weights, batchSize, ''), options.returnDict);
}

/**
 * Epochs of mini-batch updates (Keras' fit): validation after each epoch, callbacks, early stop.
 * `sync` makes the model's predict use the weights trained so far (before validation and the
 * epoch-end callbacks, so that they see the model as it is).
 */
export async function fitModel(model: TrainingSource, setup: TrainingSetup, x: TensorInput, y: TensorInput, options: FitOptions, sync: () => Promise<void>): Promise<History> {
  const file = model.fileName;
  if (!options || typeof options !== 'object') throw new InputError('fit options must be an object', { file, field: 'options' });
  const all = dataOf(model, x, y, '');
  const epochs = positiveInteger(options.epochs ?? 1, 'epochs', file);
  const batchSize = positiveInteger(options.batchSize ?? 32, 'batchSize', file);
  const tbptt = options.tbptt === undefined ? undefined : positiveInteger(options.tbptt, 'tbptt', file);
  if (options.sampleWeight !== undefined && options.classWeight !== undefined) {
    throw new InputError('pass sampleWeight or classWeight, not both (as Keras)', { file, field: 'classWeight' });
  }
  let weights = weightsOf(options.sampleWeight, all.samples, 'sampleWeight', file);
  let train = all;
  let validation: { x: Tensor; y: Tensor; weights: Float32Array | null } | null = null;
  if (options.validationData !== undefined && options.validationSplit !== undefined) {
    throw new InputError('pass validationData or validationSplit, not both', { file, field: 'validationSplit' });
  }
  if (options.validationData !== undefined) {
    const v = options.validationData;
    if (!Array.isArray(v) || v.length < 2 || v.length > 3) throw new InputError('validationData must be [x, y] or [x, y, sampleWeight]', { file, field: 'validationData' });
    const vd = dataOf(model, v[0], v[1], 'validationData.');
    validation = { x: vd.x, y: vd.y, weights: weightsOf(v[2] as ArrayLike<number> | undefined, vd.samples, 'validationData[2]', file) };
  } else if (options.validationSplit !== undefined) {
    const split = options.validationSplit;
    if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new InputError('validationSplit must be a number between 0 and 1', { file, field: 'validationSplit', value: split });
    // Keras: the last samples, before any shuffling; split_at = floor(n (1 - split))
    const at = Math.floor(all.samples * (1 - split));
    if (at === 0 || at === all.samples) {
      throw new InputError(`validationSplit ${split} leaves no ${at === 0 ? 'training' : 'validation'} samples out of ${all.samples}`, { file, field: 'validationSplit', value: split });
    }
    const head = range(0, at);
    const tail = range(at, all.samples);
    validation = { x: take(all.x, tail, all.samples), y: take(all.y, tail, all.samples), weights: weights ? weights.slice(at) : null };
    train = { x: take(all.x, head, all.samples), y: take(all.y, head, all.samples), samples: at };
    weights = weights ? weights.slice(0, at) : null;
  }
  weights ??= classWeightsOf(options.classWeight, train.y, file);
  const callbacks = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks];
  for (const c of callbacks) if (!c || typeof c !== 'object') throw new InputError('callbacks must be objects with onEpochEnd / onBatchEnd / ... hooks', { file, field: 'callbacks' });
  /** Calls a hook on every callback; true when one asks to stop. */
  const call = async (hook: keyof Callback, ...args: [number, Logs] | [Logs]): Promise<boolean> => {
    let stop = false;
    for (const c of callbacks) {
      const fn = c[hook] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof fn === 'function' && (await fn.apply(c, args)) === false) stop = true;
    }
    return stop || model.stopTraining;
  };

  const trainer = await trainerOf(model, setup);
  const samples = train.samples;
  const order = range(0, samples);
  let state = setup.seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const scoring = await scoringOf(model, setup);
  const history: History = { history: {}, epoch: [] };
  model.stopTraining = false;
  let stop = await call('onTrainBegin', {});
  let metrics: MetricSpec[] | null = null;
  let last: Logs = {};
  for (let epoch = 0; epoch < epochs && !stop; epoch++) {
    // a stop asked for before the epoch's first batch ends training without an empty epoch
    if (await call('onEpochBegin', epoch, {})) break;
    if (options.shuffle !== false) {
      for (let i = samples - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    const tracker = new Tracker(setup.metrics);
    for (let start = 0, batch = 0; start < samples && !stop; start += batchSize, batch++) {
      const rows = order.slice(start, start + batchSize);
      if (await call('onBatchBegin', batch, { batch, size: rows.length })) stop = true;
      const bx = take(train.x, rows, samples);
      const by = take(train.y, rows, samples);
      const bw = weights ? Float32Array.from(rows, (r) => (weights as Float32Array)[r]) : null;
      const loss = trainer.trainOnBatch(bx.data, bx.shape, by.data, bw, tbptt);
      const out = trainer.lastOutput as Tensor;
      metrics ??= resolvedMetrics(setup, out.shape, by.data.length, file);
      const { sums, rows: count } = scoreMetrics(scoring, metrics, out, by.data);
      tracker.add(loss, rows.length, sums, count);
      if (await call('onBatchEnd', batch, tracker.logs())) stop = true;
    }
    const logs = tracker.logs();
    await sync();
    if (validation) Object.assign(logs, await evaluateData(model, setup, validation.x, validation.y, validation.weights, batchSize, 'val_'));
    for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
    history.epoch.push(epoch);
    last = logs;
    if (await call('onEpochEnd', epoch, logs)) stop = true;
  }
  await call('onTrainEnd', last);
  return history;
}
