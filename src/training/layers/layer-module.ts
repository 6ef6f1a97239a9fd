import { UnsupportedKerasConfigurationError } from '../../errors.js';
import type { WasmMemory } from '../../wasm/memory.js';
import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
import { ActivationId, resolveActivation, type Activation as ResolvedActivation } from '../../keras/activations.js';
import { KERNEL_CONSTANTS } from '../../wasm/kernel-exports.js';

/**
 * The one interface every trainable layer kind implements (one module per kind under
 * src/training/layers/): a planner that reads the imported layer and refuses, by name, what it
 * cannot train; a forward pass that keeps what its backward pass needs; a backward pass giving the
 * input gradient and the weight gradients in Keras' order. The trainer only loops over these.
 */

/** A float32 tensor in wasm scratch memory, row-major. */
export interface Activation {
  ptr: number;
  shape: number[];
  /** Keras' time-step mask of a [B][T][...] tensor: u8 [B][T] in wasm memory (1 = kept), if any. */
  mask?: number;
}

/**
 * How a layer treats a time-step mask reaching it: `pass` keeps it on its output (Dense, Dropout,
 * recurrent layers returning sequences), `produce` makes one (Masking, Embedding mask_zero),
 * `consume` uses it and returns none (recurrent layers returning the last step), `refuse` cannot
 * take one (refused at planning).
 */
export type MaskHandling = 'pass' | 'produce' | 'consume' | 'refuse';

/** What a layer's passes share within one training step. */
export interface TrainContext {
  readonly memory: WasmMemory;
  /** State of the seeded generator of dropout masks; layers that draw masks advance it. */
  seed: number;
  /** Copies an array into scratch memory; returns its pointer. */
  put(a: Float32Array): number;
  /**
   * Truncated BPTT: what each recurrent layer (by name) carries from one chunk of a sequence to
   * the next (its last state, its per-sequence dropout masks); absent outside truncated BPTT.
   */
  carry?: Map<string, unknown>;
  /** Whether a layer's weights train in this step (false: frozen by `trainable`); default true. */
  isTrainable?(layer: string): boolean;
  /** The samples of the batch this step computes, when the batch is split over threads; absent: all. */
  rows?: BatchRows;
}

/** A contiguous slice of a batch's samples (one thread's share, see parallel-trainer.ts). */
export interface BatchRows {
  start: number;
  count: number;
  /** Samples in the whole batch. */
  total: number;
}

/**
 * Fills `n` floats at `ptr` (this step's samples, sample-major) from the seeded generator with
 * `draw(ptr, n, seed)` (a kernel returning the next seed), or adds its values to what is there
 * (`add`). Over a slice of the batch the whole batch's values are drawn and the slice's rows kept,
 * so that a sample's dropout mask or noise is the same whatever the thread count, and the
 * generator ends in the same state on every thread.
 */
export function drawForRows(ctx: TrainContext, ptr: number, n: number, draw: (ptr: number, n: number, seed: number) => number, add = false): void {
  const { rows, memory } = ctx;
  if (!rows || rows.count === rows.total) {
    ctx.seed = draw(ptr, n, ctx.seed) >>> 0;
    return;
  }
  const perSample = n / rows.count;
  const all = memory.scratch(perSample * rows.total * 4, add);
  ctx.seed = draw(all, perSample * rows.total, ctx.seed) >>> 0;
  const mine = all + rows.start * perSample * 4;
  if (add) memory.kernels.binaryF32(ptr, mine, ptr, n, KERNEL_CONSTANTS.BIN_ADD);
  else memory.kernels.copyF32(mine, ptr, n);
}

/**
 * A context for one step inside the caller's scratch scope (`put` copies into scratch memory);
 * `carry` is the truncated-BPTT state shared by the chunks of one batch.
 */
