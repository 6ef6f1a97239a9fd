/**
 * `loadModel(src, { worker: true })`: the model lives in a worker (a Web Worker in browsers,
 * worker_threads in Node.js) so that a page's main thread never blocks on a predict. The
 * {@link WorkerModel} on the calling thread holds what the model tells about itself (inputs,
 * outputs, layers, summary) and sends every predict and stream step to the worker, which runs the
 * same kernels as a main-thread `Model` (results are identical, bit for bit). Input buffers are
 * copied once by structured clone, or handed over with `{ transfer: true }`; output buffers are
 * always handed back without a copy. The worker's entry is `model-worker.ts`.
 * @packageDocumentation
 */
import { InputError, KerasRnnError } from '../errors.js';
import { cloneableSource } from '../engine/batch-workers.js';
import type { TensorData, TensorInput } from '../types/tensor.js';
import type { Model, ModelInput, PredictOptions } from './model.js';
import type { StreamState } from './stream.js';
import { buffersOf, errorFromData, type WorkerCall, type WorkerReply, type WorkerRequest } from './worker-messages.js';

/** Options of {@link WorkerModel.predictAsync} and {@link WorkerStream.step}. */
export interface AsyncPredictOptions extends PredictOptions {
  /**
   * Hand the input arrays' buffers to the worker instead of copying them (faster for big inputs).
   * The caller's typed arrays are detached afterwards (length 0): do not reuse them.
   */
  transfer?: boolean;
}

/**
 * What the worker reports about the model it loaded: the descriptive fields of `Model` (documented
 * there), copied once at load, and the summary text.
 */
export type WorkerModelInfo = Pick<
  Model,
  'name' | 'className' | 'generation' | 'inputs' | 'outputs' | 'layers' | 'fileName' | 'hasWeights' | 'format' | 'formatDetails' | 'numParams' | 'nonTrainableParams' | 'memoryBytes' | 'info'
> & { summaryText: string };

/** The calls the worker transport offers, the same for a Web Worker and a Node.js Worker. */
interface Channel {
  post(message: WorkerRequest, transfer: ArrayBuffer[]): void;
  /** Keeps Node.js running while requests are pending (no-op in browsers). */
  hold(pending: boolean): void;
  terminate(): Promise<void>;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/**
 * A model running in a worker. Create with `loadModel(src, { worker: true })`. Its descriptive
 * fields (`name`, `inputs`, `outputs`, `layers`, `numParams`, ...) are those of a `Model`, copied
 * once at load (`layers` is a copy: setting `trainable` here changes nothing in the worker);
 * `predictAsync` and `streamAsync` run in the worker.
 */
// The class gets the fields of WorkerModelInfo by declaration merging (assigned in the constructor).
export interface WorkerModel extends Readonly<Omit<WorkerModelInfo, 'summaryText'>> {}
export class WorkerModel {
  private readonly summaryText: string;
  private disposed = false;

  /** @internal */
  constructor(
    info: WorkerModelInfo,
    private readonly call: (request: WorkerCall, transfer?: ArrayBuffer[]) => Promise<unknown>,
    private readonly stop: (reason: Error) => Promise<void>,
  ) {
    const { summaryText, ...fields } = info;
    Object.assign(this, fields);
    this.summaryText = summaryText;
  }

  /** The Keras-style summary (the same text as `Model.summary()`), computed in the worker at load. */
  summary(): string {
    return this.summaryText;
  }

  /** @internal Rejects calls after dispose with the error a disposed Model throws. */
  send(request: WorkerCall, transfer?: ArrayBuffer[]): Promise<unknown> {
    if (this.disposed) return Promise.reject(new InputError('the model was disposed', { file: this.fileName }));
    return this.call(request, transfer);
  }

  /**
   * `Model.predict` in the worker: takes the same inputs and options and resolves to the same
   * outputs (bit-identical), or rejects with the same error class, message and `context`.
   */
  predictAsync(x: ModelInput, options: AsyncPredictOptions & { outputs: string[] }): Promise<TensorData[]>;
  predictAsync(x: ModelInput, options?: AsyncPredictOptions): Promise<TensorData | TensorData[]>;
  predictAsync(x: ModelInput, options: AsyncPredictOptions = {}): Promise<TensorData | TensorData[]> {
    const transfer = options.transfer === true ? buffersOf([x]) : [];
    return this.send({ op: 'predict', input: x, ...(options.outputs !== undefined ? { outputs: options.outputs } : {}) }, transfer) as Promise<TensorData | TensorData[]>;
  }

  /**
   * A stream (see `Model.stream()`) whose state lives in the worker. Rejects like `stream()` for
   * models that cannot be streamed.
   */
  async streamAsync(): Promise<WorkerStream> {
    const id = (await this.send({ op: 'stream' })) as number;
    return new WorkerStream(this, id);
  }

  /** Stops the worker (pending calls reject); the model cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.stop(new InputError('the model was disposed', { file: this.fileName }));
  }
}

/** A `Stream` running in the model's worker; every method is the async form of Stream's. */
export class WorkerStream {
  private closed = false;

  /** @internal */
  constructor(
    private readonly model: WorkerModel,
    private readonly id: number,
  ) {}

  private send(request: WorkerCall, transfer?: ArrayBuffer[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new InputError('the stream was closed', { file: this.model.fileName, field: 'step' }));
    return this.model.send(request, transfer);
  }

