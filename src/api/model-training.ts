import { InputError, KerasRnnError, UnsupportedKerasConfigurationError } from '../errors.js';
import { instantiateKernels } from '../wasm/wasm-module.js';
import { WasmMemory } from '../wasm/memory.js';
import { computeLoss, lossFromConfig, type LossSpec } from '../training/losses.js';
import { metricFromConfig, metricScores, resolveAccuracy, type MetricSpec } from '../training/metrics.js';
import { optimizerFromConfig, type OptimizerSpec } from '../training/optimizers.js';
import { checkBatch, outputMasks, planTraining, SequentialTrainer, weightRegularizationLoss, type BatchTensor, type OutputLoss, type TrainingPlan } from '../training/sequential-trainer.js';
import { refuse } from '../training/layers/layer-module.js';
import { isEntry, perOutput, unwrapFunction } from '../training/training-config.js';
import { checkSplittable, ParallelTrainer, type TrainerArguments } from '../training/parallel-trainer.js';
import type { TrainingSource } from './model-info.js';
import { applyResumedState, resumedOptimizerState, type OptimizerStateOption } from './optimizer-state.js';
import type { RestoredOptimizerState } from '../training/optimizer-variables.js';
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
  /**
   * A Keras loss name (`"mse"`, `"categorical_crossentropy"`, ...) or `{ class_name, config }`;
   * for a model with several outputs one loss for all of them, a list in the model's output
   * order, or an object keyed by output name (`model.outputs[i].name`).
   */
  loss?: KerasEntry | KerasEntry[] | Record<string, KerasEntry>;
  /**
   * Metrics: `"accuracy"` (and its variants), `"mae"`, `"mse"` by name or config; `[]` for none.
   * Several outputs: a flat list applies to every output (tf.keras 2's rule), a list of lists
   * (output order) or an object keyed by output name gives each output its own.
   */
  metrics?: KerasEntry[] | KerasEntry[][] | Record<string, KerasEntry | KerasEntry[]>;
  /** Weight of each output's loss in the total (a list in output order, or keyed by output name); default 1. */
  lossWeights?: number[] | Record<string, number>;
  /** Seed of the dropout masks and of fit's shuffling (default 1). */
  seed?: number;
  /**
   * The optimizer state the file holds (`.keras` `optimizer/vars`, `.h5` `optimizer_weights`):
   * `'resume'` (default) continues from it when compile uses the optimizer class of the file's
   * training configuration, as Keras does; `'fresh'` starts a new optimizer.
   */
  optimizerState?: OptimizerStateOption;
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
  validationData?: [TrainingInput, TrainingInput] | [TrainingInput, TrainingInput, SampleWeights];
  /** Holds out the LAST fraction of the samples (before shuffling) as validation data, as Keras does. */
  validationSplit?: number;
  /** Weight of each class (by class index: argmax of one-hot targets, else the target value). */
  classWeight?: Record<number, number>;
  /** One weight per sample, multiplying its loss (several outputs: one list for all, or per output). */
  sampleWeight?: SampleWeights;
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
  sampleWeight?: SampleWeights;
  /** Return `{ loss, metric... }` instead of Keras' scalar / list. */
  returnDict?: boolean;
}

/** Options of {@link Model.trainOnBatch}. */
export interface TrainOnBatchOptions {
  sampleWeight?: SampleWeights;
  classWeight?: Record<number, number>;
  /** Return `{ loss, metric... }` instead of Keras' scalar / list. */
  returnDict?: boolean;
  /** Truncated BPTT chunk length (see {@link FitOptions.tbptt}). */
  tbptt?: number;
}

/**
 * Model inputs or targets for training: one tensor for a single input / output, else a list in
 * the model's input / output order or an object keyed by input / output name, as Keras takes them.
 */
export type TrainingInput = TensorInput | TensorInput[] | Record<string, TensorInput>;

