import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import type { ModelGraph } from '../graph/build-graph.js';
import type { KerasGeneration } from '../keras/generation.js';
import { lossInto, type LossSpec } from './losses.js';
import { OptimizerState, type OptimizerSpec } from './optimizers.js';
import { planLayer } from './layers/index.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';
import { refuse, sizeOf, trainContext, type Activation, type PlannedLayer, type StatisticsUpdate, type TrainContext } from './layers/layer-module.js';

/**
 * Training of models made of layers training supports (one module per layer kind in
 * src/training/layers/, listed in layers/index.ts), a chain or a DAG with merges (one input, one
 * output, no shared layers): the plan refuses every other layer or option by name before anything
 * runs. Each step runs the layers' forward passes in execution order (keeping what backward
 * needs), the loss, the backward passes in reverse order (gradients of a tensor several layers
 * read are summed), then the optimizer. Kernels: assembly/backward*.ts, losses.ts, optimizers.ts;
 * the training forward uses exact tanh / sigmoid (the predict kernels use fast approximations,
 * within 3e-7).
 */

/** One planned layer call and where its inputs come from (indices of earlier steps; -1: the model input). */
export interface PlannedStep {
  plan: PlannedLayer;
  inputs: number[];
}

/** A model's training plan: its layer calls in execution order and which one is the output. */
export interface TrainingPlan {
  steps: PlannedStep[];
  output: number;
}

/** The training plan of a model, or a typed refusal naming the first layer / option it cannot train. */
export function planTraining(graph: ModelGraph, generation: KerasGeneration): TrainingPlan {
  if (graph.spec.inputs.length !== 1 || graph.spec.outputs.length !== 1) {
    throw new UnsupportedKerasConfigurationError('training supports models with one input and one output so far', { field: 'inputs' });
  }
  const steps: PlannedStep[] = [];
  const masked: boolean[] = [];
  // step index of each layer's output (-1: the model input)
  const producer = new Map<string, number>([[graph.spec.inputs[0].layer, -1]]);
  for (const node of graph.nodes) {
    const layer = node.layer;
    if (layer.imported.className === 'InputLayer') continue;
    if (layer.spec.calls.length !== 1 || node.initialStates !== 0) refuse(layer, 'shared layers and initial states');
    const inputs = node.inputs.map((ref) => {
      const from = producer.get(ref.layer);
      if (from === undefined || ref.tensor !== 0) refuse(layer, 'inputs other than the first output of a trained layer', 'inbound_nodes', `${ref.layer}[${ref.node}][${ref.tensor}]`);
      return from;
    });
    const plan = planLayer(layer, generation);
    const maskIn = inputs.some((i) => i >= 0 && masked[i]);
    let maskOut: boolean;
    if ('multiInput' in plan) {
      if (maskIn) refuse(layer, `a time-step mask reaching ${layer.imported.className}`, 'mask', true);
      maskOut = false;
    } else {
      if (inputs.length !== 1) refuse(layer, `${layer.imported.className} with ${inputs.length} inputs`, 'inbound_nodes', inputs.length);
      const handling = plan.masks ?? 'pass';
      if (maskIn && handling === 'refuse') refuse(layer, `a time-step mask reaching ${layer.imported.className}`, 'mask', true);
      maskOut = handling === 'produce' || (handling === 'pass' && maskIn);
    }
    producer.set(layer.spec.name, steps.length);
    masked.push(maskOut);
    steps.push({ plan, inputs });
  }
  const out = graph.spec.outputs[0];
  const output = producer.get(out.layer);
  if (steps.length === 0 || output === undefined || output < 0) throw new UnsupportedKerasConfigurationError('the model has no layer to train', {});
  // Keras weights the loss by a mask that reaches the output; training does not offer that
  if (masked[output]) refuse(steps[output].plan.layer, 'a time-step mask reaching the model output (masked loss)', 'mask', true);
  return { steps, output };
}

/**
 * One forward and backward pass of a plan (inside the caller's scratch scope): the layers'
 * forward passes, `outputGradient` (given the model output, returns a pointer to
 * d(loss)/d(output)), the backward passes in reverse order. Returns the output, the input
 * gradient and the weight gradients by layer (layers the output does not depend on have none).
 */
export function forwardBackward(
  ctx: TrainContext,
  plan: TrainingPlan,
  arrays: Map<string, Float32Array[]>,
  x: Float32Array,
  xShape: number[],
  outputGradient: (output: Activation) => number,
): { output: Activation; dInput: number; grads: Map<string, Float32Array[]>; updates: Map<string, StatisticsUpdate[]> } {
  const { memory } = ctx;
  const { steps } = plan;
  const saved: unknown[] = [];
  const acts: Activation[] = [];
  const updates = new Map<string, StatisticsUpdate[]>();
  const input: Activation = { ptr: ctx.put(x), shape: xShape.slice() };
  const act = (i: number) => (i < 0 ? input : acts[i]);
  for (const { plan: p, inputs } of steps) {
    const name = p.layer.spec.name;
    if ('multiInput' in p) {
      const r = p.forward(ctx, inputs.map(act));
      saved.push(r.saved);
      acts.push(r.output);
    } else {
      const r = p.forward(ctx, act(inputs[0]), arrays.get(name) ?? []);
      saved.push(r.saved);
      acts.push(r.output);
      if (r.updates) updates.set(name, r.updates);
    }
  }
  const output = acts[plan.output];
  // d(loss)/d(output of step i) (index 0 of `pending` is the model input's, the rest shifted by one)
  const pending: (number | undefined)[] = new Array(steps.length + 1);
  pending[plan.output + 1] = outputGradient(output);
  const accumulate = (i: number, d: number) => {
    const have = pending[i + 1];
    if (have === undefined) {
      pending[i + 1] = d;
      return;
    }
    // a tensor read by several layers: sum the gradients into a fresh buffer (either may be shared)
    const n = sizeOf(act(i).shape);
    const sum = memory.scratch(n * 4);
    memory.kernels.binaryF32(have, d, sum, n, KERNEL_CONSTANTS.BIN_ADD);
    pending[i + 1] = sum;
  };
  const grads = new Map<string, Float32Array[]>();
  for (let i = steps.length - 1; i >= 0; i--) {
    const grad = pending[i + 1];
    if (grad === undefined) continue;
    const { plan: p, inputs } = steps[i];
    if ('multiInput' in p) {
      const r = p.backward(ctx, saved[i], grad);
      inputs.forEach((from, j) => accumulate(from, r.dInputs[j]));
    } else {
      const r = p.backward(ctx, saved[i], grad);
      if (r.grads.length) grads.set(p.layer.spec.name, r.grads);
      accumulate(inputs[0], r.dInput);
    }
  }
  const dInput = pending[0] ?? memory.scratch(x.length * 4, true);
  return { output, dInput, grads, updates };
}

