/**
 * A model worker thread: loads every served model once (its own wasm instances) and runs the
 * calls the server thread sends, one at a time.
 * @packageDocumentation
 */
import { parentPort } from 'node:worker_threads';
import { loadModel, type Model, type ModelInput, type Stream, type TensorData, type TensorInput } from '../index.js';
import type { FromWorker, Job, ModelInfo, ToWorker } from './worker-messages.js';

const port = parentPort;
if (!port) throw new Error('model-worker.js runs as a worker thread');

const models = new Map<string, Model>();
const streams = new Map<string, Stream>();

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(msg, transfer);
}

function errorOf(e: unknown): { name: string; message: string } {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

function run(job: Job): { outputs: TensorData[]; rowStates?: Float32Array[] } {
  const model = models.get(job.model);
  if (!model) throw new Error(`internal: no model ${job.model} in this worker`);
  if (job.kind === 'predict') {
    const y = model.predict(job.inputs as ModelInput);
    return { outputs: Array.isArray(y) ? y : [y] };
  }
  const stream = streams.get(job.model);
  if (!stream) throw new Error(`internal: model ${job.model} has no stream`);
  stream.setRowStates(job.rowStates ?? []);
  // Texts reach a stream only to be refused by it with a typed error.
  const y = stream.step(job.inputs[0] as TensorInput);
  return { outputs: Array.isArray(y) ? y : [y], rowStates: stream.getRowStates() };
}

port.on('message', async (msg: ToWorker) => {
  if (msg.type === 'init') {
    try {
      const infos: ModelInfo[] = [];
      for (const entry of msg.models) {
        const model = await loadModel(entry.path, {
          ...(msg.maxBatchSteps ? { limits: { maxBatchSteps: msg.maxBatchSteps } } : {}),
          ...(msg.sequenceThreads ? { sequenceThreads: msg.sequenceThreads } : {}),
        });
        if (!model.hasWeights) throw new Error(`${entry.path} holds no weights (an architecture only): it cannot be served`);
        models.set(entry.name, model);
        let streamError: string | null = null;
        try {
          streams.set(entry.name, model.stream());
        } catch (e) {
          streamError = errorOf(e).message;
        }
        infos.push({ name: entry.name, fileName: model.fileName, inputs: model.inputs, outputs: model.outputs, streamError });
      }
      send({ type: 'ready', models: infos });
    } catch (e) {
      send({ type: 'fatal', error: errorOf(e) });
    }
    return;
  }
  const { job } = msg;
  try {
    const { outputs, rowStates } = run(job);
    const transfer = [...outputs.map((o) => o.data.buffer as ArrayBuffer), ...(rowStates ?? []).map((r) => r.buffer as ArrayBuffer)];
    send({ type: 'done', id: job.id, outputs, rowStates }, transfer);
  } catch (e) {
    send({ type: 'failed', id: job.id, error: errorOf(e) });
  }
});
