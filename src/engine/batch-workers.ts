// Multi-core predict: a batch split across worker threads (the `threads` option of loadModel).
//
// Each worker (Node.js worker_threads) loads its own copy of the model from the same source at
// load time, so weights are packed once per thread and a predict only ships input rows and output
// rows. A predict whose batch is big enough is cut into `threads` contiguous row ranges; the
// calling thread runs the first range itself while the workers run the others, then it blocks
// (Atomics.wait on a SharedArrayBuffer flag, allowed in Node's main thread) until each worker has
// posted its rows, and takes them with receiveMessageOnPort. `predict` therefore stays
// synchronous and returns exactly what a single-thread predict returns: every row is computed by
// the same kernels, rows never interact, so the results are bit-identical.
//
// Small inputs stay on the calling thread: a round trip to a worker costs tens of microseconds,
// more than a batch-1 LSTM 128 step sequence saves by being split.
import { InputError, KerasRnnError } from '../errors.js';
import type { TensorData, TensorInput } from '../types/tensor.js';

/** Estimated flops below which a predict is not split (about 0.5 ms of single-thread work). */
export const MIN_SPLIT_FLOPS = 2e7;

/** What a worker needs to rebuild the model: the load source in a structured-cloneable form. */
export type CloneableSource = string | Uint8Array | { url: string } | { config: unknown; weights?: unknown };

interface WorkerReply {
  outputs?: TensorData[];
  single?: boolean;
  error?: { name: string; message: string };
}

/** The parts of node:worker_threads the worker pools use (typed here: the browser build has no node types). */
export interface NodeWorker {
  postMessage(v: unknown, transfer?: unknown[]): void;
  once(ev: string, fn: (v: unknown) => void): void;
  on(ev: string, fn: (v: unknown) => void): void;
  off(ev: string, fn: (v: unknown) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
export interface NodePort {
  postMessage(v: unknown, transfer?: unknown[]): void;
  unref(): void;
  close(): void;
}
export interface WorkerThreads {
  Worker: new (url: URL, opts: unknown) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: NodePort };
  receiveMessageOnPort(port: NodePort): { message: unknown } | undefined;
}

/**
 * Starts `count` workers running `url`, each with a private port (`port` in its workerData, next
 * to `dataOf(index)`); resolves once every one has posted its first message (`{}`, or `{ error }`
 * when it could not load the model). `what` names the workers in errors.
 */
export async function startWorkerThreads(
  wt: WorkerThreads, url: URL, count: number, dataOf: (index: number) => Record<string, unknown>, what: string,
): Promise<{ workers: NodeWorker[]; ports: NodePort[] }> {
  const workers: NodeWorker[] = [];
  const ports: NodePort[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, (_, index) => {
        const { port1, port2 } = new wt.MessageChannel();
        const worker = new wt.Worker(url, { workerData: { ...dataOf(index), port: port2 }, transferList: [port2] });
        workers.push(worker);
        ports.push(port1);
        return new Promise<void>((resolve, reject) => {
          const onError = (e: unknown) => reject(e);
          worker.once('error', onError);
          worker.once('message', (m) => {
            worker.off('error', onError);
            const reply = m as WorkerReply;
            if (reply.error) reject(new KerasRnnError(`threads: a ${what} could not load the model: ${reply.error.message}`));
            else resolve();
          });
        });
      }),
    );
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e instanceof KerasRnnError ? e : new KerasRnnError(`threads: could not start ${what} threads (${String((e as Error)?.message ?? e)})`);
  }
  for (const w of workers) w.unref();
  for (const p of ports) p.unref();
  return { workers, ports };
}

/**
 * Blocks until worker w's reply is on `port` (the worker raises `flags[w]` after posting it) and
 * returns it, or undefined once `deadline` (performance.now() time) has passed.
 */
