import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { refKey, type ModelGraph } from '../graph/build-graph.js';
import { callReceivesMask, maskedLossRule, mergeMaskRule, type MaskedLossRule } from '../keras/semantics.js';
import { mergeMasks } from '../layers/merge.js';
import type { KerasGeneration } from '../keras/generation.js';
import { lossInto, type LossSpec } from './losses.js';
import { OptimizerState, type OptimizerSpec } from './optimizers.js';
import { planLayer } from './layers/index.js';
import { activityPenalty, weightPenalties, type ActivityPenalty, type WeightPenalty } from './regularizers.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';
import { refuse, sizeOf, trainContext, type Activation, type PlannedLayer, type StatisticsUpdate, type TrainContext } from './layers/layer-module.js';

/**
 * Training of models made of layers training supports (one module per layer kind in
 * src/training/layers/, listed in layers/index.ts): a chain or a functional DAG with any number
 * of inputs and outputs, merges, shared layers (one plan per layer, one step per call: the weight
 * gradients are summed over the calls) and recurrent layers taking initial states / returning
 * their states. The plan refuses every other layer or option by name before anything runs. Each
 * step runs the layers' forward passes in execution order (keeping what backward needs), the
 * losses, the backward passes in reverse order (gradients of a tensor several layers read are
 * summed), then the optimizer. Kernels: assembly/backward*.ts, losses.ts, optimizers.ts; the
 * training forward uses exact tanh / sigmoid (the predict kernels use fast approximations,
 * within 3e-7).
 */

/**
 * One planned layer call: its plan (shared by every call of the layer), the tensors it reads (ids
 * of the plan's tensor table: model inputs first, then each call's outputs), how many of them
 * are initial states (the trailing ones), and the tensors it writes (its output, then the
 * states it returns with `return_state`).
 */
export interface PlannedStep {
  plan: PlannedLayer;
  inputs: number[];
  initialStates: number;
  outputs: number[];
  /** A merge's mask rule (Keras' by version; Concatenate always ANDs). */
  maskRule?: 'and' | 'none' | 'or';
  /** The call does not receive its inputs' masks (Keras 3: an RNN called with initial_state; see keras/semantics.ts). */
  maskless?: boolean;
  /** The layer's regularized weights (indices into its arrays); empty for none. */
  weightPenalties: WeightPenalty[];
  /** The layer's activity regularizer, if any. */
  activity: ActivityPenalty | null;
}

/** A model's training plan: its layer calls in execution order and which tensors are the model's inputs and outputs. */
export interface TrainingPlan {
  steps: PlannedStep[];
  /** Tensor ids of the model inputs (0 .. inputs-1), in the model's input order. */
  inputs: number;
  /** Tensor ids of the model outputs, in the model's output order. */
  outputs: number[];
  /** Number of tensors (model inputs + every call's outputs). */
  tensors: number;
  /** Whether a layer is called more than once (shared: its weight gradients are summed over its calls). */
  shared: Set<string>;
  /** Whether a time-step mask reaches each model output (its loss and metrics are masked). */
  outputMasked: boolean[];
  /** How the file's Keras version divides a masked loss and masks metrics; null when no mask reaches an output. */
  maskedLoss: MaskedLossRule | null;
}

