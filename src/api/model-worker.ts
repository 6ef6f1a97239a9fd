// The model worker of `loadModel(src, { worker: true })` (worker-model.ts is the calling side).
// Runs as a module Web Worker in browsers (dist/browser/kerasrnn-worker.js) and as a
// worker_threads Worker in Node.js. It loads the model with the caller's options, then answers
// one request at a time, in order: predict, and the calls of streams it keeps by id. Outputs are
// fresh arrays (predict copies them out of wasm memory), so their buffers are transferred back
// rather than copied; errors travel as data (worker-messages.ts) and are rebuilt as the same class.
import { sourceFromClone } from '../engine/batch-workers.js';
import type { TensorData, TensorInput } from '../types/tensor.js';
import { loadModel, type LoadOptions, type ModelSource } from './load-model.js';
import type { Model, ModelInput } from './model.js';
import type { Stream, StreamState } from './stream.js';
import { buffersOf, errorToData, type WorkerReply, type WorkerRequest } from './worker-messages.js';
import type { WorkerModelInfo } from './worker-model.js';

interface Port {
  post(reply: WorkerReply, transfer: ArrayBuffer[]): void;
  listen(handler: (request: WorkerRequest) => void): void;
}

/**
 * The worker's side of the channel. In a browser it is set up synchronously: a module worker
 * delivers messages that arrive before `onmessage` exists only if it is set during evaluation.
 * (A Node.js port queues them until a listener is added.)
 */
function port(): Port | Promise<Port> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    return import('node:worker_threads').then(({ parentPort }) => {
      if (!parentPort) throw new Error('kerasrnn model-worker: not started as a worker thread');
      return { post: (r, t) => parentPort.postMessage(r, t), listen: (h) => parentPort.on('message', h) } as Port;
    });
  }
  const scope = globalThis as unknown as { postMessage(m: unknown, t: Transferable[]): void; onmessage: ((ev: MessageEvent) => void) | null };
  return { post: (r, t) => scope.postMessage(r, t), listen: (h) => (scope.onmessage = (ev) => h(ev.data as WorkerRequest)) };
}

let model: Model | null = null;
const streams = new Map<number, Stream>();
let nextStream = 1;

function info(m: Model): WorkerModelInfo {
  // Plain data only: layers carry accessors (trainable) that a structured clone reads as values.
  return {
    name: m.name,
    className: m.className,
    generation: m.generation,
    inputs: m.inputs,
    outputs: m.outputs,
    layers: m.layers.map((l) => ({ ...l })),
    fileName: m.fileName,
    hasWeights: m.hasWeights,
    format: m.format,
    formatDetails: m.formatDetails,
    numParams: m.numParams,
    nonTrainableParams: m.nonTrainableParams,
    memoryBytes: m.memoryBytes,
    info: { ...m.info },
    summaryText: m.summary(),
  };
}

function streamOf(id: number): Stream {
  const s = streams.get(id);
  if (!s) throw new Error(`kerasrnn model-worker: no stream ${id}`);
  return s;
}

/** What one request resolves to; thrown errors become the reply's error. */
async function handle(req: WorkerRequest): Promise<unknown> {
  if (req.op === 'load') {
    model = await loadModel(sourceFromClone(req.source as never) as ModelSource, req.options as LoadOptions & { worker?: false });
    return info(model);
  }
  if (!model) throw new Error('kerasrnn model-worker: no model loaded');
  switch (req.op) {
    case 'predict':
      return model.predict(req.input as ModelInput, req.outputs !== undefined ? { outputs: req.outputs } : {});
    case 'stream': {
      const id = nextStream++;
      streams.set(id, model.stream());
      return id;
    }
    case 'step':
      return streamOf(req.stream).step(req.input as TensorInput);
    case 'reset':
      streamOf(req.stream).reset();
      return undefined;
    case 'getState':
      return streamOf(req.stream).getState();
    case 'setState':
      streamOf(req.stream).setState(req.state as StreamState);
      return undefined;
    case 'close':
      // reset() frees the stream's state buffers in the model's wasm memory.
      streamOf(req.stream).reset();
      streams.delete(req.stream);
      return undefined;
  }
}

// Requests run one after another: a load must finish before the first predict reads `model`.
let queue: Promise<void> = Promise.resolve();
function serve(out: Port): void {
  out.listen((req) => {
    queue = queue.then(async () => {
      let reply: WorkerReply;
      let transfer: ArrayBuffer[] = [];
      try {
        const result = await handle(req);
        reply = { id: req.id, result };
        if (req.op !== 'load') transfer = buffersOf([result as TensorData | TensorData[] | undefined]);
      } catch (e) {
        reply = { id: req.id, error: errorToData(e) };
      }
      out.post(reply, transfer);
    });
  });
}

const p = port();
if (p instanceof Promise) serve(await p);
else serve(p);