export function receiveBlocking(wt: WorkerThreads, port: NodePort, flags: Int32Array, w: number, deadline: number): unknown {
  for (;;) {
    const got = wt.receiveMessageOnPort(port);
    if (got) return got.message;
    const left = deadline - performance.now();
    if (left <= 0) return undefined;
    Atomics.wait(flags, w, 0, Math.min(left, 50));
  }
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/**
 * The load source in a structured-cloneable form (bytes are copied, so the copy may be
 * transferred); `field` names the option that needs it in the error for sources that cannot be
 * sent (e.g. a map of weight files given as objects).
 */
export async function cloneableSource(source: unknown, field = 'threads'): Promise<CloneableSource> {
  const cloneable = (s: unknown) => cloneableSource(s, field);
  if (typeof source === 'string') return source;
  if (source instanceof URL) return { url: source.href };
  if (source instanceof Uint8Array) return source.slice();
  if (source instanceof ArrayBuffer) return new Uint8Array(source.slice(0));
  if (source && typeof source === 'object' && typeof (source as Blob).arrayBuffer === 'function' && !('config' in source)) {
    return new Uint8Array(await (source as Blob).arrayBuffer());
  }
  if (source && typeof source === 'object' && 'config' in source) {
    const pair = source as { config: unknown; weights?: unknown };
    const part = async (v: unknown): Promise<unknown> => (v === undefined || v === null || (typeof v === 'object' && !(v instanceof URL) && !(v instanceof Uint8Array) && !(v instanceof ArrayBuffer) && typeof (v as Blob).arrayBuffer !== 'function') ? v : cloneable(v));
    return { config: await part(pair.config), weights: await part(pair.weights) };
  }
  throw new InputError(`${field}: this model source cannot be sent to a worker thread`, { field, value: typeof source });
}

/** The inverse of {@link cloneableSource} on the worker's side: `{ url }` records become URLs again. */
export function sourceFromClone(s: CloneableSource): unknown {
  const url = (v: unknown) => (v && typeof v === 'object' && 'url' in v && typeof (v as { url: unknown }).url === 'string' ? new URL((v as { url: string }).url) : v);
  if (typeof s === 'object' && s !== null && 'config' in s) return { config: url(s.config), weights: url(s.weights) };
  return url(s);
}

/** The contiguous row ranges of a batch of B rows over n threads (first ranges one row longer). */
export function splitRows(B: number, n: number): [number, number][] {
  const parts: [number, number][] = [];
  const base = Math.floor(B / n);
  let extra = B % n;
  let start = 0;
  for (let i = 0; i < n && start < B; i++) {
    const len = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    if (len > 0) parts.push([start, start + len]);
    start += len;
  }
  return parts;
}

function sliceRows(t: TensorInput, r0: number, r1: number): TensorInput {
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = Array.isArray(t.data) ? Float32Array.from(t.data.slice(r0 * row, r1 * row)) : t.data.subarray(r0 * row, r1 * row);
  return { data, shape: [r1 - r0, ...t.shape.slice(1)] };
}

function concatRows(parts: TensorData[]): TensorData {
  const total = parts.reduce((n, p) => n + p.data.length, 0);
  const data = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p.data, o);
    o += p.data.length;
  }
  return { data, shape: [parts.reduce((n, p) => n + p.shape[0], 0), ...parts[0].shape.slice(1)] };
}

/** Worker threads that each hold a copy of one model; see the file comment. */
export class BatchWorkers {
  private busy = false;
  private broken: string | null = null;
  /** Row ranges the last predict was cut into (1 = it ran on the calling thread only). */
  lastSplit = 1;

  private constructor(
    private readonly wt: WorkerThreads,
    private readonly workers: NodeWorker[],
    private readonly ports: NodePort[],
    private readonly flags: Int32Array,
    private readonly flopsPerRow: (input: TensorInput[]) => number,
  ) {}

  /** Number of threads a predict can use (the caller's plus the workers). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `threads - 1` workers, each loading the model from `source`. Outside Node.js (where a
   * blocking wait on the main thread is not allowed) returns null: predict stays single-thread.
   */
  static async start(
    source: unknown, loadOptions: Record<string, unknown>, threads: number, flopsPerRow: (input: TensorInput[]) => number,
  ): Promise<BatchWorkers | null> {
    if (!isNode() || threads <= 1) return null;
    const wt = (await import('node:worker_threads')) as unknown as WorkerThreads;
    const shared = await cloneableSource(source);
    const flags = new Int32Array(new SharedArrayBuffer(4 * (threads - 1)));
    const url = new URL('../api/batch-worker.js', import.meta.url);
    const { workers, ports } = await startWorkerThreads(wt, url, threads - 1, (index) => ({ source: shared, loadOptions, flags, index }), 'worker');
    return new BatchWorkers(wt, workers, ports, flags, flopsPerRow);
  }

