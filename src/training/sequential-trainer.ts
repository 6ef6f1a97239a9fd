import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { ModelGraph } from '../graph/build-graph.js';
import type { KerasGeneration } from '../keras/generation.js';
import { lossInto, type LossSpec } from './losses.js';
import { OptimizerState, type OptimizerSpec } from './optimizers.js';
import { planLayer } from './layers/index.js';
import { refuse, scratchPut, sizeOf, type Activation, type StatisticsUpdate, type TrainContext, type TrainableLayer } from './layers/layer-module.js';

/**
 * Training of models that are a chain of layers training supports (one module per layer kind in
 * src/training/layers/, listed in layers/index.ts): the plan refuses every other layer or option
 * by name before anything runs. Each step runs the layers' forward passes (keeping what backward
 * needs), the loss, the backward passes in reverse order, then the optimizer. Kernels:
 * assembly/backward.ts, losses.ts, optimizers.ts; the training forward uses exact tanh / sigmoid
 * (the predict kernels use fast approximations, within 3e-7).
 */

/** The training plan of a model, or a typed refusal naming the first layer / option it cannot train. */
export function planTraining(graph: ModelGraph, generation: KerasGeneration): TrainableLayer[] {
  if (graph.spec.inputs.length !== 1 || graph.spec.outputs.length !== 1) {
    throw new UnsupportedKerasConfigurationError('training supports models with one input and one output so far', { field: 'inputs' });
  }
  const steps: TrainableLayer[] = [];
  let masked = false;
  let previous = graph.spec.inputs[0].layer;
  for (const node of graph.nodes) {
    const layer = node.layer;
    if (layer.imported.className === 'InputLayer') continue;
    if (node.inputs.length !== 1 || node.inputs[0].layer !== previous || node.inputs[0].tensor !== 0 || layer.spec.calls.length !== 1) {
      refuse(layer, 'layers outside a single chain (branches, shared layers, several inputs)');
    }
    previous = layer.spec.name;
    const step = planLayer(layer, generation);
    const handling = step.masks ?? 'pass';
    if (masked && handling === 'refuse') refuse(layer, `a time-step mask reaching ${layer.imported.className}`, 'mask', true);
    if (handling === 'produce') masked = true;
    else if (handling === 'consume') masked = false;
    steps.push(step);
  }
  if (steps.length === 0) throw new UnsupportedKerasConfigurationError('the model has no layer to train', {});
  // Keras weights the loss by a mask that reaches the output; training does not offer that
  if (masked) refuse(steps[steps.length - 1].layer, 'a time-step mask reaching the model output (masked loss)', 'mask', true);
  return steps;
}

/**
 * One forward and backward pass of a planned chain (inside the caller's scratch scope): the
 * layers' forward passes, `outputGradient` (given the model output, returns a pointer to
 * d(loss)/d(output)), the backward passes in reverse order. Returns the output, the input
 * gradient and the weight gradients by layer (layers without weights have none).
 */
export function forwardBackward(
  ctx: TrainContext,
  steps: readonly TrainableLayer[],
  arrays: Map<string, Float32Array[]>,
  x: Float32Array,
  xShape: number[],
  outputGradient: (output: Activation) => number,
): { output: Activation; dInput: number; grads: Map<string, Float32Array[]>; updates: Map<string, StatisticsUpdate[]> } {
  const saved: unknown[] = [];
  const updates = new Map<string, StatisticsUpdate[]>();
  let cur: Activation = { ptr: ctx.put(x), shape: xShape.slice() };
  for (const s of steps) {
    const r = s.forward(ctx, cur, arrays.get(s.layer.spec.name) ?? []);
    saved.push(r.saved);
    if (r.updates) updates.set(s.layer.spec.name, r.updates);
    cur = r.output;
  }
  let grad = outputGradient(cur);
  const grads = new Map<string, Float32Array[]>();
  for (let i = steps.length - 1; i >= 0; i--) {
    const r = steps[i].backward(ctx, saved[i], grad);
    if (r.grads.length) grads.set(steps[i].layer.spec.name, r.grads);
    grad = r.dInput;
  }
  return { output: cur, dInput: grad, grads, updates };
}

/** Trains a planned chain on batches; weights are updated in place in `arrays`. */
export class SequentialTrainer {
  private readonly optimizer: OptimizerState;
  /** Weights the optimizer updates (trainable layers only), in layer order. */
  private readonly variables: { layer: string; index: number }[] = [];
  private seed: number;