/** The training plan of a model, or a typed refusal naming the first layer / option it cannot train. */
export function planTraining(graph: ModelGraph, generation: KerasGeneration): TrainingPlan {
  const steps: PlannedStep[] = [];
  // whether each tensor carries a time-step mask
  const masked: boolean[] = graph.spec.inputs.map(() => false);
  const ids = new Map<string, number>(graph.spec.inputs.map((ref, i) => [refKey(ref), i]));
  const plans = new Map<string, PlannedLayer>();
  const calls = new Map<string, number>();
  const mergeRule = mergeMaskRule(generation);
  for (const node of graph.nodes) {
    const layer = node.layer;
    if (layer.imported.className === 'InputLayer') continue;
    const name = layer.spec.name;
    const inputs = node.inputs.map((ref) => {
      const from = ids.get(refKey(ref));
      if (from === undefined) refuse(layer, 'inputs other than the outputs of trained layers and model inputs', 'inbound_nodes', `${ref.layer}[${ref.node}][${ref.tensor}]`);
      return from;
    });
    let plan = plans.get(name);
    if (!plan) {
      plan = planLayer(layer, generation);
      plans.set(name, plan);
    }
    calls.set(name, (calls.get(name) ?? 0) + 1);
    const states = node.initialStates;
    const outputCount = layer.imported.outputShapes.length;
    if ((states > 0 || outputCount > 1) && !('multiInput' in plan) && !plan.states) {
      refuse(layer, states > 0 ? `initial states of ${layer.imported.className}` : `several outputs of ${layer.imported.className}`, states > 0 ? 'initial_state' : 'return_state', states > 0 ? states : true);
    }
    // a call with initial states may not receive the mask (see keras/semantics.ts)
    const receives = callReceivesMask(generation, states);
    const maskIn = receives && inputs.slice(0, inputs.length - states).some((i) => masked[i]);
    let maskOut: boolean;
    if ('multiInput' in plan) {
      const kind = layer.imported.className;
      if (plan.masks) {
        // Dot and the attention layers read their inputs' masks themselves; the output carries one input's mask (or none)
        const from = plan.masks.outputFrom >= 0 ? inputs[plan.masks.outputFrom] : undefined;
        maskOut = receives && from !== undefined && masked[from];
      } else {
        if (maskIn && mergeRule === 'or' && ['Maximum', 'Minimum', 'Multiply'].includes(kind)) {
          refuse(layer, `a time-step mask reaching ${kind} (Keras 3.4+ substitutes masked steps)`, 'mask', true);
        }
        maskOut = maskIn && (kind === 'Concatenate' || mergeRule !== 'none');
      }
    } else {
      if (inputs.length - states !== 1) refuse(layer, `${layer.imported.className} with ${inputs.length - states} inputs`, 'inbound_nodes', inputs.length);
      const handling = plan.masks ?? 'pass';
      if (maskIn && handling === 'refuse') refuse(layer, `a time-step mask reaching ${layer.imported.className}`, 'mask', true);
      maskOut = handling === 'produce' || (handling === 'pass' && maskIn);
    }
    const outputs: number[] = [];
    // several-input layers produce their first output only (an attention layer's scores are not
    // trained): a layer reading another output is refused as reading an untrained tensor
    const produced = 'multiInput' in plan ? 1 : outputCount;
    for (let t = 0; t < produced; t++) {
      ids.set(refKey({ layer: name, node: node.callIndex, tensor: t }), masked.length);
      outputs.push(masked.length);
      // returned states carry no mask
      masked.push(t === 0 && maskOut);
    }
    const maskRule = 'multiInput' in plan && !plan.masks ? (layer.imported.className === 'Concatenate' ? 'and' : mergeRule) : undefined;
    steps.push({ plan, inputs, initialStates: states, outputs, ...(maskRule ? { maskRule } : {}), ...(receives ? {} : { maskless: true }), weightPenalties: weightPenalties(layer), activity: activityPenalty(layer, generation) });
  }
  const outputs = graph.spec.outputs.map((ref) => {
    const id = ids.get(refKey(ref));
    if (id === undefined) throw new UnsupportedKerasConfigurationError('training needs the model outputs to come from trained layers', { field: 'output_layers', value: refKey(ref) });
    return id;
  });
  if (steps.length === 0 || outputs.some((id) => id < graph.spec.inputs.length)) throw new UnsupportedKerasConfigurationError('the model has no layer to train', {});
  // Keras weights the loss by a mask that reaches the output, dividing as its version does
  const outputMasked = outputs.map((id) => masked[id]);
  let maskedLoss: MaskedLossRule | null = null;
  outputs.forEach((id) => {
    if (!masked[id]) return;
    maskedLoss = maskedLossRule(generation);
    if (maskedLoss) return;
    const step = steps.find((s) => s.outputs.includes(id)) as PlannedStep;
    const version = generation.runtime === 'tfjs' ? 'TF.js' : generation.inferred ? 'an unstated Keras version' : `Keras ${generation.version}`;
    refuse(step.plan.layer, `a time-step mask reaching the model output (masked loss) in a file of ${version}, whose masked-loss divisor is not pinned`, 'mask', true);
  });
  const shared = new Set([...calls].filter(([, n]) => n > 1).map(([name]) => name));
  return { steps, inputs: graph.spec.inputs.length, outputs, tensors: masked.length, shared, outputMasked, maskedLoss };
}

