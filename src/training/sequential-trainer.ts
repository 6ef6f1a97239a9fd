import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';
import type { GraphLayer, ModelGraph } from '../graph/build-graph.js';
import type { KerasGeneration } from '../keras/generation.js';
import { lossInto, type LossSpec } from './losses.js';
import { OptimizerState, type OptimizerSpec } from './optimizers.js';
import { LSTM_GATES } from './gradients.js';

/**
 * Training of models that are a chain of layers training supports: InputLayer, LSTM (tanh,
 * sigmoid / hard_sigmoid gates, no masks, initial states, return_state or go_backwards), Dense on
 * 2D or 3D input (linear, tanh, sigmoid, relu, softmax), Dropout (inverted dropout with a seeded
 * mask) and Activation. Every other layer or option is refused by name before anything runs.
 * Backpropagation through time covers the whole sequence. Kernels: assembly/backward.ts,
 * losses.ts, optimizers.ts; the training forward uses exact tanh / sigmoid (the predict kernels
 * use fast approximations, within 3e-7).
 */

type Step =
  | { kind: 'lstm'; layer: GraphLayer; units: number; returnSequences: boolean; gate: number; useBias: boolean }
  | { kind: 'dense'; layer: GraphLayer; units: number; activation: number; useBias: boolean }
  | { kind: 'dropout'; layer: GraphLayer; rate: number }
  | { kind: 'activation'; layer: GraphLayer; activation: number };

const ACTIVATIONS: Record<string, number> = { linear: 0, tanh: 1, sigmoid: 2, relu: 5, softmax: 100 };

function refuse(layer: GraphLayer, what: string, field?: string, value?: unknown): never {
  throw new UnsupportedKerasConfigurationError(`training does not support ${what} yet`, {
    layer: layer.spec.name,
    className: layer.imported.className,
    ...(field !== undefined ? { field, value } : {}),
  });
}

function activationOf(layer: GraphLayer, name: unknown): number {
  const id = typeof name === 'string' ? ACTIVATIONS[name] : undefined;
  if (id === undefined) refuse(layer, `the activation ${String(name)}`, 'activation', name);
  return id;
}

/** The training plan of a model, or a typed refusal naming the first layer / option it cannot train. */
export function planTraining(graph: ModelGraph, generation: KerasGeneration): Step[] {
  if (graph.spec.inputs.length !== 1 || graph.spec.outputs.length !== 1) {
    throw new UnsupportedKerasConfigurationError('training supports models with one input and one output so far', { field: 'inputs' });
  }
  const steps: Step[] = [];
  let previous = graph.spec.inputs[0].layer;
  for (const node of graph.nodes) {
    const layer = node.layer;
    const d = layer.imported.details;
    if (layer.imported.className === 'InputLayer') continue;
    if (node.inputs.length !== 1 || node.inputs[0].layer !== previous || node.inputs[0].tensor !== 0 || layer.spec.calls.length !== 1) {
      refuse(layer, 'layers outside a single chain (branches, shared layers, several inputs)');
    }
    previous = layer.spec.name;
    switch (layer.imported.className) {
      case 'LSTM': {
        if (d.weightLayout !== 'fused') refuse(layer, 'Keras 1 per-gate LSTM weights', 'weightLayout', d.weightLayout);
        if (d.activation !== 'tanh') refuse(layer, `LSTM activation ${String(d.activation)}`, 'activation', d.activation);
        for (const f of ['returnState', 'goBackwards', 'stateful'] as const) if (d[f]) refuse(layer, `LSTM ${f}`, f, true);
        const cfg = layer.spec.config;
        for (const f of ['dropout', 'recurrent_dropout']) if (typeof cfg[f] === 'number' && (cfg[f] as number) > 0) refuse(layer, `LSTM ${f} in training`, f, cfg[f]);
        let gate = String(d.recurrentActivation);
        if (gate === 'hard_sigmoid') gate = generation.major >= 3 && generation.runtime !== 'tfjs' ? 'hard_sigmoid_keras3' : 'hard_sigmoid_keras2';
        if (!(gate in LSTM_GATES)) refuse(layer, `LSTM recurrent_activation ${String(d.recurrentActivation)}`, 'recurrent_activation', d.recurrentActivation);
        steps.push({ kind: 'lstm', layer, units: Number(d.units), returnSequences: d.returnSequences === true, gate: LSTM_GATES[gate], useBias: d.useBias !== false });
        break;
      }
      case 'Dense':
        steps.push({ kind: 'dense', layer, units: Number(d.units), activation: activationOf(layer, d.activation), useBias: d.useBias !== false });
        break;
      case 'Dropout':
        if (layer.spec.config.noise_shape !== undefined && layer.spec.config.noise_shape !== null) refuse(layer, 'Dropout noise_shape', 'noise_shape', layer.spec.config.noise_shape);
        steps.push({ kind: 'dropout', layer, rate: Number(d.rate ?? 0) });
        break;
      case 'Activation':
        steps.push({ kind: 'activation', layer, activation: activationOf(layer, d.activation) });
        break;
      default:
        refuse(layer, `${layer.imported.className} layers`);
    }
  }
  if (steps.length === 0) throw new UnsupportedKerasConfigurationError('the model has no layer to train', {});
  return steps;
}