  constructor(
    private readonly memory: WasmMemory,
    private readonly steps: TrainableLayer[],
    private arrays: Map<string, Float32Array[]>,
    private readonly trainable: (layer: string) => boolean,
    optimizer: OptimizerSpec,
    private readonly loss: LossSpec,
    seed: number,
  ) {
    for (const s of steps) {
      const name = s.layer.spec.name;
      if (!trainable(name)) continue;
      (arrays.get(name) ?? []).forEach((_, index) => {
        if (!s.statistics?.includes(index)) this.variables.push({ layer: name, index });
      });
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
   * sample) weigh each sample's loss and gradient (see losses.ts). With `tbptt` = k, truncated
   * backpropagation through time: the sequences are cut into chunks of k steps, each chunk is one
   * update (forward from the state the previous chunk ended in, backward within the chunk), as
   * Deeplearning4j's truncated BPTT does; the loss returned is the mean over timesteps.
   */
  trainOnBatch(x: Float32Array, xShape: number[], y: Float32Array, sampleWeights?: Float32Array | null, tbptt?: number): number {
    if (tbptt === undefined) {
      const r = this.step(x, xShape, y, sampleWeights ?? null, undefined);
      this.lastOutput = r.output;
      return r.loss;
    }
    const [B, T] = xShape;
    this.checkTbptt(xShape, y.length);
    const xStep = x.length / (B * T);
    const yStep = y.length / (B * T);
    const carry = new Map<string, unknown>();
    let total = 0;
    let out: Float32Array | null = null;
    let outStep = 0;
    for (let t0 = 0; t0 < T; t0 += tbptt) {
      const len = Math.min(tbptt, T - t0);
      const cut = (a: Float32Array, per: number) => {
        const c = new Float32Array(B * len * per);
        for (let b = 0; b < B; b++) c.set(a.subarray((b * T + t0) * per, (b * T + t0 + len) * per), b * len * per);
        return c;
      };
      const r = this.step(cut(x, xStep), [B, len, ...xShape.slice(2)], cut(y, yStep), sampleWeights ?? null, carry);
      total += r.loss * len;
      outStep = r.output.data.length / (B * len);
      out ??= new Float32Array(B * T * outStep);
      for (let b = 0; b < B; b++) out.set(r.output.data.subarray(b * len * outStep, (b + 1) * len * outStep), (b * T + t0) * outStep);
      this.lastOutput = { data: out, shape: [B, T, ...r.output.shape.slice(2)] };
    }
    return total / T;
  }

  /** Truncated BPTT needs an output at every step: recurrent layers must return sequences. */
  private checkTbptt(xShape: number[], yLength: number): void {
    for (const s of this.steps) {
      const l = s.layer;
      const kind = l.imported.className;
      if (kind === 'LSTM' && l.imported.details.returnSequences !== true) {
        refuse(l, 'truncated BPTT through an LSTM that does not return sequences (every chunk needs its own outputs and targets)', 'return_sequences', false);
      }
      if (!['LSTM', 'Dense', 'Dropout', 'Activation'].includes(kind)) refuse(l, `truncated BPTT through ${kind} layers`);
    }
    const [B, T] = xShape;
    if (xShape.length !== 3 || yLength % (B * T) !== 0) {
      throw new InputError('truncated BPTT needs sequences x [batch, steps, features] and targets for every step', { field: 'y', value: yLength });
    }
  }

  private step(x: Float32Array, xShape: number[], y: Float32Array, sampleWeights: Float32Array | null, carry: Map<string, unknown> | undefined): { loss: number; output: { data: Float32Array; shape: number[] } } {
    const { memory } = this;
    memory.beginScratch();
    try {
      const put = scratchPut(memory);
      const ctx: TrainContext = { memory, seed: this.seed, put, isTrainable: this.trainable, ...(carry ? { carry } : {}) };
      let loss = 0;
      let output = { data: new Float32Array(0), shape: [] as number[] };
      const { grads, updates } = forwardBackward(ctx, this.steps, this.arrays, x, xShape, (out) => {
        const grad = memory.scratch(sizeOf(out.shape) * 4);
        loss = lossInto(memory, this.loss, out.ptr, out.shape, put(y), y, grad, sampleWeights);
        output = { data: memory.f32(out.ptr, sizeOf(out.shape)).slice(), shape: out.shape.slice() };
        return grad;
      });
      this.seed = ctx.seed;
      this.optimizer.apply(
        this.variables.map((v) => (this.arrays.get(v.layer) as Float32Array[])[v.index]),
        this.variables.map((v) => (grads.get(v.layer) as Float32Array[])[v.index]),
      );
      // moving statistics follow the batch (Keras updates them in training mode)
      for (const [layer, list] of updates) for (const u of list) (this.arrays.get(layer) as Float32Array[])[u.index].set(u.values);
      return { loss, output };
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
