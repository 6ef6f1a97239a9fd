// Worker thread of BatchWorkers (batch-workers.ts): loads its own copy of the model, then answers
// predict jobs (a range of batch rows) on its private port. After posting each reply it raises its
// flag in the shared Int32Array, which is what the blocked calling thread waits on.
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { loadModel, type LoadOptions, type ModelSource } from './load-model.js';
import type { TensorData, TensorInput } from '../types/tensor.js';
import { sourceFromClone, type CloneableSource } from '../engine/batch-workers.js';

interface Data {
  source: CloneableSource;
  loadOptions: LoadOptions;
  port: MessagePort;
  flags: Int32Array;
  index: number;
}


const data = workerData as Data;
const errorOf = (e: unknown) => ({ name: (e as Error)?.name ?? 'Error', message: String((e as Error)?.message ?? e) });

try {
  const model = await loadModel(sourceFromClone(data.source) as ModelSource, data.loadOptions as LoadOptions & { worker?: false });
  const answer = (reply: { outputs?: TensorData[]; error?: { name: string; message: string } }, transfer: ArrayBuffer[] = []) => {
    data.port.postMessage(reply, transfer);
    Atomics.store(data.flags, data.index, 1);
    Atomics.notify(data.flags, data.index);
  };
  data.port.on('message', (job: { inputs: TensorInput[]; outputs?: string[] } | { weights: Record<string, Float32Array[]> }) => {
    if ('weights' in job) {
      // new weights from the calling thread (setWeights, training): repacked before the next job
      model.setWeights(job.weights).then(() => answer({}), (e) => answer({ error: errorOf(e) }));
      return;
    }
    let reply: { outputs?: TensorData[]; error?: { name: string; message: string } };
    const transfer: ArrayBuffer[] = [];
    try {
      const y = model.predict(job.inputs, job.outputs ? { outputs: job.outputs } : {});
      const outputs = Array.isArray(y) ? y : [y];
      for (const o of outputs) transfer.push(o.data.buffer as ArrayBuffer);
      reply = { outputs };
    } catch (e) {
      reply = { error: errorOf(e) };
    }
    answer(reply, transfer);
  });
  parentPort?.postMessage({});
} catch (e) {
  parentPort?.postMessage({ error: errorOf(e) });
}
