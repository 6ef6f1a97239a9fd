import { UnsupportedKerasConfigurationError } from '../../errors.js';
import type { WasmMemory } from '../../wasm/memory.js';
import type { GraphLayer } from '../../graph/build-graph.js';
import type { KerasGeneration } from '../../keras/generation.js';
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
  /** Forward pass on `input` with the layer's current weights, keeping activations for backward. */
  forward(ctx: TrainContext, input: Activation, weights: Float32Array[]): { output: Activation; saved: Saved; updates?: StatisticsUpdate[] };
  /** Backward pass from d(loss)/d(output) at `dOutput`: d(loss)/d(input) and the weight gradients. */
  backward(ctx: TrainContext, saved: Saved, dOutput: number): { dInput: number; grads: Float32Array[] };
}

/**
 * A layer with several inputs (merges: Add, Concatenate, ...): the same contract as
 * {@link TrainableLayer} with one activation and one gradient per input. No weights.
 */
export interface MultiInputLayer<Saved = unknown> {
  readonly layer: GraphLayer;
  readonly weights: readonly string[];
  readonly multiInput: true;
  forward(ctx: TrainContext, inputs: Activation[]): { output: Activation; saved: Saved };
  backward(ctx: TrainContext, saved: Saved, dOutput: number): { dInputs: number[] };
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

/** Activations whose gradient assembly/backward.ts implements, with their kernel ids (100: softmax over the last axis). */
export const ACTIVATIONS: Record<string, number> = { linear: 0, tanh: 1, sigmoid: 2, relu: 5, softmax: 100 };

/** The kernel id of a layer's activation, or its refusal. */
export function activationOf(layer: GraphLayer, name: unknown): number {
  const id = typeof name === 'string' ? ACTIVATIONS[name] : undefined;
  if (id === undefined) refuse(layer, `the activation ${String(name)}`, 'activation', name);
  return id;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Applies activation `id` in place to `n` floats at `ptr` (rows of `cols` for softmax). */
export function activateInPlace(memory: WasmMemory, ptr: number, n: number, cols: number, id: number): void {
  if (id === 100) memory.kernels.softmaxRows(ptr, n / cols, cols);
  else if (id !== 0) memory.kernels.activate(ptr, n, id, 0);
}
