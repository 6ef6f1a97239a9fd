import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { ModelGraph } from '../graph/build-graph.js';
import type { KerasGeneration } from '../keras/generation.js';
import { LSTM_GATES } from './layers/gates.js';
import { activationFn, activationGradient, applyActivation, denseWork, trainContext } from './layers/layer-module.js';
import { resolveActivation } from '../keras/activations.js';
import { forwardBackward, planTraining, type BatchTensor } from './sequential-trainer.js';

export { LSTM_GATES };

/**
 * Forward and backward passes of single Dense / LSTM layers on the kernels of assembly/backward.ts
 * (Dense) and backward-rnn.ts (LSTM), and of any planned model (chainGradients), for the gradient
 * checks. Inputs and weights are Keras' arrays; gradients come back in the same layouts. Not part
 * of the public API.
 */

/** Copies arrays into scratch memory; returns their pointers (0 for null). */
function put(memory: WasmMemory, arrays: (Float32Array | null)[]): number[] {
  return arrays.map((a) => {
    if (!a) return 0;
    const p = memory.scratch(a.length * 4);
    memory.f32(p, a.length).set(a);
    return p;
  });
}

/** Dense: y = act(x W + b) for x [M][K]; given dy = d(loss)/dy, returns y and the gradients. */
export function denseGradients(
  memory: WasmMemory,
  x: Float32Array,
  M: number,
  kernel: Float32Array,
  bias: Float32Array | null,
  activation: string,
  dy: Float32Array,
  layer = 'dense',
  generation: KerasGeneration = { major: 2, version: '2', inferred: true },
): { y: Float32Array; dx: Float32Array; dKernel: Float32Array; dBias: Float32Array | null } {
  const K = x.length / M;
  const N = kernel.length / K;
  const act = activationFn(resolveActivation(activation, generation, { layer, field: 'activation' }));
  const k = memory.kernels;
  memory.beginScratch();
  try {
    const [px, pw, pb, pdy] = put(memory, [x, kernel, bias, dy]);
    const z = memory.scratch(M * N * 4);
    k.denseForwardTrain(px, M, K, N, pw, pb, z, denseWork(memory, M, K, N));
    const y = applyActivation(memory, z, M * N, N, act, true);
    const dz = activationGradient(memory, act, z, y, pdy, M * N, N);
    const dx = memory.scratch(M * K * 4);
    const dW = memory.scratch(K * N * 4);
    const db = bias ? memory.scratch(N * 4) : 0;
    k.denseBackward(px, dz, M, K, N, pw, dx, dW, db, denseWork(memory, M, K, N));
    return { y: memory.f32(y, M * N).slice(), dx: memory.f32(dx, M * K).slice(), dKernel: memory.f32(dW, K * N).slice(), dBias: db ? memory.f32(db, N).slice() : null };
  } finally {
    memory.endScratch();
  }
}


/**
 * LSTM (tanh activation, zero initial state, no mask; gates `recurrentActivation`) over x [B][T][D] with Keras'
 * kernel [D][4U], recurrent kernel [U][4U] and bias [4U] (gates i, f, c, o). `dh` is d(loss)/d(h)
 * for every step ([B][T][U]) or, with `returnSequences` false, for the last one ([B][U]).
 * Backpropagation through time runs over the whole sequence.
 */
