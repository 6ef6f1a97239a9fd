import { InternalError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';
import { splitRows } from '../engine/batch-workers.js';
import { lossInto, type LossSpec } from './losses.js';
import { forwardBackward, SequentialTrainer, type TrainingPlan } from './sequential-trainer.js';
import { refuse, sizeOf, trainContext, type BatchRows } from './layers/layer-module.js';
import { TrainThreads, type SliceJob, type ThreadsSource, type Variable } from './train-threads.js';

/**
 * Data-parallel training steps (loadModel's `threads` option): each batch (each truncated-BPTT
 * chunk) is cut into contiguous slices of samples, one per thread; the calling thread computes
 * the first slice while the workers (train-threads.ts) compute the others, each a forward and
 * backward pass in its own wasm instance. Every slice's loss and output gradient are its exact
 * share of the whole batch's "sum_over_batch_size" mean (lossInto's `batch` denominators), so the
 * weight gradients only need adding: the calling thread sums them in slice order (a wasm add,
 * the same order every step, so a given thread count is deterministic), applies the optimizer
 * once and hands the new weights to the workers through shared memory before the next step.
 * Dropout masks and noise are drawn for the whole batch on every thread and sliced (drawForRows),
 * so they do not depend on the thread count. Differences from one thread: the order in which the
 * batch's samples are summed (float32 rounding).
 */

/** What a SequentialTrainer is made from (memory, plan, weights, trainable, optimizer, loss, seed). */
export type TrainerArguments = ConstructorParameters<typeof SequentialTrainer>;

/** One thread's share of a step: its loss share, outputs and weight gradients. */
export interface SliceResult {
  loss: number;
  output: { data: Float32Array; shape: number[] };
  grads: Map<string, Float32Array[]>;
  /** The generator state after the step (the same on every thread). */
  seed: number;
}

/**
 * BatchNormalization's batch statistics need every sample of the batch: refused with threads
 * (the only layer with `statistics`; every other layer computes each sample on its own).
 */
export function checkSplittable(plan: TrainingPlan): void {
  for (const { plan: p } of plan.steps) {
    if ('statistics' in p && p.statistics?.length) refuse(p.layer, 'threads > 1 with BatchNormalization in training (its batch statistics need the whole batch on one thread); load with threads: 1 to train it', 'threads');
  }
}

/** Forward and backward pass of one slice of a batch (gradients only; no update). */
export function sliceGradients(
  memory: WasmMemory,
  plan: TrainingPlan,
  arrays: Map<string, Float32Array[]>,
  trainable: (layer: string) => boolean,
  loss: LossSpec,
  job: Omit<SliceJob, 'carry' | 'frozen'>,
  carry: Map<string, unknown> | undefined,
): SliceResult {
  const { x, xShape, y, sampleWeights, rows } = job;
  memory.beginScratch();
  try {
    const ctx = trainContext(memory, job.seed, trainable, carry);
    ctx.rows = rows;
    let lossShare = 0;
    let output = { data: new Float32Array(0), shape: [] as number[] };
    const { grads } = forwardBackward(ctx, plan, arrays, x, xShape, (out) => {
      const n = sizeOf(out.shape);
      const grad = memory.scratch(n * 4);
      const values = (n / rows.count) * rows.total;
      const batch = { values, rows: values / (out.shape[out.shape.length - 1] ?? 1) };
      lossShare = lossInto(memory, loss, out.ptr, out.shape, ctx.put(y), y, grad, sampleWeights, batch);
      output = { data: memory.f32(out.ptr, n).slice(), shape: out.shape.slice() };
      return grad;
    });
    return { loss: lossShare, output, grads, seed: ctx.seed };
  } finally {
    memory.endScratch();
  }
}

/** Rows [r0, r1) of a sample-major array of `samples` samples, as a new array. */
function rowsOf(a: Float32Array, samples: number, r0: number, r1: number): Float32Array {
  const per = a.length / samples;
  return a.slice(r0 * per, r1 * per);
}

/** A SequentialTrainer whose steps are split over threads; see the file comment. */
export class ParallelTrainer extends SequentialTrainer {
  /** Summed gradients and one slice's, all variables back to back (persistent wasm memory). */
  private readonly sum: number;
  private readonly part: number;
  private readonly offsets: number[] = [];
  private readonly floats: number;
  private lastCarry: Map<string, unknown> | undefined;

  private threads: TrainThreads | null = null;

  /**
   * A trainer whose steps run on `from.threads` threads (where threads cannot start, outside
   * Node.js, its steps are SequentialTrainer's).
   */
  static async create(args: TrainerArguments, from: ThreadsSource, kernels: string, maxWasmBytes: number): Promise<ParallelTrainer> {
    const [, plan, arrays, , , loss] = args;
    checkSplittable(plan);
    const trainer = new ParallelTrainer(...args);
    trainer.threads = await TrainThreads.start(from, arrays, { kernels, maxWasmBytes, variables: trainer.variables, loss });
    return trainer;
  }

  private constructor(...args: TrainerArguments) {
    super(...args);
    const memory = args[0];
    let n = 0;
    for (const v of this.variables) {
      this.offsets.push(n);
      n += this.variable(v).length;
    }
    this.floats = n;
    this.sum = memory.alloc(Math.max(1, n) * 4);
    this.part = memory.alloc(Math.max(1, n) * 4);
  }

  private variable(v: Variable): Float32Array {
    return (this.arrays.get(v.layer) as Float32Array[])[v.index];
  }

  protected override step(x: Float32Array, xShape: number[], y: Float32Array, sampleWeights: Float32Array | null, carry: Map<string, unknown> | undefined): { loss: number; output: { data: Float32Array; shape: number[] } } {
    const { threads } = this;
    if (!threads) return super.step(x, xShape, y, sampleWeights, carry);
    const B = xShape[0];
    const ranges = splitRows(B, Math.min(threads.count + 1, B));
    const carryState: SliceJob['carry'] = carry === undefined ? 'none' : carry === this.lastCarry ? 'continue' : 'new';
    this.lastCarry = carry;
    // the weights as they are now (after the last update, setWeights or a re-initialised layer)
    for (const [name, list] of this.arrays) {
      const shared = threads.weights.get(name);
      if (shared) list.forEach((a, i) => shared[i].set(a));
    }
    const frozen = this.plan.steps.map((s) => s.plan.layer.spec.name).filter((name) => !this.trainable(name));
    const slice = (r0: number, r1: number): Omit<SliceJob, 'carry'> => ({
      x: rowsOf(x, B, r0, r1),
      xShape: [r1 - r0, ...xShape.slice(1)],
      y: rowsOf(y, B, r0, r1),
      sampleWeights: sampleWeights ? sampleWeights.slice(r0, r1) : null,
      rows: { start: r0, count: r1 - r0, total: B },
      seed: this.seed,
      frozen,
    });
    for (let w = 1; w < ranges.length; w++) threads.post(w - 1, { ...slice(...ranges[w]), carry: carryState });
    const t0 = performance.now();
    let own: SliceResult | undefined;
    let failure: unknown;
    try {
      own = sliceGradients(this.memory, this.plan, this.arrays, this.trainable, this.loss, slice(...ranges[0]), carry);
    } catch (e) {
      failure = e;
    }
    const waited = performance.now() - t0;
    // every worker's reply is taken, even after a failure, so that none is left for the next step
    const replies: ReturnType<TrainThreads['collect']>[] = [];
    for (let w = 0; w + 1 < ranges.length; w++) {
      try {
        replies.push(threads.collect(w, waited));
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined || !own) throw failure;
    const mine = own;
    const { memory } = this;
    const k = memory.kernels;
    // the calling thread's gradients, then each worker's added in slice order
    this.variables.forEach((v, i) => {
      const g = mine.grads.get(v.layer)?.[v.index];
      const at = memory.f32(this.sum + this.offsets[i] * 4, this.variable(v).length);
      if (g) at.set(g);
      else at.fill(0);
    });
    replies.forEach((r, w) => {
      if (r.seed !== mine.seed) throw new InternalError('training threads disagree on the dropout generator state');
      memory.f32(this.part, this.floats).set(threads.grads[w]);
      k.binaryF32(this.sum, this.part, this.sum, this.floats, KERNEL_CONSTANTS.BIN_ADD);
    });
    this.seed = mine.seed;
    const grads = this.variables.map((v, i) => memory.f32(this.sum + this.offsets[i] * 4, this.variable(v).length));
    this.optimizer.apply(this.variables.map((v) => this.variable(v)), grads);
    const outputs = [mine.output, ...replies.map((r) => r.output)];
    const data = new Float32Array(outputs.reduce((n, o) => n + o.data.length, 0));
    let at = 0;
    for (const o of outputs) {
      data.set(o.data, at);
      at += o.data.length;
    }
    const loss = replies.reduce((total, r) => total + r.loss, mine.loss);
    return { loss, output: { data, shape: [B, ...mine.output.shape.slice(1)] } };
  }

  /** Stops the worker threads. */
  dispose(): void {
    this.threads?.dispose();
  }
}
