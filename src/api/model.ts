import { InputError, InternalError } from '../errors.js';
import type { ModelGraph } from '../graph/build-graph.js';
import { refKey } from '../graph/build-graph.js';
import type { KerasGeneration } from '../keras/generation.js';
import type { TensorRef } from '../keras/model-config.js';
import type { Shape } from '../layers/types.js';
import type { WasmMemory } from '../engine/memory.js';
import type { BatchWorkers } from '../engine/batch-workers.js';
import { runPlan, stepsFor, type PlanStep } from '../engine/run-plan.js';
import type { TensorData, TensorInput } from './tensor.js';
import { formatSummary } from './summary.js';
import { Stream } from './stream.js';
import { checkBatchSteps, DEFAULT_LIMITS, type ResolvedLimits } from './limits.js';
import { validateInput } from './validate-input.js';

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
  /** Options ignored at inference, and other import notes. */
  notes: string[];
  /** How the input is re-laid out before the layer (informational), or null. */
  inputPreprocessor: string | null;
  /** Importer details (units, activations, flags). */
  details: Record<string, unknown>;
}

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
  readonly inputs: { name: string; shape: Shape }[];
  /** The model's outputs. */
  readonly outputs: { name: string; shape: Shape }[];
  /** Every layer with the importer's answers. */
  readonly layers: LayerInfo[];
  /** The file the model came from. */
  readonly fileName: string;
  /** False for an architecture loaded without weights: shapes and counts work, predict does not. */
  readonly hasWeights: boolean;

  private disposed = false;
  private readonly planCache = new Map<string, PlanStep[]>();
  /** Worker threads of loadModel's `threads` option (see engine/batch-workers.ts). */
  private workers: BatchWorkers | null = null;
  private fixedSteps?: number;

  /** @internal */
  constructor(
    private readonly graph: ModelGraph,
    private steps: PlanStep[] | null,
    private memory: WasmMemory | null,
    fileName: string,
    /** Caps of loadModel's `limits` option (maxBatchSteps is checked at every predict). */
    private readonly limits: ResolvedLimits = DEFAULT_LIMITS,
  ) {
    const spec = graph.spec;
    this.name = spec.name;
    this.className = spec.className;
    this.generation = spec.generation;
    this.fileName = fileName;
    this.hasWeights = steps !== null;
    const shapeOf = (ref: TensorRef) => graph.shapes.get(refKey(ref)) as Shape;
    this.inputs = spec.inputs.map((r) => ({ name: r.layer, shape: shapeOf(r) }));
    this.outputs = spec.outputs.map((r) => ({ name: r.layer, shape: shapeOf(r) }));
    this.layers = graph.layers.map(({ spec: l, imported: i }) => ({
      name: l.name,
      className: i.className,
      outputShapes: i.outputShapes,
      outputShape: i.outputShapes[0],
      numParams: i.numParams,
      notes: i.notes,
      inputPreprocessor: i.inputPreprocessor,
      details: i.details,
    }));
  }

  /** @internal The worker threads of loadModel's `threads` option, or null (read-only). */
  get batchWorkers(): BatchWorkers | null {
    return this.workers;
  }

  /** @internal Hands the model its worker threads (loadModel's `threads` option). */
  useBatchWorkers(workers: BatchWorkers): void {
    this.workers = workers;
  }

  /** Total parameter count (Keras' "Total params"). */
  get numParams(): number {
    return this.layers.reduce((n, l) => n + l.numParams, 0);
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
   * for several) and returns one tensor per output (an array when there are several).
   */
  predict(x: TensorInput | TensorInput[] | Record<string, TensorInput>, options: PredictOptions = {}): TensorData | TensorData[] {
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
    const list = this.orderInputs(x);
    // Validated before anything else (threads included) touches the data.
    let batch = -1;
    const dims = list.map((t, i) => {
      const { name, shape } = this.inputs[i];
      const d = validateInput(t, shape, name, this.fileName);
      if (batch >= 0 && d[0] !== batch) {
        throw new InputError(`all inputs need the same batch size (${batch} vs ${d[0]})`, { file: this.fileName, field: name, value: d });
      }
      batch = d[0];
      return d;
    });
    const longest = Math.max(this.longestFixedSteps(), ...dims.map((d) => (d.length >= 2 ? d[1] : 1)));
    checkBatchSteps(batch, longest, this.limits.maxBatchSteps, { file: this.fileName, field: 'inputs' });
    const split = this.workers?.run(list, options.outputs, (rows) => {
      const y = this.predict(rows, options);
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

  /** The longest fixed time axis inside the model (e.g. RepeatVector's n), for maxBatchSteps. */
  private longestFixedSteps(): number {
    if (this.fixedSteps === undefined) {
      let steps = 1;
      for (const s of this.graph.shapes.values()) if (s.length >= 3 && typeof s[1] === 'number') steps = Math.max(steps, s[1]);
      this.fixedSteps = steps;
    }
    return this.fixedSteps;
  }

  private orderInputs(x: TensorInput | TensorInput[] | Record<string, TensorInput>): TensorInput[] {
    const n = this.inputs.length;
    if (Array.isArray(x)) {
      if (x.length !== n) throw new InputError(`the model has ${n} inputs, got ${x.length}`, { file: this.fileName, field: 'inputs', value: x.length });
      return x;
    }
    if (x && typeof x === 'object' && 'data' in x && 'shape' in x) {
      if (n !== 1) throw new InputError(`the model has ${n} inputs (${this.inputs.map((i) => i.name).join(', ')}): pass an array or an object keyed by input name`, { file: this.fileName, field: 'inputs' });
      return [x as TensorInput];
    }
    if (x && typeof x === 'object') {
      const rec = x as Record<string, TensorInput>;
      return this.inputs.map((i) => {
        const t = Object.hasOwn(rec, i.name) ? rec[i.name] : undefined;
        if (!t) throw new InputError(`missing input "${i.name}"`, { file: this.fileName, field: i.name });
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

  /** Frees the model's wasm memory. The model cannot be used afterwards. */
  dispose(): void {
    this.workers?.dispose();
    this.workers = null;
    this.disposed = true;
    this.memory = null;
    this.steps = null;
    this.planCache.clear();
  }
}