export function lstmGradients(
  memory: WasmMemory,
  x: Float32Array,
  shape: [number, number, number],
  kernel: Float32Array,
  recurrent: Float32Array,
  bias: Float32Array | null,
  dh: Float32Array,
  returnSequences: boolean,
  recurrentActivation: keyof typeof LSTM_GATES = 'sigmoid',
): { h: Float32Array; dx: Float32Array; dKernel: Float32Array; dRecurrent: Float32Array; dBias: Float32Array | null } {
  const [B, T, D] = shape;
  // the recurrent kernel is [U][4U]
  const units = Math.round(Math.sqrt(recurrent.length / 4));
  const G = 4 * units;
  const k = memory.kernels;
  memory.beginScratch();
  try {
    const [px, pw, pr, pb] = put(memory, [x, kernel, recurrent, bias]);
    const gates = memory.scratch(B * T * G * 4);
    const cs = memory.scratch(B * T * units * 4);
    const hs = memory.scratch(B * T * units * 4);
    const recAct = LSTM_GATES[recurrentActivation];
    k.lstmForwardTrain(px, B, T, D, units, pw, pr, pb, recAct, gates, cs, hs);
    const dhs = memory.scratch(B * T * units * 4, true);
    const view = memory.f32(dhs, B * T * units);
    if (returnSequences) view.set(dh);
    else for (let b = 0; b < B; b++) view.set(dh.subarray(b * units, (b + 1) * units), (b * T + T - 1) * units);
    const dx = memory.scratch(B * T * D * 4);
    const dW = memory.scratch(D * G * 4);
    const dR = memory.scratch(units * G * 4);
    const db = bias ? memory.scratch(G * 4) : 0;
    const scratch = memory.scratch(6 * units * 4);
    k.lstmBackward(px, B, T, D, units, pw, pr, recAct, gates, cs, hs, dhs, dx, dW, dR, db, scratch);
    return {
      h: memory.f32(hs, B * T * units).slice(),
      dx: memory.f32(dx, B * T * D).slice(),
      dKernel: memory.f32(dW, D * G).slice(),
      dRecurrent: memory.f32(dR, units * G).slice(),
      dBias: db ? memory.f32(db, G).slice() : null,
    };
  } finally {
    memory.endScratch();
  }
}

/**
 * Gradients of sum over outputs of (dy_k · output_k) through a whole planned model (any layers
 * and graph training supports: several inputs and outputs, shared layers, states), plus the
 * regularizers' penalties (`penalty`): the outputs,
 * d/d(each input) and d/d(weights) of every layer with weights (summed over a shared layer's
 * calls), in the stored arrays' layout. For gradient checks; `arrays` are the model's weights by
 * layer name.
 */
export function graphGradients(
  memory: WasmMemory,
  graph: ModelGraph,
  generation: KerasGeneration,
  arrays: Map<string, Float32Array[]>,
  xs: BatchTensor[],
  dys: Float32Array[],
): { ys: BatchTensor[]; dxs: Float32Array[]; grads: Map<string, Float32Array[]>; penalty: number } {
  const plan = planTraining(graph, generation);
  memory.beginScratch();
  try {
    const ctx = trainContext(memory, 1);
    let ys: BatchTensor[] = [];
    const r = forwardBackward(ctx, plan, arrays, xs, (outs) => {
      ys = outs.map((o) => ({ data: memory.f32(o.ptr, o.shape.reduce((a, b) => a * b, 1)).slice(), shape: o.shape.slice() }));
      return ys.map((y, k) => {
        if (dys[k]?.length !== y.data.length) throw new UnsupportedKerasConfigurationError(`dy[${k}] has ${dys[k]?.length} values, the output ${y.data.length}`, { field: 'dy' });
        return ctx.put(dys[k]);
      });
    });
    return { ys, dxs: r.dInputs.map((p, i) => memory.f32(p, xs[i].data.length).slice()), grads: r.grads, penalty: r.penalty };
  } finally {
    memory.endScratch();
  }
}

/** {@link graphGradients} of a model with one input and one output. */
export function chainGradients(
  memory: WasmMemory,
  graph: ModelGraph,
  generation: KerasGeneration,
  arrays: Map<string, Float32Array[]>,
  x: Float32Array,
  xShape: number[],
  dy: Float32Array,
): { y: Float32Array; yShape: number[]; dx: Float32Array; grads: Map<string, Float32Array[]>; penalty: number } {
  const r = graphGradients(memory, graph, generation, arrays, [{ data: x, shape: xShape }], [dy]);
  return { y: r.ys[0].data, yShape: r.ys[0].shape, dx: r.dxs[0], grads: r.grads, penalty: r.penalty };
}