/** A model input or output of one batch: float32 data and its shape. */
export interface BatchTensor {
  data: Float32Array;
  shape: number[];
  /** An output's time-step mask [batch][steps] (1 = kept), when one reaches it. */
  mask?: Uint8Array;
}

/**
 * One forward and backward pass of a plan (inside the caller's scratch scope): the layers'
 * forward passes, `outputGradients` (given the model outputs, returns a pointer to
 * d(loss)/d(output) for each), the backward passes in reverse order. Returns the outputs, the
 * gradients of the model inputs and the weight gradients by layer (summed over the calls of a
 * shared layer; layers the outputs do not depend on have none) (summed over the calls of a
 * shared layer; layers the outputs do not depend on have none), with the regularizers' penalties
 * (added to the gradients here) summed in `penalty`, which Keras adds to the loss.
 */
export function forwardBackward(
  ctx: TrainContext,
  plan: TrainingPlan,
  arrays: Map<string, Float32Array[]>,
  xs: BatchTensor[],
  outputGradients: (outputs: Activation[]) => number[],
): { outputs: Activation[]; dInputs: number[]; grads: Map<string, Float32Array[]>; updates: Map<string, StatisticsUpdate[]>; penalty: number } {
  const { memory } = ctx;
  let penalty = 0;
  // d(activity penalty)/d(output) of the steps with an activity regularizer
  const activityGrads = new Map<number, number>();
  const { steps } = plan;
  const { saved, acts, updates } = runForward(ctx, plan, arrays, xs);
  steps.forEach(({ activity, outputs }) => {
    if (!activity) return;
    const out = acts[outputs[0]];
    const n = sizeOf(out.shape);
    const g = memory.scratch(n * 4, true);
    penalty += memory.kernels.regularizerPenalty(out.ptr, n, activity.l1, activity.l2, activity.perBatch ? 1 / out.shape[0] : 1, g);
    activityGrads.set(outputs[0], g);
  });
  const modelOutputs = plan.outputs.map((i) => acts[i]);
  // d(loss)/d(tensor i)
  const pending: (number | undefined)[] = new Array(plan.tensors);
  const accumulate = (i: number, d: number) => {
    const have = pending[i];
    if (have === undefined) {
      pending[i] = d;
      return;
    }
    // a tensor read by several layers (or an output also read by a layer): sum the gradients into a fresh buffer (either may be shared)
    const n = sizeOf(acts[i].shape);
    const sum = memory.scratch(n * 4);
    memory.kernels.binaryF32(have, d, sum, n, KERNEL_CONSTANTS.BIN_ADD);
    pending[i] = sum;
  };
  outputGradients(modelOutputs).forEach((d, k) => accumulate(plan.outputs[k], d));
  for (const [i, g] of activityGrads) accumulate(i, g);
  const grads = new Map<string, Float32Array[]>();
  for (let i = steps.length - 1; i >= 0; i--) {
    const { plan: p, inputs, initialStates, outputs } = steps[i];
    if (outputs.every((o) => pending[o] === undefined)) continue;
    // an output nobody differentiates (a returned state, or the sequence when only a state is read) gets zeros
    const dOut = outputs.map((o) => pending[o] ?? memory.scratch(sizeOf(acts[o].shape) * 4, true));
    if ('multiInput' in p) {
      const r = p.backward(ctx, saved[i], dOut[0]);
      if (r.grads?.length) addGradients(memory, grads, p.layer.spec.name, r.grads);
      inputs.forEach((from, j) => accumulate(from, r.dInputs[j]));
    } else {
      const r = p.backward(ctx, saved[i], dOut[0], dOut.length > 1 ? dOut.slice(1) : undefined);
      if (r.grads.length) addGradients(memory, grads, p.layer.spec.name, r.grads);
      accumulate(inputs[0], r.dInput);
      if (initialStates) {
        if (!r.dStates) throw new UnsupportedKerasConfigurationError('the layer returned no initial-state gradients', { layer: p.layer.spec.name });
        r.dStates.forEach((d, k) => accumulate(inputs[inputs.length - initialStates + k], d));
      }
    }
  }
  // a shared layer's weights are regularized once, not per call
  const penalized = new Set<string>();
  for (const { plan: p, weightPenalties: list } of steps) {
    const name = p.layer.spec.name;
    if (penalized.has(name)) continue;
    penalized.add(name);
    if (list.length === 0 || !(ctx.isTrainable?.(name) ?? true)) continue;
    // Keras 3 regularizes trainable weights only (Layer._get_regularization_losses)
    const ws = arrays.get(name) ?? [];
    const gs = grads.get(name) ?? ws.map((w) => new Float32Array(w.length));
    for (const { index, l1, l2 } of list) {
      const g = ctx.put(gs[index]);
      penalty += memory.kernels.regularizerPenalty(ctx.put(ws[index]), ws[index].length, l1, l2, 1, g);
      gs[index] = memory.f32(g, ws[index].length).slice();
    }
    grads.set(name, gs);
  }
  const dInputs = xs.map((x, i) => pending[i] ?? memory.scratch(x.data.length * 4, true));
  return { outputs: modelOutputs, dInputs, grads, updates, penalty };
}

