// Worker thread of training/train-threads.ts: loads its own copy of the model to build the same
// training plan, then computes the gradients of the batch slices it is sent (forward and backward
// in its own wasm instance) with the weights the calling thread keeps in shared memory, writes
// them into its region of the shared gradient buffer, replies, and raises its flag.
import { workerData, parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { loadModel, type LoadOptions, type ModelSource } from './load-model.js';
import { sourceFromClone } from '../engine/batch-workers.js';
import { instantiateKernels, type KernelBuild } from '../wasm/wasm-module.js';
import { WasmMemory } from '../wasm/memory.js';
import { planTraining } from '../training/sequential-trainer.js';
import { sliceGradients } from '../training/parallel-trainer.js';
import type { SliceJob, SliceReply, TrainWorkerData } from '../training/train-threads.js';

const data = workerData as TrainWorkerData;
const port = data.port as MessagePort;
const errorOf = (e: unknown) => ({ name: (e as Error)?.name ?? 'Error', message: String((e as Error)?.message ?? e) });

try {
  const model = await loadModel(sourceFromClone(data.source) as ModelSource, data.loadOptions as LoadOptions & { worker?: false });
  const plan = planTraining(model.graphForSaving, model.generation);
  model.dispose();
  const memory = new WasmMemory(await instantiateKernels(data.kernels as KernelBuild), data.maxWasmBytes);
  const arrays = new Map<string, Float32Array[]>();
  let at = 0;
  for (const [name, lengths] of data.layout) {
    arrays.set(name, lengths.map((n) => {
      const view = new Float32Array(data.weights, at * 4, n);
      at += n;
      return view;
    }));
  }
  const grads = new Float32Array(data.grads, data.index * data.gradFloats * 4, data.gradFloats);
  let carry: Map<string, unknown> | undefined;
  port.on('message', (job: SliceJob) => {
    let reply: SliceReply;
    const transfer: ArrayBuffer[] = [];
    try {
      if (job.carry === 'none') carry = undefined;
      else if (job.carry === 'new' || !carry) carry = new Map();
      const frozen = new Set(job.frozen);
      const r = sliceGradients(memory, plan, arrays, (layer) => !frozen.has(layer), data.losses, job, carry);
      let offset = 0;
      for (const v of data.variables) {
        const n = (arrays.get(v.layer) as Float32Array[])[v.index].length;
        const g = r.grads.get(v.layer)?.[v.index];
        if (g) grads.set(g, offset);
        else grads.fill(0, offset, offset + n);
        offset += n;
      }
      for (const o of r.outputs) transfer.push(o.data.buffer as ArrayBuffer);
      reply = { loss: r.loss, outputs: r.outputs, seed: r.seed };
    } catch (e) {
      reply = { error: errorOf(e) };
    }
    port.postMessage(reply, transfer);
    Atomics.store(data.flags, data.index, 1);
    Atomics.notify(data.flags, data.index);
  });
  parentPort?.postMessage({});
} catch (e) {
  parentPort?.postMessage({ error: errorOf(e) });
}