export function trainContext(memory: WasmMemory, seed: number, isTrainable?: (layer: string) => boolean, carry?: Map<string, unknown>): TrainContext {
  const put = (a: Float32Array) => {
    const p = memory.scratch(Math.max(1, a.length) * 4);
    memory.f32(p, a.length).set(a);
    return p;
  };
  return { memory, seed, put, ...(isTrainable ? { isTrainable } : {}), ...(carry ? { carry } : {}) };
}

/** New values of a layer's non-trainable statistics (BatchNormalization's moving averages) after a step. */
export interface StatisticsUpdate {
  /** Index of the weight in the layer's Keras order. */
  index: number;
  values: Float32Array;
}

/** One planned layer: its forward and backward passes and its weights' names in Keras' order. */
export interface TrainableLayer<Saved = unknown> {
  /** The Keras layer this plan trains. */
  readonly layer: GraphLayer;
  /** Names of the layer's weights in the order Keras stores them (what the gradients follow). */
  readonly weights: readonly string[];
  /** What the layer does with a mask (default `pass`). */
  readonly masks?: MaskHandling;
  /**
   * Indices of weights the optimizer leaves alone (moving statistics): the forward pass returns
   * their new values as `updates`, which the trainer writes after the step; their gradients are 0.
   */
  readonly statistics?: readonly number[];
  /**
   * Whether the layer takes initial states and returns its states (recurrent layers with
   * `initial_state` / `return_state`); the trainer refuses both for layers without it.
   */
  readonly states?: boolean;
  /**
   * Forward pass on `input` with the layer's current weights, keeping activations for backward.
   * `initial`: the initial states the call passes (Keras' order), if any; `states`: the states
   * returned after the output (`return_state`).
   */
  forward(ctx: TrainContext, input: Activation, weights: Float32Array[], initial?: Activation[]): { output: Activation; saved: Saved; updates?: StatisticsUpdate[]; states?: Activation[] };
  /**
   * Backward pass from d(loss)/d(output) at `dOutput` (and d(loss)/d(returned states) at
   * `dReturned`): d(loss)/d(input), the weight gradients, and d(loss)/d(initial states) when the
   * forward pass took some.
   */
  backward(ctx: TrainContext, saved: Saved, dOutput: number, dReturned?: number[]): { dInput: number; grads: Float32Array[]; dStates?: number[] };
}

/**
 * A layer with several inputs (merges: Add, Concatenate, ...; Dot; the attention layers): the
 * same contract as {@link TrainableLayer} with one activation and one gradient per input (in the
 * order of the call's inputs), and weight gradients for the layers that have weights.
 */
export interface MultiInputLayer<Saved = unknown> {
  readonly layer: GraphLayer;
  readonly weights: readonly string[];
  readonly multiInput: true;
  /**
   * Absent: a time-step mask on any input is refused at planning. Present: the layer reads its
   * inputs' masks (the attention layers) and its output carries the mask of input `outputFrom`
   * (-1: no mask).
   */
  readonly masks?: { outputFrom: number };
  forward(ctx: TrainContext, inputs: Activation[], weights: Float32Array[]): { output: Activation; saved: Saved };
  backward(ctx: TrainContext, saved: Saved, dOutput: number): { dInputs: number[]; grads?: Float32Array[] };
}

/** What a planner returns. */
export type PlannedLayer = TrainableLayer | MultiInputLayer;

/** A layer kind's planner: the plan of an imported layer, or a typed refusal naming the option. */
export type LayerPlanner = (layer: GraphLayer, generation: KerasGeneration) => PlannedLayer;

/** Throws the refusal of `what` for this layer (and the config field / value at fault). */
export function refuse(layer: GraphLayer, what: string, field?: string, value?: unknown): never {
  throw new UnsupportedKerasConfigurationError(`training does not support ${what} yet`, {
    layer: layer.spec.name,
    className: layer.imported.className,
    ...(field !== undefined ? { field, value } : {}),
  });
}

