// Worker threads for data-parallel training (loadModel's `threads` option, Node.js only).
//
// Each worker (api/train-worker.ts) loads its own copy of the model from the load source, only to
// build the same training plan; the weights it trains with are views on one SharedArrayBuffer the
// calling thread writes before every step, and it writes its slice's gradients into its own
// region of a second SharedArrayBuffer. A step message carries the slice's samples; the reply
// carries the slice's loss share, outputs (transferred) and generator state. The calling thread
// blocks on an Atomics flag as the predict workers do (engine/batch-workers.ts), so a training
// step stays synchronous.
import { InputError, KerasRnnError } from '../errors.js';
import { cloneableSource, receiveBlocking, startWorkerThreads, type CloneableSource, type NodePort, type NodeWorker, type WorkerThreads } from '../engine/batch-workers.js';
import type { BatchLoss, BatchTensor, OutputLoss } from './sequential-trainer.js';
import type { BatchRows } from './layers/layer-module.js';

/** One weight the optimizer updates: layer name and index in the layer's Keras order. */
export interface Variable {
  layer: string;
  index: number;
}

/** What a worker is started with (structured-cloned; the buffers are shared). */
export interface TrainWorkerData {
  source: CloneableSource;
  loadOptions: Record<string, unknown>;
  kernels: string;
  maxWasmBytes: number;
  /** Array lengths by layer, in the order they sit in `weights`. */
  layout: [string, number[]][];
  weights: SharedArrayBuffer;
  variables: readonly Variable[];
  /** Floats of all variables, one region per worker in `grads`. */
  gradFloats: number;
  grads: SharedArrayBuffer;
  losses: OutputLoss[];
  port: unknown;
  flags: Int32Array;
  index: number;
}

/** A step job: one slice of a batch (or of a truncated-BPTT chunk). */
export interface SliceJob {
  /** The slice of every model input, targets of every output, and each output's sample weights. */
  xs: BatchTensor[];
  ys: Float32Array[];
  sampleWeights: (Float32Array | null)[];
  rows: BatchRows;
  seed: number;
  /** Layers whose weights do not train (`trainable: false`), as they are at this step. */
  frozen: string[];
  /** Truncated BPTT: `new` starts a batch's chunks, `continue` carries the state on; `none`: no tbptt. */
  carry: 'none' | 'new' | 'continue';
}

/** A worker's answer to a step (its gradients are in its `grads` region). */
export interface SliceReply {
  loss?: BatchLoss;
  outputs?: BatchTensor[];
  seed?: number;
  error?: { name: string; message: string };
}

/** Where the training threads come from: loadModel's source and options (see api/load-model.ts). */
export interface ThreadsSource {
  threads: number;
  source: unknown;
  loadOptions: Record<string, unknown>;
}

/** The training worker threads of one compiled model; see the file comment. */
export class TrainThreads {
  private broken: string | null = null;

  private constructor(
    private readonly wt: WorkerThreads,
    private readonly workers: NodeWorker[],
    private readonly ports: NodePort[],
    private readonly flags: Int32Array,
    /** The weights the workers read, by layer (the calling thread copies its arrays in). */
    readonly weights: Map<string, Float32Array[]>,
    /** Each worker's gradients, all variables back to back in `variables` order. */
    readonly grads: Float32Array[],
  ) {}

  /** Worker count (the calling thread computes one more slice). */
  get count(): number {
    return this.workers.length;
  }

  /**
   * Starts `from.threads - 1` workers; null outside Node.js (training then runs on the calling
   * thread, as predict does: a browser page's thread may not block on a worker).
   */
  static async start(
    from: ThreadsSource,
    arrays: Map<string, Float32Array[]>,
    setup: { kernels: string; maxWasmBytes: number; variables: readonly Variable[]; losses: OutputLoss[] },
  ): Promise<TrainThreads | null> {
    if (from.threads <= 1 || typeof process === 'undefined' || !process.versions?.node) return null;
    const wt = (await import('node:worker_threads')) as unknown as WorkerThreads;
    const source = await cloneableSource(from.source);
    const layout: [string, number[]][] = [...arrays].map(([name, list]) => [name, list.map((a) => a.length)]);
    const weightFloats = layout.reduce((n, [, lengths]) => n + lengths.reduce((a, b) => a + b, 0), 0);
    const weights = new SharedArrayBuffer(Math.max(4, weightFloats * 4));
    const gradFloats = setup.variables.reduce((n, v) => n + (arrays.get(v.layer) as Float32Array[])[v.index].length, 0);
    const count = from.threads - 1;
    const grads = new SharedArrayBuffer(Math.max(4, gradFloats * 4 * count));
    const flags = new Int32Array(new SharedArrayBuffer(4 * count));
    // the workers only build the plan from the model: one sequence thread each, no predict workers
    const { threads: _t, customLayers: _c, ...rest } = from.loadOptions;
    const loadOptions = { ...rest, sequenceThreads: 1 };
    const url = new URL('../api/train-worker.js', import.meta.url);
    const { workers, ports } = await startWorkerThreads(wt, url, count, (index) => ({ source, loadOptions, ...setup, layout, weights, gradFloats, grads, flags, index }), 'training worker');
    const views = new Map<string, Float32Array[]>();
    let at = 0;
    for (const [name, lengths] of layout) {
      views.set(name, lengths.map((n) => {
        const v = new Float32Array(weights, at * 4, n);
        at += n;
        return v;
      }));
    }
    const gradViews = Array.from({ length: count }, (_, w) => new Float32Array(grads, w * gradFloats * 4, gradFloats));
    return new TrainThreads(wt, workers, ports, flags, views, gradViews);
  }

  /** Sends worker w a slice (its arrays are transferred). */
  post(w: number, job: SliceJob): void {
    if (this.broken) throw new KerasRnnError(`threads: ${this.broken}`);
    Atomics.store(this.flags, w, 0);
    const transfer = [...job.xs.map((x) => x.data.buffer), ...job.ys.map((y) => y.buffer), ...job.sampleWeights.flatMap((w) => (w ? [w.buffer] : []))];
    this.ports[w].postMessage(job, transfer);
  }

  /** Waits for worker w's reply to its slice (bounded: a dead worker must not hang training). */
  collect(w: number, waitedMs: number): Required<Omit<SliceReply, 'error'>> {
    const reply = receiveBlocking(this.wt, this.ports[w], this.flags, w, performance.now() + Math.max(60000, 20 * waitedMs)) as SliceReply | undefined;
    if (!reply) {
      this.broken = 'a training worker thread stopped answering';
      throw new KerasRnnError('threads: a training worker thread did not answer');
    }
    // the worker's check of its slice (targets, sample weights) is the caller's input error
    if (reply.error) throw reply.error.name === 'InputError' ? new InputError(reply.error.message) : new KerasRnnError(`threads: a training worker failed: ${reply.error.message}`);
    return reply as Required<Omit<SliceReply, 'error'>>;
  }

  /** Stops the workers. */
  dispose(): void {
    for (const p of this.ports) p.close();
    for (const w of this.workers) void w.terminate();
  }
}