/** Per-sample weights: one list (for every output), or one per output (list in output order, or keyed by output name). */
export type SampleWeights = ArrayLike<number> | ArrayLike<number>[] | Record<string, ArrayLike<number>>;

/** What a compiled model keeps for training. */
export interface TrainingSetup {
  optimizer: OptimizerSpec;
  /** Each output's loss and loss weight, in the model's output order. */
  losses: OutputLoss[];
  /** Each output's metrics as configured (`accuracy` unresolved: resolved per call against the targets). */
  metrics: MetricSpec[][];
  /** The history's key prefix of each output's loss and metrics: '' for a single output, else `<output name>_`. */
  prefixes: string[];
  seed: number;
  /** The model's training plan (its regularizers for evaluate's loss). */
  plan: TrainingPlan;
  /** Where each option came from (`compile` or the file's configuration), for the record. */
  sources: { optimizer: string; loss: string; metrics: string; lossWeights: string };
  /** The entries compile used (given or from the file), written back by `save`. */
  entries: { optimizer: unknown; loss: unknown; metrics: unknown; lossWeights: unknown };
  /** The file's optimizer state, resumed when the trainer starts (null: a fresh optimizer). */
  resumed: RestoredOptimizerState | null;
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
  const outputNames = model.outputs.map((o) => o.name);
  const single = outputNames.length === 1;
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
  // one output: a one-entry list or mapping is that output's, whatever its key
  const oneOf = (v: unknown) => (single && !isEntry(v) && v !== null && typeof v === 'object' && Object.values(v).length === 1 ? [Object.values(v)[0]] : v);
  const losses = withFile('loss', loss.source, () => perOutput<unknown>(oneOf(unwrapFunction(loss.entry)), outputNames, 'loss', isEntry).map((e) => lossFromConfig(unwrapFunction(e))));
  const givenWeights = options.lossWeights ?? (file?.raw.loss_weights as unknown) ?? null;
  const weightsSource = options.lossWeights !== undefined ? 'compile' : givenWeights !== null ? (file?.source ?? 'file') : 'none';
  const lossWeights =
    givenWeights === null
      ? outputNames.map(() => 1)
      : withFile('lossWeights', weightsSource, () => perOutput<number>(oneOf(givenWeights), outputNames, 'loss_weights', () => false, 1));
  lossWeights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new InputError(`the loss weight of output ${outputNames[i]} must be a finite number`, { file: model.fileName, field: 'lossWeights', value: w });
  });
  const metricsSource = options.metrics !== undefined ? 'compile' : (file?.source ?? 'none');
  const metricsGiven: unknown = options.metrics !== undefined ? options.metrics : file ? (single ? file.metrics : (file.raw.metrics ?? [])) : [];
  if (metricsGiven !== null && typeof metricsGiven !== 'object') throw new InputError('metrics must be a list', { file: model.fileName, field: 'metrics', value: metricsGiven });
  const metrics = withFile('metrics', metricsSource, () => {
    // a flat list applies to every output (tf.keras 2); a list of lists or a mapping gives each its own
    const lists: unknown[] =
      metricsGiven === null ? outputNames.map(() => []) : Array.isArray(metricsGiven) && (single || metricsGiven.every(isEntry)) ? outputNames.map(() => metricsGiven) : perOutput<unknown>(metricsGiven, outputNames, 'metrics', () => false, []);
    return lists.map((l) => (l === null ? [] : Array.isArray(l) ? l : [l]).map((m) => metricFromConfig(unwrapFunction(m))));
  });
  const prefixes = single ? [''] : outputNames.map((n) => `${n}_`);
  const names = new Set<string>(['loss', ...(single ? [] : prefixes.map((p) => `${p}loss`))]);
  metrics.forEach((list, k) => {
    for (const m of list) {
      const key = prefixes[k] + m.name;
      if (names.has(key)) throw new InputError(`two metrics are named ${key}`, { file: model.fileName, field: 'metrics', value: key });
      names.add(key);
    }
  });
  const spec = withFile('optimizer', optimizer.source, () => optimizerFromConfig(optimizer.entry, model.generation));
  return {
    optimizer: spec,
    losses: losses.map((l, k) => ({ loss: l, weight: lossWeights[k] })),
    metrics,
    prefixes,
    seed,
    plan,
    sources: { optimizer: optimizer.source === 'compile' ? 'compile' : `${optimizer.source}: ${describe(optimizer.entry)}`, loss: loss.source, metrics: metricsSource, lossWeights: weightsSource },
    entries: { optimizer: optimizer.entry, loss: loss.entry, metrics: metricsGiven, lossWeights: givenWeights },
    resumed: resumedOptimizerState(model, spec, options.optimizerState),
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

/** Training data: the model inputs and the targets (model order), with their sample count. */
interface Data {
  x: Tensor[];
  y: Tensor[];
  samples: number;
}

/** One tensor per name (model inputs or outputs), from one tensor, a list in model order or an object keyed by name. */
function listOf<T>(value: unknown, names: readonly string[], field: string, file: string, isOne: (v: unknown) => boolean): T[] {
  if (names.length === 1 && isOne(value)) return [value as T];
  if (Array.isArray(value)) {
    if (value.length !== names.length) throw new InputError(`${field} has ${value.length} entries for ${names.length} model ${field.endsWith('x') ? 'inputs' : 'outputs'} (${names.join(', ')})`, { file, field, value: value.length });
    return value as T[];
  }
  if (value && typeof value === 'object' && !isOne(value)) {
    const byName = value as Record<string, T>;
    const unknown = Object.keys(byName).filter((k) => !names.includes(k));
    if (unknown.length) throw new InputError(`${field} names ${unknown.join(', ')}, expected ${names.join(', ')}`, { file, field, value: unknown });
    return names.map((n) => {
      if (!(n in byName)) throw new InputError(`${field} has no entry for ${n}`, { file, field, value: n });
      return byName[n];
    });
  }
  throw new InputError(`${field} must be ${names.length === 1 ? '{ data, shape }' : `a list of ${names.length} tensors or an object keyed by ${names.join(', ')}`}`, { file, field });
}

const isTensor = (v: unknown) => !!v && typeof v === 'object' && 'shape' in v && 'data' in v;

/** x, y checked against the model and each other (every input and target has the same samples). */
function dataOf(model: TrainingSource, x: TrainingInput, y: TrainingInput, what: string): Data {
  const file = model.fileName;
  const xField = (i: number) => (model.inputs.length === 1 ? `${what}x` : `${what}x.${model.inputs[i].name}`);
  const xs = listOf<TensorInput>(x, model.inputs.map((i) => i.name), `${what}x`, file, isTensor).map((t, i) => tensorOf(t, xField(i), file));
  const ys = listOf<TensorInput>(y, model.outputs.map((o) => o.name), `${what}y`, file, isTensor).map((t, i) => tensorOf(t, model.outputs.length === 1 ? `${what}y` : `${what}y.${model.outputs[i].name}`, file));
  xs.forEach((t, i) => checkBatch(t, model.inputs[i].shape, ys[0].data.length, file, xField(i)));
  const samples = xs[0].shape[0];
  [...xs, ...ys].forEach((t) => {
    if (t.shape[0] !== samples) throw new InputError(`every input and target needs the same samples: ${samples} vs ${t.shape[0]}`, { file, field: `${what}y`, value: t.shape });
    if (t.data.length === 0) throw new InputError('y is empty', { file, field: `${what}y` });
  });
  return { x: xs, y: ys, samples };
}

/** Per-output sample weights (one list for every output, or one per output), checked. */
function weightsOf(values: SampleWeights | undefined, samples: number, field: string, model: TrainingSource): (Float32Array | null)[] | null {
  if (values === undefined || values === null) return null;
  const names = model.outputs.map((o) => o.name);
  const isList = (v: unknown) => ArrayBuffer.isView(v) || (Array.isArray(v) && v.every((e) => typeof e === 'number'));
  const lists = isList(values) ? names.map(() => values as ArrayLike<number>) : listOf<ArrayLike<number> | null>(values, names, field, model.fileName, isList);
  return lists.map((l) => {
    if (l === null || l === undefined) return null;
    const w = Float32Array.from(l);
    if (w.length !== samples) throw new InputError(`${field} has ${w.length} values for ${samples} samples`, { file: model.fileName, field, value: w.length });
    if (!w.every((v) => Number.isFinite(v) && v >= 0)) throw new InputError(`${field} must hold finite values >= 0`, { file: model.fileName, field });
    return w;
  });
}

/** Keras' class_weight (a single output only, as Keras) as per-sample weights of that output. */
function classWeightsFor(model: TrainingSource, classWeight: Record<number, number> | undefined, y: Tensor[]): (Float32Array | null)[] | null {
  if (classWeight === undefined || classWeight === null) return null;
  if (y.length !== 1) throw new UnsupportedKerasConfigurationError('classWeight is only supported for models with a single output (Keras refuses it too); pass sampleWeight per output', { file: model.fileName, field: 'classWeight' });
  return [classWeightsOf(classWeight, y[0], model.fileName)];
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
      setup.plan,
      model.stored.arrays as Map<string, Float32Array[]>,
      (layer: string) => byName.get(layer)?.trainable !== false,
      setup.optimizer,
      setup.losses,
      setup.seed,
    ];
    // loadModel's `threads`: each batch split over that many threads (parallel-trainer.ts)
    const threads = model.threadsSource;
    setup.trainer = threads ? await ParallelTrainer.create(args, threads, kernels, model.maxWasmBytes) : new SequentialTrainer(...args);
    if (setup.resumed) applyResumedState(setup.trainer, setup.resumed);
  }
  return setup.trainer;
}