/** The layers' forward passes in execution order: every tensor of the plan, what backward needs, the moving-statistics updates. */
function runForward(ctx: TrainContext, plan: TrainingPlan, arrays: Map<string, Float32Array[]>, xs: BatchTensor[]): { saved: unknown[]; acts: Activation[]; updates: Map<string, StatisticsUpdate[]> } {
  const saved: unknown[] = [];
  const acts: Activation[] = xs.map((x) => ({ ptr: ctx.put(x.data), shape: x.shape.slice() }));
  const updates = new Map<string, StatisticsUpdate[]>();
  for (const { plan: p, inputs, initialStates, outputs, maskRule, maskless } of plan.steps) {
    const name = p.layer.spec.name;
    const ins = inputs.map((i) => (maskless ? { ptr: acts[i].ptr, shape: acts[i].shape } : acts[i]));
    if ('multiInput' in p) {
      const r = p.forward(ctx, ins, arrays.get(name) ?? []);
      saved.push(r.saved);
      acts[outputs[0]] = p.masks ? r.output : { ...r.output, ...mergedMask(ctx, ins, maskRule ?? 'and') };
    } else {
      const states = initialStates ? ins.slice(ins.length - initialStates) : undefined;
      const r = p.forward(ctx, ins[0], arrays.get(name) ?? [], states);
      saved.push(r.saved);
      acts[outputs[0]] = r.output;
      r.states?.forEach((s, k) => (acts[outputs[k + 1]] = s));
      if (r.updates) updates.set(name, r.updates);
    }
  }
  return { saved, acts, updates };
}

/**
 * The weight regularizers' loss of the trainable layers at their current weights (what Keras adds
 * to evaluate's loss); the gradients are not kept.
 */