  /** Feeds time steps `{ data, shape: [batch, steps, features] }`; resolves to their outputs. */
  step(x: TensorInput, options: { transfer?: boolean } = {}): Promise<TensorData | TensorData[]> {
    return this.send({ op: 'step', stream: this.id, input: x } as WorkerCall, options.transfer === true ? buffersOf([x]) : []) as Promise<TensorData | TensorData[]>;
  }

  /** Forgets all state. */
  async reset(): Promise<void> {
    await this.send({ op: 'reset', stream: this.id });
  }

  /** Each recurrent layer's states (see `Stream.getState`). */
  getState(): Promise<StreamState> {
    return this.send({ op: 'getState', stream: this.id }) as Promise<StreamState>;
  }

  /** Sets states from `getState()`-shaped tensors (see `Stream.setState`). */
  async setState(state: StreamState): Promise<void> {
    await this.send({ op: 'setState', stream: this.id, state });
  }

  /** Frees the stream's state in the worker; the stream cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.send({ op: 'close', stream: this.id });
    this.closed = true;
  }
}

/** Where the worker's script is: beside this module (the browser build renames it, see scripts/build-browser.mjs). */
function defaultWorkerUrl(): URL {
  return new URL('./model-worker.js', import.meta.url);
}

async function openChannel(url: URL, onReply: (r: WorkerReply) => void, onFailure: (e: Error) => void): Promise<Channel> {
  if (isNode()) {
    const { Worker } = await import('node:worker_threads');
    // The browser build imported in Node.js has no worker_threads (its node: imports are stubs).
    if (typeof Worker !== 'function') throw new KerasRnnError('worker: this build has no worker_threads; in Node.js import kerasrnn, not kerasrnn/browser');
    // Workers inherit the process's flags; --input-type (for `node -e` code) is refused in a worker.
    const worker = new Worker(url, { execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) });
    worker.on('message', (m: WorkerReply) => onReply(m));
    worker.on('error', (e: Error) => onFailure(new KerasRnnError(`worker: the model worker failed (${e?.message ?? e})`)));
    worker.on('exit', (code: number) => onFailure(new KerasRnnError(`worker: the model worker stopped (exit code ${code})`)));
    worker.unref();
    return {
      post: (m, transfer) => worker.postMessage(m, transfer),
      hold: (pending) => (pending ? worker.ref() : worker.unref()),
      terminate: async () => void (await worker.terminate()),
    };
  }
  const W = (globalThis as { Worker?: new (u: URL, o: { type: 'module' }) => Worker }).Worker;
  if (!W) throw new KerasRnnError('worker: this runtime has no Worker (Web Workers or Node.js worker_threads)');
  const worker = new W(url, { type: 'module' });
  worker.onmessage = (ev: MessageEvent) => onReply(ev.data as WorkerReply);
  worker.onerror = (ev: ErrorEvent) => {
    ev.preventDefault?.();
    onFailure(new KerasRnnError(`worker: the model worker failed (${ev.message || `could not start ${url.href}`})`));
  };
  worker.onmessageerror = () => onFailure(new KerasRnnError('worker: a reply from the model worker could not be read'));
  return {
    post: (m, transfer) => worker.postMessage(m, transfer),
    hold: () => {},
    terminate: async () => worker.terminate(),
  };
}

/**
 * Starts a worker, loads the model there with `options` (less `worker` / `workerUrl`) and
 * resolves to its {@link WorkerModel}. Load errors reject with the worker's error class.
 */
export async function startWorkerModel(source: unknown, options: { fileName?: string; customLayers?: object; workerUrl?: string | URL; [k: string]: unknown }): Promise<WorkerModel> {
  const { worker: _w, workerUrl, ...loadOptions } = options;
  if (options.customLayers && Object.keys(options.customLayers).length > 0) {
    throw new InputError('worker: models with customLayers cannot run in a worker (their JavaScript cannot be sent to it); load them without worker: true', { file: options.fileName, field: 'customLayers' });
  }
  // A relative string in a page is relative to the document, not to the worker's script.
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let src = source;
  if (!isNode() && typeof src === 'string' && base && !/^\s*[{[]/.test(src)) src = new URL(src, base);
  const shipped = await cloneableSource(src, 'worker');
  let url: URL;
  try {
    url = workerUrl !== undefined ? new URL(String(workerUrl), base) : defaultWorkerUrl();
  } catch {
    throw new InputError('workerUrl is not a URL', { file: options.fileName, field: 'workerUrl', value: workerUrl });
  }

  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let failure: Error | null = null;
  let nextId = 1;
  let channel: Channel | null = null;
  const fail = (e: Error) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
    channel?.hold(false);
  };
  channel = await openChannel(
    url,
    (reply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) channel?.hold(false);
      if (reply.error) p.reject(errorFromData(reply.error));
      else p.resolve(reply.result);
    },
    fail,
  );
  const ch = channel;
  const call = (request: WorkerCall, transfer: ArrayBuffer[] = []) =>
    new Promise<unknown>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ch.hold(true);
      try {
        ch.post({ ...request, id } as WorkerRequest, transfer);
      } catch (e) {
        pending.delete(id);
        if (pending.size === 0) ch.hold(false);
        reject(new InputError(`worker: the input cannot be sent to the worker (${(e as Error)?.message ?? e})`, { file: options.fileName, field: 'inputs' }));
      }
    });
  const stop = async (reason: Error) => {
    fail(reason);
    await ch.terminate();
  };
  try {
    const info = (await call({ op: 'load', source: shipped, options: loadOptions }, buffersOf([shipped]))) as WorkerModelInfo;
    return new WorkerModel(info, call, stop);
  } catch (e) {
    await ch.terminate().catch(() => {});
    throw e;
  }
}