/** Stops what a compiled model's training holds besides memory (its worker threads). */
export function disposeTraining(setup: TrainingSetup | null): void {
  if (setup?.trainer instanceof ParallelTrainer) setup.trainer.dispose();
}

/**
 * Running sums of the loss, each output's loss and the metrics over an epoch / an evaluation
 * (Keras' Mean trackers). Keys as Keras writes them: `loss`, then for several outputs
 * `<output>_loss` each, then the metrics (`<metric>`, or `<output>_<metric>` for several outputs).
 */
class Tracker {
  private loss = 0;
  private outputLosses: number[];
  private samples = 0;
  private sums: number[][];
  private rows: number[];

  constructor(private readonly setup: TrainingSetup) {
    this.outputLosses = setup.losses.map(() => 0);
    this.sums = setup.metrics.map((list) => list.map(() => 0));
    this.rows = setup.metrics.map(() => 0);
  }

  add(loss: { loss: number; outputs: number[] }, samples: number, scores: { sums: number[]; rows: number }[]): void {
    this.loss += loss.loss * samples;
    loss.outputs.forEach((l, k) => (this.outputLosses[k] += l * samples));
    this.samples += samples;
    scores.forEach((s, k) => {
      s.sums.forEach((v, i) => (this.sums[k][i] += v));
      this.rows[k] += s.rows;
    });
  }