/** Trains a planned chain on batches; weights are updated in place in `arrays`. */
export class SequentialTrainer {
  private readonly optimizer: OptimizerState;
  /** Weights the optimizer updates (trainable layers only), in layer order. */
  private readonly variables: { layer: string; index: number }[] = [];
  private seed: number;

  constructor(
    private readonly memory: WasmMemory,
    private readonly steps: Step[],
    private arrays: Map<string, Float32Array[]>,
    private readonly trainable: (layer: string) => boolean,
    optimizer: OptimizerSpec,
    private readonly loss: LossSpec,
    seed: number,
  ) {
    for (const s of steps) {
      const name = s.layer.spec.name;
      if (!trainable(name)) continue;
      (arrays.get(name) ?? []).forEach((_, index) => this.variables.push({ layer: name, index }));
    }
    this.optimizer = new OptimizerState(memory, optimizer, this.variables.map((v) => (arrays.get(v.layer) as Float32Array[])[v.index].length));
    this.seed = seed >>> 0 || 1;
  }

  /** Trains these arrays from now on (after `setWeights`); the optimizer keeps its slots. */
  useWeights(arrays: Map<string, Float32Array[]>): void {
    this.arrays = arrays;
  }

  /** The model's output on the last batch trained (the training forward pass), for metrics. */
  lastOutput: { data: Float32Array; shape: number[] } | null = null;