export function weightRegularizationLoss(memory: WasmMemory, plan: TrainingPlan, arrays: Map<string, Float32Array[]>, trainable: (layer: string) => boolean): number {
  let total = 0;
  memory.beginScratch();
  try {
    const penalized = new Set<string>();
    for (const { plan: p, weightPenalties: list } of plan.steps) {
      if (penalized.has(p.layer.spec.name)) continue;
      penalized.add(p.layer.spec.name);
      if (list.length === 0 || !trainable(p.layer.spec.name)) continue;
      const ws = arrays.get(p.layer.spec.name) ?? [];
      for (const { index, l1, l2 } of list) {
        const n = ws[index].length;
        const w = memory.scratch(n * 4);
        memory.f32(w, n).set(ws[index]);
        total += memory.kernels.regularizerPenalty(w, n, l1, l2, 1, memory.scratch(n * 4, true));
      }
    }
  } finally {
    memory.endScratch();
  }
  return total;
}

/** The output mask of a merge under Keras' rule for the file's version (element-wise AND / OR, or none; Concatenate: AND). */
function mergedMask(ctx: TrainContext, inputs: Activation[], rule: 'and' | 'none' | 'or'): { mask?: number } {
  if (!inputs.some((x) => x.mask)) return {};
  const [B, T] = inputs[0].shape;
  const masks = inputs.map((x) => (x.mask ? { ptr: x.mask, batch: B, steps: T } : null));
  const m = mergeMasks(ctx.memory, masks, rule);
  return m ? { mask: m.ptr } : {};
}

/** Adds a call's weight gradients to a layer's (a shared layer's gradient is the sum over its calls). */
function addGradients(memory: WasmMemory, grads: Map<string, Float32Array[]>, layer: string, next: Float32Array[]): void {
  const have = grads.get(layer);
  if (!have) {
    grads.set(layer, next);
    return;
  }
  have.forEach((g, k) => {
    const n = g.length;
    const a = memory.scratch(n * 4);
    const b = memory.scratch(n * 4);
    memory.f32(a, n).set(g);
    memory.f32(b, n).set(next[k]);
    memory.kernels.binaryF32(a, b, a, n, KERNEL_CONSTANTS.BIN_ADD);
    have[k] = memory.f32(a, n).slice();
  });
}

/** One model output's loss and its weight in the total (Keras' `loss_weights`, default 1). */
export interface OutputLoss {
  loss: LossSpec;
  weight: number;
}

/** What one update reports: the total (weighted) loss and each output's loss, before the update. */
export interface BatchLoss {
  loss: number;
  /** Each output's own loss (unweighted), in the model's output order. */
  outputs: number[];
}