  logs(prefix = ''): Logs {
    const out: Logs = { [`${prefix}loss`]: this.loss / this.samples };
    const { prefixes, metrics } = this.setup;
    if (prefixes.length > 1) prefixes.forEach((p, k) => (out[`${prefix}${p}loss`] = this.outputLosses[k] / this.samples));
    metrics.forEach((list, k) => list.forEach((m, i) => (out[`${prefix}${prefixes[k]}${m.name}`] = this.sums[k][i] / this.rows[k])));
    return out;
  }
}

/** Each output's metrics with `accuracy` resolved for these predictions and targets. */
function resolvedMetrics(setup: TrainingSetup, preds: Tensor[], ys: Tensor[], file: string): MetricSpec[][] {
  return setup.metrics.map((list, k) => {
    const predShape = preds[k].shape;
    const yLength = ys[k].data.length;
    const cols = predShape[predShape.length - 1] ?? 1;
    const rows = predShape.reduce((a, b) => a * b, 1) / cols;
    const sparse = yLength === rows && cols > 1;
    return list.map((m) => {
      const r = resolveAccuracy(m, setup.losses[k].loss, cols, sparse);
      if ((r.kind === 'sparse_categorical_accuracy') !== sparse) {
        throw new InputError(`metric ${m.name} (${r.kind}) does not fit targets of ${yLength} values for predictions of shape [${predShape.join(', ')}]`, { file, field: 'metrics', value: m.name });
      }
      return r;
    });
  });
}