  /**
   * One update on a batch; returns the batch loss before the update. `sampleWeights` (one per
   * sample) weigh each sample's loss and gradient (see losses.ts).
   */
  trainOnBatch(x: Float32Array, xShape: number[], y: Float32Array, sampleWeights?: Float32Array | null): number {
    const { memory } = this;
    const k = memory.kernels;
    const grads = new Map<string, Float32Array[]>();
    memory.beginScratch();
    try {
      const put = (a: Float32Array) => {
        const p = memory.scratch(Math.max(1, a.length) * 4);
        memory.f32(p, a.length).set(a);
        return p;
      };
      type Cache = { input: number; inShape: number[]; output: number; outShape: number[]; extra: number[] };
      const caches: Cache[] = [];
      let cur = put(x);
      let shape = xShape.slice();
      for (const s of this.steps) {
        const w = this.arrays.get(s.layer.spec.name) ?? [];
        const inShape = shape;
        const n = inShape.reduce((a, b) => a * b, 1);
        if (s.kind === 'lstm') {
          const [B, T, D] = inShape;
          const U = s.units;
          const [pw, pr] = [put(w[0]), put(w[1])];
          const pb = s.useBias ? put(w[2]) : 0;
          const gates = memory.scratch(B * T * 4 * U * 4);
          const cs = memory.scratch(B * T * U * 4);
          const hs = memory.scratch(B * T * U * 4);
          k.lstmForwardTrain(cur, B, T, D, U, pw, pr, pb, s.gate, gates, cs, hs);
          let out = hs;
          let outShape = [B, T, U];
          if (!s.returnSequences) {
            out = memory.scratch(B * U * 4);
            const hv = memory.f32(hs, B * T * U);
            const ov = memory.f32(out, B * U);
            for (let b = 0; b < B; b++) ov.set(hv.subarray((b * T + T - 1) * U, (b * T + T) * U), b * U);
            outShape = [B, U];
          }
          caches.push({ input: cur, inShape, output: out, outShape, extra: [pw, pr, pb, gates, cs, hs] });
          cur = out;
          shape = outShape;
        } else if (s.kind === 'dense') {
          const K = inShape[inShape.length - 1];
          const M = n / K;
          const N = s.units;
          const pw = put(w[0]);
          const pb = s.useBias ? put(w[1]) : 0;
          const z = memory.scratch(M * N * 4);
          k.denseForwardTrain(cur, M, K, N, pw, pb, z);
          if (s.activation === 100) k.softmaxRows(z, M, N);
          else if (s.activation !== 0) k.activate(z, M * N, s.activation, 0);
          const outShape = [...inShape.slice(0, -1), N];
          caches.push({ input: cur, inShape, output: z, outShape, extra: [pw, pb] });
          cur = z;
          shape = outShape;
        } else if (s.kind === 'dropout') {
          const mask = memory.scratch(n * 4);
          if (s.rate > 0) this.seed = k.dropoutMask(mask, n, s.rate, this.seed) >>> 0;
          else memory.f32(mask, n).fill(1);
          const out = memory.scratch(n * 4);
          k.binaryF32(cur, mask, out, n, KERNEL_CONSTANTS.BIN_MUL);
          caches.push({ input: cur, inShape, output: out, outShape: inShape, extra: [mask] });
          cur = out;
        } else {
          const out = memory.scratch(n * 4);
          memory.f32(out, n).set(memory.f32(cur, n));
          if (s.activation === 100) k.softmaxRows(out, n / inShape[inShape.length - 1], inShape[inShape.length - 1]);
          else if (s.activation !== 0) k.activate(out, n, s.activation, 0);
          caches.push({ input: cur, inShape, output: out, outShape: inShape, extra: [] });
          cur = out;
        }
      }
      const outCount = shape.reduce((a, b) => a * b, 1);
      const target = put(y);
      let grad = memory.scratch(outCount * 4);
      const loss = lossInto(memory, this.loss, cur, shape, target, y, grad, sampleWeights);
      this.lastOutput = { data: memory.f32(cur, outCount).slice(), shape: shape.slice() };
      for (let i = this.steps.length - 1; i >= 0; i--) {
        const s = this.steps[i];
        const c = caches[i];
        const n = c.inShape.reduce((a, b) => a * b, 1);
        const dx = memory.scratch(n * 4);
        const name = s.layer.spec.name;
        if (s.kind === 'lstm') {
          const [B, T, D] = c.inShape;
          const U = s.units;
          const [pw, pr, pb, gates, cs, hs] = c.extra;
          let dhs = grad;
          if (!s.returnSequences) {
            dhs = memory.scratch(B * T * U * 4, true);
            const dv = memory.f32(dhs, B * T * U);
            const gv = memory.f32(grad, B * U);
            for (let b = 0; b < B; b++) dv.set(gv.subarray(b * U, (b + 1) * U), (b * T + T - 1) * U);
          }
          const dW = memory.scratch(D * 4 * U * 4);
          const dR = memory.scratch(U * 4 * U * 4);
          const db = pb ? memory.scratch(4 * U * 4) : 0;
          const scratch = memory.scratch(6 * U * 4);
          k.lstmBackward(c.input, B, T, D, U, pw, pr, s.gate, gates, cs, hs, dhs, dx, dW, dR, db, scratch);
          grads.set(name, [memory.f32(dW, D * 4 * U).slice(), memory.f32(dR, U * 4 * U).slice(), ...(db ? [memory.f32(db, 4 * U).slice()] : [])]);
        } else if (s.kind === 'dense') {
          const K = c.inShape[c.inShape.length - 1];
          const M = n / K;
          const N = s.units;
          const [pw, pb] = c.extra;
          const dz = memory.scratch(M * N * 4);
          k.activationBackward(c.output, grad, M * N, N, s.activation, dz);
          const dW = memory.scratch(K * N * 4);
          const db = pb ? memory.scratch(N * 4) : 0;
          k.denseBackward(c.input, dz, M, K, N, pw, dx, dW, db);
          grads.set(name, [memory.f32(dW, K * N).slice(), ...(db ? [memory.f32(db, N).slice()] : [])]);
        } else if (s.kind === 'dropout') {
          k.binaryF32(grad, c.extra[0], dx, n, KERNEL_CONSTANTS.BIN_MUL);
        } else {
          k.activationBackward(c.output, grad, n, c.inShape[c.inShape.length - 1], s.activation, dx);
        }
        grad = dx;
      }
      this.optimizer.apply(
        this.variables.map((v) => (this.arrays.get(v.layer) as Float32Array[])[v.index]),
        this.variables.map((v) => (grads.get(v.layer) as Float32Array[])[v.index]),
      );
      return loss;
    } finally {
      memory.endScratch();
    }
  }
}

/** Checks a batch's x / y sizes against the model before training on it. */
export function checkBatch(x: { data: ArrayLike<number>; shape: number[] }, inputShape: (number | null)[], yLength: number, file: string): void {
  if (!x || !Array.isArray(x.shape) || x.shape.length !== inputShape.length) {
    throw new InputError(`x must have the model input's rank ${inputShape.length}`, { file, field: 'x', value: x?.shape });
  }
  inputShape.forEach((d, i) => {
    if (i > 0 && d !== null && x.shape[i] !== d) throw new InputError(`x dimension ${i} must be ${d}`, { file, field: 'x', value: x.shape });
  });
  if (x.data.length !== x.shape.reduce((a, b) => a * b, 1)) throw new InputError('x data does not fit its shape', { file, field: 'x', value: x.data.length });
  if (yLength === 0) throw new InputError('y is empty', { file, field: 'y' });
}