  /**
   * Runs `local` on this thread for the first rows and the workers on the rest, if the batch is
   * large enough; otherwise returns undefined and the caller predicts as usual.
   */
  run(inputs: TensorInput[], outputs: string[] | undefined, local: (inputs: TensorInput[]) => TensorData[]): TensorData[] | undefined {
    this.lastSplit = 1;
    if (this.busy || this.broken) return undefined;
    const B = inputs[0]?.shape?.[0];
    if (!Number.isInteger(B) || B < 2) return undefined;
    for (const t of inputs) {
      const n = Array.isArray(t?.shape) ? t.shape.reduce((a, b) => a * b, 1) : -1;
      if (!t?.data || t.data.length !== n || t.shape[0] !== B) return undefined; // predict reports it
    }
    const flops = this.flopsPerRow(inputs) * B;
    const n = Math.min(this.threads, B, Math.max(1, Math.floor(flops / MIN_SPLIT_FLOPS)));
    if (n < 2) return undefined;
    const ranges = splitRows(B, n);
    this.busy = true;
    try {
      const sent: number[] = [];
      for (let w = 1; w < ranges.length; w++) {
        const part = inputs.map((t) => sliceRows(t, ranges[w][0], ranges[w][1]));
        // Copy the rows: the caller's array must not be detached by a transfer.
        const msg = part.map((t) => ({ data: Float32Array.from(t.data as ArrayLike<number>), shape: t.shape }));
        Atomics.store(this.flags, w - 1, 0);
        this.ports[w - 1].postMessage({ inputs: msg, outputs }, msg.map((t) => t.data.buffer));
        sent.push(w - 1);
      }
      const t0 = performance.now();
      let mine: TensorData[] | undefined;
      let localError: unknown;
      try {
        mine = local(inputs.map((t) => sliceRows(t, ranges[0][0], ranges[0][1])));
      } catch (e) {
        localError = e;
      }
      const localMs = performance.now() - t0;
      if (localError) {
        // Drain the workers' answers, then let the caller's unsplit predict report the error
        // (its message then shows the caller's shapes, not those of a row range).
        for (const w of sent) {
          try {
            this.collect(w, localMs);
          } catch {
            // the same input error, or a worker problem already recorded in `broken`
          }
        }
        if (localError instanceof InputError) return undefined;
        throw localError;
      }
      const replies = sent.map((w) => this.collect(w, localMs));
      this.lastSplit = ranges.length;
      const parts = [mine as TensorData[], ...replies];
      return parts[0].map((_, i) => concatRows(parts.map((p) => p[i])));
    } finally {
      this.busy = false;
    }
  }

  /**
   * Hands every worker new weights (after `setWeights` or a training update) and waits until each
   * has repacked them, so that the next predict splits with the same weights on every thread.
   */
  updateWeights(weights: Record<string, Float32Array[]>): void {
    if (this.broken) throw new KerasRnnError(`threads: ${this.broken}`);
    this.busy = true;
    try {
      this.ports.forEach((port, w) => {
        Atomics.store(this.flags, w, 0);
        port.postMessage({ weights });
      });
      for (let w = 0; w < this.ports.length; w++) this.collect(w, 0);
    } finally {
      this.busy = false;
    }
  }

  /** Waits for worker w's reply (bounded: a dead worker must not hang predict). */
  private collect(w: number, localMs: number): TensorData[] {
    const reply = receiveBlocking(this.wt, this.ports[w], this.flags, w, performance.now() + Math.max(10000, 20 * localMs)) as WorkerReply | undefined;
    if (!reply) {
      this.broken = 'a worker thread stopped answering';
      throw new KerasRnnError('threads: a worker thread did not answer; later predicts run on one thread');
    }
    if (reply.error) {
      const E = reply.error.name === 'InputError' ? InputError : KerasRnnError;
      throw new E(reply.error.message);
    }
    return reply.outputs as TensorData[];
  }

  /** Stops the workers. */
  dispose(): void {
    for (const p of this.ports) p.close();
    for (const w of this.workers) void w.terminate();
  }
}

/** The part of Model that the threads option needs. */
interface ThreadedModel {
  readonly numParams: number;
  useBatchWorkers(workers: BatchWorkers): void;
}

/**
 * Applies loadModel's `threads` option: validates it and starts the workers. Models with
 * `customLayers` stay single-thread (JavaScript layer code cannot be sent to a worker).
 */
export async function attachBatchWorkers(
  model: ThreadedModel, source: unknown, options: { fileName?: string; threads?: number; customLayers?: object; [k: string]: unknown },
): Promise<void> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new InputError('threads must be an integer from 1 to 64', { file: options.fileName, field: 'threads', value: threads });
  }
  if (threads === 1 || (options.customLayers && Object.keys(options.customLayers).length > 0)) return;
  // Work per batch row: each weight is used in one multiply-add per time step (recurrent and
  // time-distributed layers), the others once; counting every weight per step is the upper bound.
  const flopsPerRow = (inputs: TensorInput[]) => {
    const shape = inputs[0].shape;
    const steps = shape.length >= 3 ? shape[1] : 1;
    return 2 * model.numParams * steps;
  };
  // The workers load with the same options (limits, names...), minus the ones that hold code or
  // would recurse; everything left is plain data that structured clone copies.
  // Each batch worker runs its rows' sequences on its own thread: batch threads and sequence
  // threads would otherwise compete for the same cores.
  const { threads: _t, customLayers: _c, ...rest } = options;
  const loadOptions = { ...rest, sequenceThreads: 1 };
  const workers = await BatchWorkers.start(source, loadOptions, threads, flopsPerRow);
  if (workers) model.useBatchWorkers(workers);
}