/** Metric sums (over rows, masked as the plan's Keras version does) of predictions against targets, in the given kernel instance. */
function scoreMetrics(memory: WasmMemory, plan: TrainingPlan, metrics: MetricSpec[], pred: Tensor, y: Float32Array, mask: Uint8Array | undefined): { sums: number[]; rows: number } {
  const cols = pred.shape[pred.shape.length - 1] ?? 1;
  const rows = pred.data.length / cols;
  if (metrics.length === 0) return { sums: [], rows };
  memory.beginScratch();
  try {
    const p = memory.scratch(pred.data.length * 4);
    memory.f32(p, pred.data.length).set(pred.data);
    const t = memory.scratch(y.length * 4);
    memory.f32(t, y.length).set(y);
    const rule = plan.maskedLoss;
    return metricScores(memory, metrics, p, rows, cols, t, pred.shape[0], mask && rule ? { values: mask, rule } : null);
  } finally {
    memory.endScratch();
  }
}

/** Every output's metric sums (`masks`: each output's time-step mask, if one reaches it). */
function scoreAll(memory: WasmMemory, plan: TrainingPlan, metrics: MetricSpec[][], preds: Tensor[], ys: Tensor[], masks: (Uint8Array | undefined)[]): { sums: number[]; rows: number }[] {
  return metrics.map((list, k) => scoreMetrics(memory, plan, list, preds[k], ys[k].data, masks[k]));
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

/** Rows of every input and target (and sample weights). */
function takeData(d: Data, rows: number[]): Data {
  return { x: d.x.map((t) => take(t, rows, d.samples)), y: d.y.map((t) => take(t, rows, d.samples)), samples: rows.length };
}

function takeWeights(w: (Float32Array | null)[] | null, rows: number[]): (Float32Array | null)[] | null {
  return w ? w.map((l) => (l ? Float32Array.from(rows, (r) => l[r]) : null)) : null;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Loss and metrics of the model's predictions (inference mode) on (x, y), Keras' evaluate. */
async function evaluateData(model: TrainingSource, setup: TrainingSetup, data: Data, weights: (Float32Array | null)[] | null, batchSize: number, prefix: string): Promise<Logs> {
  const memory = await scoringOf(model, setup);
  // Keras' evaluate loss includes the regularization losses; activity ones need the layers' inference outputs
  const activity = setup.plan.steps.find((s) => s.activity);
  if (activity) refuse(activity.plan.layer, `the ${prefix ? 'validation' : 'evaluate'} loss of a model with activity regularization (Keras adds it on the inference outputs)`, 'activity_regularizer', true);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const penalty = weightRegularizationLoss(memory, setup.plan, model.stored.arrays as Map<string, Float32Array[]>, (layer) => byName.get(layer)?.trainable !== false);
  let metrics: MetricSpec[][] | null = null;
  const tracker = new Tracker(setup);
  for (let start = 0; start < data.samples; start += batchSize) {
    const rows = range(start, Math.min(data.samples, start + batchSize));
    const batch = takeData(data, rows);
    const preds = model.predictList(batch.x);
    metrics ??= resolvedMetrics(setup, preds, batch.y, model.fileName);
    const bw = takeWeights(weights, rows);
    // the inference engine's outputs carry no masks: the training forward pass gives them
    const masks = outputMasks(memory, setup.plan, model.stored.arrays as Map<string, Float32Array[]>, batchTensors(batch.x));
    const rule = setup.plan.maskedLoss;
    const outputs = setup.losses.map(({ loss }, k) => {
      const mask = masks[k] && rule ? { values: masks[k] as Uint8Array, divisor: rule.loss } : null;
      return computeLoss(memory, loss, preds[k], batch.y[k].data, bw?.[k] ?? null, mask).loss;
    });
    const loss = outputs.reduce((a, l, k) => a + setup.losses[k].weight * l, penalty);
    tracker.add({ loss, outputs }, rows.length, scoreAll(memory, setup.plan, metrics, preds, batch.y, masks));
  }
  return tracker.logs(prefix);
}

function positiveInteger(value: number, field: string, file: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InputError(`${field} must be an integer >= 1`, { file, field, value });
  return value;
}

/** Keras' return shape: the loss alone without metrics (and one output), else [loss, ...]; or the dict. */
function kerasResult(logs: Logs, returnDict: boolean | undefined): number | number[] | Logs {
  if (returnDict) return logs;
  const values = Object.values(logs);
  return values.length === 1 ? values[0] : values;
}

function oneOfWeights(model: TrainingSource, options: { sampleWeight?: SampleWeights; classWeight?: Record<number, number> }, data: Data): (Float32Array | null)[] | null {
  if (options.sampleWeight !== undefined && options.classWeight !== undefined) {
    throw new InputError('pass sampleWeight or classWeight, not both (as Keras)', { file: model.fileName, field: 'classWeight' });
  }
  return weightsOf(options.sampleWeight, data.samples, 'sampleWeight', model) ?? classWeightsFor(model, options.classWeight, data.y);
}

const batchTensors = (ts: Tensor[]): BatchTensor[] => ts.map((t) => ({ data: t.data, shape: t.shape }));

/** One update on (x, y); resolves to the loss before it (with metrics or several outputs: `[loss, ...]`). */
export async function trainOnBatch(model: TrainingSource, setup: TrainingSetup, x: TrainingInput, y: TrainingInput, options: TrainOnBatchOptions = {}): Promise<number | number[] | Logs> {
  const data = dataOf(model, x, y, '');
  const weights = oneOfWeights(model, options, data);
  const tbptt = options.tbptt === undefined ? undefined : positiveInteger(options.tbptt, 'tbptt', model.fileName);
  const trainer = await trainerOf(model, setup);
  const loss = trainer.trainOnBatch(batchTensors(data.x), data.y.map((t) => t.data), weights, tbptt);
  const tracker = new Tracker(setup);
  const outs = trainer.lastOutputs;
  const metrics = resolvedMetrics(setup, outs, data.y, model.fileName);
  tracker.add(loss, data.samples, scoreAll(await scoringOf(model, setup), setup.plan, metrics, outs, data.y, outs.map((o) => o.mask)));
  return kerasResult(tracker.logs(), options.returnDict);
}

/** Loss and metrics on (x, y) in inference mode (no dropout), as Keras' evaluate returns them. */
export async function evaluateModel(model: TrainingSource, setup: TrainingSetup, x: TrainingInput, y: TrainingInput, options: EvaluateOptions = {}): Promise<number | number[] | Logs> {
  const data = dataOf(model, x, y, '');
  const batchSize = positiveInteger(options.batchSize ?? 32, 'batchSize', model.fileName);
  const weights = weightsOf(options.sampleWeight, data.samples, 'sampleWeight', model);
  return kerasResult(await evaluateData(model, setup, data, weights, batchSize, ''), options.returnDict);
}

/**
 * Epochs of mini-batch updates (Keras' fit): validation after each epoch, callbacks, early stop.
 * `sync` makes the model's predict use the weights trained so far (before validation and the
 * epoch-end callbacks, so that they see the model as it is).
 */
export async function fitModel(model: TrainingSource, setup: TrainingSetup, x: TrainingInput, y: TrainingInput, options: FitOptions, sync: () => Promise<void>): Promise<History> {
  const file = model.fileName;
  if (!options || typeof options !== 'object') throw new InputError('fit options must be an object', { file, field: 'options' });
  const all = dataOf(model, x, y, '');
  const epochs = positiveInteger(options.epochs ?? 1, 'epochs', file);
  const batchSize = positiveInteger(options.batchSize ?? 32, 'batchSize', file);
  const tbptt = options.tbptt === undefined ? undefined : positiveInteger(options.tbptt, 'tbptt', file);
  if (options.sampleWeight !== undefined && options.classWeight !== undefined) {
    throw new InputError('pass sampleWeight or classWeight, not both (as Keras)', { file, field: 'classWeight' });
  }
  let weights = weightsOf(options.sampleWeight, all.samples, 'sampleWeight', model);
  let train = all;
  let validation: { data: Data; weights: (Float32Array | null)[] | null } | null = null;
  if (options.validationData !== undefined && options.validationSplit !== undefined) {
    throw new InputError('pass validationData or validationSplit, not both', { file, field: 'validationSplit' });
  }
  if (options.validationData !== undefined) {
    const v = options.validationData;
    if (!Array.isArray(v) || v.length < 2 || v.length > 3) throw new InputError('validationData must be [x, y] or [x, y, sampleWeight]', { file, field: 'validationData' });
    const vd = dataOf(model, v[0], v[1], 'validationData.');
    validation = { data: vd, weights: weightsOf(v[2] as SampleWeights | undefined, vd.samples, 'validationData[2]', model) };
  } else if (options.validationSplit !== undefined) {
    const split = options.validationSplit;
    if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new InputError('validationSplit must be a number between 0 and 1', { file, field: 'validationSplit', value: split });
    // Keras: the last samples, before any shuffling; split_at = floor(n (1 - split))
    const at = Math.floor(all.samples * (1 - split));
    if (at === 0 || at === all.samples) {
      throw new InputError(`validationSplit ${split} leaves no ${at === 0 ? 'training' : 'validation'} samples out of ${all.samples}`, { file, field: 'validationSplit', value: split });
    }
    const tail = range(at, all.samples);
    const head = range(0, at);
    validation = { data: takeData(all, tail), weights: takeWeights(weights, tail) };
    train = takeData(all, head);
    weights = takeWeights(weights, head);
  }
  weights ??= classWeightsFor(model, options.classWeight, train.y);
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
  let metrics: MetricSpec[][] | null = null;
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
    const tracker = new Tracker(setup);
    for (let start = 0, batch = 0; start < samples && !stop; start += batchSize, batch++) {
      const rows = order.slice(start, start + batchSize);
      if (await call('onBatchBegin', batch, { batch, size: rows.length })) stop = true;
      const b = takeData(train, rows);
      const loss = trainer.trainOnBatch(batchTensors(b.x), b.y.map((t) => t.data), takeWeights(weights, rows), tbptt);
      const outs = trainer.lastOutputs;
      metrics ??= resolvedMetrics(setup, outs, b.y, file);
      tracker.add(loss, rows.length, scoreAll(scoring, setup.plan, metrics, outs, b.y, outs.map((o) => o.mask)));
      if (await call('onBatchEnd', batch, tracker.logs())) stop = true;
    }
    const logs = tracker.logs();
    await sync();
    if (validation) Object.assign(logs, await evaluateData(model, setup, validation.data, validation.weights, batchSize, 'val_'));
    for (const [key, value] of Object.entries(logs)) (history.history[key] ??= []).push(value);
    history.epoch.push(epoch);
    last = logs;
    if (await call('onEpochEnd', epoch, logs)) stop = true;
  }
  await call('onTrainEnd', last);
  return history;
}