/** Trains a planned model on batches; weights are updated in place in `arrays`. */
export class SequentialTrainer {
  protected readonly optimizer: OptimizerState;
  /** Weights the optimizer updates (trainable layers only), in layer order. */
  protected readonly variables: { layer: string; index: number }[] = [];
  protected seed: number;

  constructor(
    protected readonly memory: WasmMemory,
    protected readonly plan: TrainingPlan,
    protected arrays: Map<string, Float32Array[]>,
    protected readonly trainable: (layer: string) => boolean,
    optimizer: OptimizerSpec,
    protected readonly loss: LossSpec,
    seed: number,
  ) {
    for (const { plan: s } of plan.steps) {
      const name = s.layer.spec.name;
      if (!trainable(name)) continue;
      const statistics = 'statistics' in s ? s.statistics : undefined;
      (arrays.get(name) ?? []).forEach((_, index) => {
        if (!statistics?.includes(index)) this.variables.push({ layer: name, index });
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

  /**
   * Truncated BPTT needs an output at every step: recurrent layers must return sequences. Chunks
   * follow one chain of layers (a DAG's branches and merges are refused by name).
   */
  private checkTbptt(xShape: number[], yLength: number): void {
    const { steps, output } = this.plan;
    const branch = steps.findIndex(({ inputs }, i) => inputs.length !== 1 || inputs[0] !== i - 1);
    if (branch >= 0 || output !== steps.length - 1) {
      const at = steps[branch >= 0 ? branch : output];
      refuse(at.plan.layer, 'truncated BPTT through a model that is not a chain of layers (branches or merges)', 'inbound_nodes', at.inputs.length);
    }
    steps.forEach(({ plan: s }) => {
      const l = s.layer;
      const kind = l.imported.className;
      if (kind === 'LSTM' && l.imported.details.returnSequences !== true) {
        refuse(l, 'truncated BPTT through an LSTM that does not return sequences (every chunk needs its own outputs and targets)', 'return_sequences', false);
      }
      // only the plain LSTM path carries its state from chunk to chunk (see layers/lstm.ts)
      const d = l.imported.details;
      if (kind === 'LSTM' && (d.weightLayout !== 'fused' || d.activation !== 'tanh' || d.goBackwards)) {
        refuse(l, 'truncated BPTT through an LSTM with go_backwards, Keras 1 per-gate weights or a non-tanh activation', d.goBackwards ? 'go_backwards' : d.weightLayout !== 'fused' ? 'weightLayout' : 'activation', d.goBackwards ? true : d.weightLayout !== 'fused' ? d.weightLayout : d.activation);
      }
      if (kind === 'LSTM' && Number(d.units) % 4 !== 0) refuse(l, 'truncated BPTT for an LSTM whose units are not a multiple of 4', 'units', d.units);
      if (!['LSTM', 'Dense', 'Dropout', 'Activation'].includes(kind)) refuse(l, `truncated BPTT through ${kind} layers`);
    });
    const [B, T] = xShape;
    if (xShape.length !== 3 || yLength % (B * T) !== 0) {
      throw new InputError('truncated BPTT needs sequences x [batch, steps, features] and targets for every step', { field: 'y', value: yLength });
    }
  }

  protected step(x: Float32Array, xShape: number[], y: Float32Array, sampleWeights: Float32Array | null, carry: Map<string, unknown> | undefined): { loss: number; output: { data: Float32Array; shape: number[] } } {
    const { memory } = this;
    memory.beginScratch();
    try {
      const ctx = trainContext(memory, this.seed, this.trainable, carry);
      let loss = 0;
      let output = { data: new Float32Array(0), shape: [] as number[] };
      const { grads, updates } = forwardBackward(ctx, this.plan, this.arrays, x, xShape, (out) => {
        const grad = memory.scratch(sizeOf(out.shape) * 4);
        loss = lossInto(memory, this.loss, out.ptr, out.shape, ctx.put(y), y, grad, sampleWeights);
        output = { data: memory.f32(out.ptr, sizeOf(out.shape)).slice(), shape: out.shape.slice() };
        return grad;
      });
      this.seed = ctx.seed;
      this.optimizer.apply(
        this.variables.map((v) => (this.arrays.get(v.layer) as Float32Array[])[v.index]),
        // a layer the output does not depend on gets zero gradients
        this.variables.map((v) => grads.get(v.layer)?.[v.index] ?? new Float32Array((this.arrays.get(v.layer) as Float32Array[])[v.index].length)),
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