/**
 * A Keras activation as training runs it: an element-wise kernel id of assembly/activation-ids.ts
 * (with leaky_relu's slope), or SOFTMAX / LOG_SOFTMAX over the last axis. `fromOutput`: its
 * gradient is a function of its output (linear, tanh, sigmoid, relu, softmax, log_softmax), so
 * the pre-activation need not be kept; the others' gradients read the pre-activation.
 */
export interface ActivationFn {
  readonly id: number;
  readonly alpha: number;
  readonly fromOutput: boolean;
}

/** Kernel ids of the row-wise activations (beside the element-wise ACT_* ids). */
export const SOFTMAX = 100;
export const LOG_SOFTMAX = 101;
const FROM_OUTPUT = new Set<number>([ActivationId.linear, ActivationId.tanh, ActivationId.sigmoid, ActivationId.relu, SOFTMAX, LOG_SOFTMAX]);

/**
 * A layer's activation resolved as the inference import resolves it (hard_sigmoid by the file's
 * Keras version, gelu exact or approximate, leaky_relu's slope), or its refusal by name.
 */
export function activationOf(layer: GraphLayer, value: unknown, generation: KerasGeneration): ActivationFn {
  let a;
  try {
    a = resolveActivation(value, generation, { layer: layer.spec.name, className: layer.imported.className, field: 'activation' });
  } catch {
    refuse(layer, `the activation ${JSON.stringify(value)}`, 'activation', value);
  }
  if (a.kind !== 'elementwise' && a.axis !== -1) refuse(layer, `${a.name} over axis ${a.axis}`, 'activation', value);
  return activationFn(a);
}

/** The training form of an activation resolved by src/keras/activations.ts (softmaxes over the last axis). */
export function activationFn(a: ResolvedActivation): ActivationFn {
  if (a.kind !== 'elementwise') return { id: a.kind === 'softmax' ? SOFTMAX : LOG_SOFTMAX, alpha: 0, fromOutput: true };
  return { id: a.id, alpha: a.alpha, fromOutput: FROM_OUTPUT.has(a.id) };
}

/**
 * The activation of `n` floats at `pre` (rows of `cols` for the softmaxes): in place when the
 * caller owns `pre` and the gradient needs only the output, else into a new scratch buffer (the
 * pre-activation is kept for {@link activationGradient}). Returns the output's pointer.
 */
export function applyActivation(memory: WasmMemory, pre: number, n: number, cols: number, act: ActivationFn, owned: boolean): number {
  if (act.id === ActivationId.linear) return pre;
  let out = pre;
  if (!owned || !act.fromOutput) {
    out = memory.scratch(n * 4);
    memory.kernels.copyF32(pre, out, n);
  }
  if (act.id === SOFTMAX) memory.kernels.softmaxRows(out, n / cols, cols);
  else if (act.id === LOG_SOFTMAX) memory.kernels.logSoftmaxRows(out, n / cols, cols);
  else memory.kernels.activate(out, n, act.id, act.alpha);
  return out;
}

/** d(loss)/d(pre-activation) from d(loss)/d(output) at `dOut`, into a new scratch buffer. */
export function activationGradient(memory: WasmMemory, act: ActivationFn, pre: number, out: number, dOut: number, n: number, cols: number): number {
  const dz = memory.scratch(n * 4);
  const k = memory.kernels;
  if (act.id === LOG_SOFTMAX) k.logSoftmaxBackward(out, dOut, n / cols, cols, dz);
  else if (act.fromOutput) k.activationBackward(out, dOut, n, cols, act.id, dz);
  else k.activationBackwardFromInput(pre, dOut, n, act.id, act.alpha, dz);
  return dz;
}

/** A scratch work buffer for the Dense kernels (assembly/dense-train.ts) on x [M][K], W [K][N]. */
export function denseWork(memory: WasmMemory, M: number, K: number, N: number): number {
  return memory.scratch(memory.kernels.denseTrainWorkFloats(M, K, N) * 4);
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