/** Recurrent layers that carry their state from chunk to chunk (layers/recurrent.ts, lstm.ts, cudnn.ts). */
const RECURRENT_LAYERS = ['LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU'];
/** Layers truncated BPTT runs through: the recurrent ones, layers that act on each step alone, and merges of them. */
const TBPTT_LAYERS = [...RECURRENT_LAYERS, 'Dense', 'Dropout', 'Activation', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'];

/**
 * The weights an optimizer updates, in the plan's execution order: every array of the trainable
 * layers except their moving statistics (BatchNormalization's moving mean / variance).
 */
export function optimizedVariables(plan: TrainingPlan, arrays: Map<string, Float32Array[]>, trainable: (layer: string) => boolean): { layer: string; index: number }[] {
  const out: { layer: string; index: number }[] = [];
  const seen = new Set<string>();
  for (const { plan: s } of plan.steps) {
    const name = s.layer.spec.name;
    // a shared layer's weights once
    if (!trainable(name) || seen.has(name)) continue;
    seen.add(name);
    const statistics = 'statistics' in s ? s.statistics : undefined;
    (arrays.get(name) ?? []).forEach((_, index) => {
      if (!statistics?.includes(index)) out.push({ layer: name, index });
    });
  }
  return out;
}

/** The model outputs of a step, copied out of scratch memory. */
export function copiedOutputs(memory: WasmMemory, plan: TrainingPlan, outs: Activation[]): BatchTensor[] {
  return outs.map((o, k) => ({ data: memory.f32(o.ptr, sizeOf(o.shape)).slice(), shape: o.shape.slice(), ...outputMask(memory, plan, k, o) }));
}

/**
 * Each output's loss (added to `loss`: the total is the sum of weight * output loss, Keras'
 * loss_weights) and d(total)/d(output). On a slice of a batch (`ctx.rows`, threads) each loss is
 * the slice's exact share of the whole batch's "sum_over_batch_size" mean, so the slices' losses
 * and gradients add up to one thread's.
 */
export function outputLossGradients(ctx: TrainContext, plan: TrainingPlan, losses: OutputLoss[], outs: Activation[], ys: Float32Array[], sampleWeights: (Float32Array | null)[], loss: BatchLoss): number[] {
  const { memory, rows } = ctx;
  const { maskedLoss } = plan;
  return outs.map((out, k) => {
    // Keras weights each step's loss by a time-step mask reaching the output (the divisor by version)
    const mask = plan.outputMasked[k] && out.mask && maskedLoss ? { ptr: out.mask, divisor: maskedLoss.loss } : null;
    const n = sizeOf(out.shape);
    const grad = memory.scratch(n * 4);
    const { loss: spec, weight } = losses[k];
    const values = rows ? (n / rows.count) * rows.total : 0;
    const batch = rows ? { values, rows: values / (out.shape[out.shape.length - 1] ?? 1) } : undefined;
    const value = lossInto(memory, spec, out.ptr, out.shape, ctx.put(ys[k]), ys[k], grad, sampleWeights[k] ?? null, mask, batch);
    if (weight !== 1) memory.kernels.scaleF32(grad, n, weight);
    loss.outputs.push(value);
    loss.loss += weight * value;
    return grad;
  });
}

/** Trains a planned model on batches; weights are updated in place in `arrays`. */
export class SequentialTrainer {
  /** The optimizer's state (slots, iterations) over {@link variables}. */
  readonly optimizer: OptimizerState;
  /** Weights the optimizer updates (trainable layers only), in execution order. */
  readonly variables: readonly { layer: string; index: number }[];
  protected seed: number;

  constructor(
    protected readonly memory: WasmMemory,
    protected readonly plan: TrainingPlan,
    protected arrays: Map<string, Float32Array[]>,
    protected readonly trainable: (layer: string) => boolean,
    optimizer: OptimizerSpec,
    protected readonly losses: OutputLoss[],
    seed: number,
  ) {
    if (losses.length !== plan.outputs.length) throw new InputError(`${losses.length} losses for ${plan.outputs.length} outputs`, { field: 'loss' });
    this.variables = optimizedVariables(plan, arrays, trainable);
    this.optimizer = new OptimizerState(memory, optimizer, this.variables.map((v) => (arrays.get(v.layer) as Float32Array[])[v.index].length));
    this.seed = seed >>> 0 || 1;
  }

  /** Trains these arrays from now on (after `setWeights`); the optimizer keeps its slots. */
  useWeights(arrays: Map<string, Float32Array[]>): void {
    this.arrays = arrays;
  }

  /** The model's outputs on the last batch trained (the training forward pass), for metrics. */
  lastOutputs: BatchTensor[] = [];

  /**
   * One update on a batch (one tensor per model input, one target per output); returns the
   * batch loss before the update: the sum of the outputs' losses times their weights, and each
   * output's own. `sampleWeights` (per output: one weight per sample, or null) weigh each
   * sample's loss and gradient (see losses.ts). With `tbptt` = k, truncated backpropagation
   * through time: the sequences are cut into chunks of k steps, each chunk is one update (forward
   * from the state the previous chunk ended in, backward within the chunk), as Deeplearning4j's
   * truncated BPTT does; the losses returned are means over timesteps.
   */
  trainOnBatch(xs: BatchTensor[], ys: Float32Array[], sampleWeights?: (Float32Array | null)[] | null, tbptt?: number): BatchLoss {
    const weights = sampleWeights ?? ys.map(() => null);
    if (tbptt === undefined) {
      const r = this.step(xs, ys, weights, undefined);
      this.lastOutputs = r.outputs;
      return r.loss;
    }
    const [B, T] = xs[0].shape;
    this.checkTbptt(xs, ys);
    const carry = new Map<string, unknown>();
    const total: BatchLoss = { loss: 0, outputs: ys.map(() => 0) };
    const outs: BatchTensor[] = [];
    const cut = (a: Float32Array, t0: number, len: number) => {
      const per = a.length / (B * T);
      const c = new Float32Array(B * len * per);
      for (let b = 0; b < B; b++) c.set(a.subarray((b * T + t0) * per, (b * T + t0 + len) * per), b * len * per);
      return c;
    };
    for (let t0 = 0; t0 < T; t0 += tbptt) {
      const len = Math.min(tbptt, T - t0);
      const chunk = xs.map((x) => ({ data: cut(x.data, t0, len), shape: [B, len, ...x.shape.slice(2)] }));
      const r = this.step(chunk, ys.map((y) => cut(y, t0, len)), weights, carry);
      total.loss += r.loss.loss * len;
      r.loss.outputs.forEach((l, k) => (total.outputs[k] += l * len));
      r.outputs.forEach((o, k) => {
        const per = o.data.length / (B * len);
        outs[k] ??= { data: new Float32Array(B * T * per), shape: [B, T, ...o.shape.slice(2)] };
        for (let b = 0; b < B; b++) outs[k].data.set(o.data.subarray(b * len * per, (b + 1) * len * per), (b * T + t0) * per);
      });
    }
    this.lastOutputs = outs;
    return { loss: total.loss / T, outputs: total.outputs.map((l) => l / T) };
  }

  /**
   * Truncated BPTT needs an output at every step: recurrent layers must return sequences, every
   * input and target is a sequence of the same steps, and only layers that work step by step
   * (and merges of them) are offered. Chunks carry each LSTM's state by layer, so shared layers
   * and initial / returned states are refused by name.
   */
  private checkTbptt(xs: BatchTensor[], ys: Float32Array[]): void {
    const { steps } = this.plan;
    const masked = this.plan.outputMasked.indexOf(true);
    if (masked >= 0) {
      const step = steps.find((s) => s.outputs.includes(this.plan.outputs[masked])) as PlannedStep;
      refuse(step.plan.layer, 'truncated BPTT with a time-step mask reaching the loss (Keras has no chunked masked loss to follow)', 'mask', true);
    }
    steps.forEach(({ plan: s, initialStates, outputs }) => {
      const l = s.layer;
      const kind = l.imported.className;
      const d = l.imported.details;
      if (!TBPTT_LAYERS.includes(kind)) refuse(l, `truncated BPTT through ${kind} layers`);
      if (this.plan.shared.has(l.spec.name)) refuse(l, 'truncated BPTT through a shared layer', 'inbound_nodes', this.plan.steps.filter((x) => x.plan === s).length);
      if (initialStates > 0 || outputs.length > 1) refuse(l, 'truncated BPTT with initial states or return_state', initialStates > 0 ? 'initial_state' : 'return_state', true);
      if (!RECURRENT_LAYERS.includes(kind)) return;
      if (d.returnSequences !== true) {
        refuse(l, `truncated BPTT through a ${kind} that does not return sequences (every chunk needs its own outputs and targets)`, 'return_sequences', false);
      }
      // a chunk's carried state is where the sequence's forward order left it
      if (d.goBackwards) refuse(l, `truncated BPTT through a ${kind} with go_backwards`, 'go_backwards', true);
    });
    const [B, T] = xs[0].shape;
    xs.forEach((x, i) => {
      if (x.shape.length !== 3 || x.shape[0] !== B || x.shape[1] !== T) {
        throw new InputError('truncated BPTT needs every input as sequences [batch, steps, features] of the same steps', { field: `x[${i}]`, value: x.shape });
      }
    });
    ys.forEach((y, i) => {
      if (y.length % (B * T) !== 0) throw new InputError('truncated BPTT needs targets for every step', { field: `y[${i}]`, value: y.length });
    });
  }

  protected step(xs: BatchTensor[], ys: Float32Array[], sampleWeights: (Float32Array | null)[], carry: Map<string, unknown> | undefined): { loss: BatchLoss; outputs: BatchTensor[] } {
    const { memory } = this;
    memory.beginScratch();
    try {
      const ctx = trainContext(memory, this.seed, this.trainable, carry);
      const loss: BatchLoss = { loss: 0, outputs: [] };
      let outputs: BatchTensor[] = [];
      const { grads, updates, penalty } = forwardBackward(ctx, this.plan, this.arrays, xs, (outs) => {
        outputs = copiedOutputs(memory, this.plan, outs);
        return outputLossGradients(ctx, this.plan, this.losses, outs, ys, sampleWeights, loss);
      });
      this.seed = ctx.seed;
      // Keras minimises and reports the loss plus the regularization losses
      loss.loss += penalty;
      this.optimizer.apply(
        this.variables.map((v) => (this.arrays.get(v.layer) as Float32Array[])[v.index]),
        // a layer the outputs do not depend on gets zero gradients
        this.variables.map((v) => grads.get(v.layer)?.[v.index] ?? new Float32Array((this.arrays.get(v.layer) as Float32Array[])[v.index].length)),
      );
      // moving statistics follow the batch (Keras updates them in training mode)
      for (const [layer, list] of updates) for (const u of list) (this.arrays.get(layer) as Float32Array[])[u.index].set(u.values);
      return { loss, outputs };
    } finally {
      memory.endScratch();
    }
  }
}

/** An output's time-step mask copied out of wasm memory, when the plan says one reaches it. */
function outputMask(memory: WasmMemory, plan: TrainingPlan, k: number, out: Activation): { mask?: Uint8Array } {
  if (!plan.outputMasked[k] || !out.mask) return {};
  return { mask: memory.u8(out.mask, out.shape[0] * out.shape[1]).slice() };
}

/**
 * The time-step masks of the model outputs for inputs `xs` (undefined for an output no mask
 * reaches): the layers' training forward pass, whose masks do not depend on dropout. For evaluate,
 * whose outputs come from the inference engine.
 */
export function outputMasks(memory: WasmMemory, plan: TrainingPlan, arrays: Map<string, Float32Array[]>, xs: BatchTensor[]): (Uint8Array | undefined)[] {
  if (!plan.outputMasked.some((m) => m)) return plan.outputs.map(() => undefined);
  memory.beginScratch();
  try {
    const ctx = trainContext(memory, 1);
    const acts = runForward(ctx, plan, arrays, xs).acts;
    return plan.outputs.map((id, k) => outputMask(memory, plan, k, acts[id]).mask);
  } finally {
    memory.endScratch();
  }
}

/** Checks a batch's x / y sizes against the model before training on it. */
export function checkBatch(x: { data: ArrayLike<number>; shape: number[] }, inputShape: (number | null)[], yLength: number, file: string, field = 'x'): void {
  if (!x || !Array.isArray(x.shape) || x.shape.length !== inputShape.length) {
    throw new InputError(`${field} must have the model input's rank ${inputShape.length}`, { file, field, value: x?.shape });
  }
  inputShape.forEach((d, i) => {
    if (i > 0 && d !== null && x.shape[i] !== d) throw new InputError(`${field} dimension ${i} must be ${d}`, { file, field, value: x.shape });
  });
  if (x.data.length !== x.shape.reduce((a, b) => a * b, 1)) throw new InputError(`${field} data does not fit its shape`, { file, field, value: x.data.length });
  if (yLength === 0) throw new InputError('y is empty', { file, field: 'y' });
}
