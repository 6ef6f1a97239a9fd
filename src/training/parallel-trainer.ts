import { InternalError } from '../errors.js';
import type { WasmMemory } from '../wasm/memory.js';
import { KERNEL_CONSTANTS } from '../wasm/kernel-exports.js';
import { splitRows } from '../engine/batch-workers.js';
import { copiedOutputs, forwardBackward, outputLossGradients, SequentialTrainer, type BatchLoss, type BatchTensor, type OutputLoss, type TrainingPlan } from './sequential-trainer.js';
import { refuse, trainContext } from './layers/layer-module.js';
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

/** One thread's share of a step: its loss shares, outputs and weight gradients. */
export interface SliceResult {
  loss: BatchLoss;
  outputs: BatchTensor[];
  grads: Map<string, Float32Array[]>;
  /** The generator state after the step (the same on every thread). */
  seed: number;
}

/**
 * BatchNormalization's batch statistics need every sample of the batch, and the regularizers'
 * penalties are the whole batch's (a weight penalty once per step, an activity penalty over the
 * batch size): refused with threads; every other layer computes each sample on its own.
 */
export function checkSplittable(plan: TrainingPlan): void {
  // a masked loss divides by the kept steps of the whole batch
  const masked = plan.steps.find((s) => plan.maskedLoss && s.outputs.some((id) => plan.outputMasked[plan.outputs.indexOf(id)]));
  if (masked) refuse(masked.plan.layer, 'threads > 1 with a time-step mask reaching the loss (its divisor counts the kept steps of the whole batch); load with threads: 1 to train it', 'threads');
  for (const { plan: p, weightPenalties, activity } of plan.steps) {
    if ('statistics' in p && p.statistics?.length) refuse(p.layer, 'threads > 1 with BatchNormalization in training (its batch statistics need the whole batch on one thread); load with threads: 1 to train it', 'threads');
    if (weightPenalties.length || activity) refuse(p.layer, 'threads > 1 with regularizers in training (their penalties are the whole batch\'s); load with threads: 1 to train it', weightPenalties.length ? 'kernel_regularizer' : 'activity_regularizer');
  }
}

/** Forward and backward pass of one slice of a batch (gradients only; no update). */
export function sliceGradients(
  memory: WasmMemory,
  plan: TrainingPlan,
  arrays: Map<string, Float32Array[]>,
  trainable: (layer: string) => boolean,
  losses: OutputLoss[],
  job: Omit<SliceJob, 'carry' | 'frozen'>,
  carry: Map<string, unknown> | undefined,
): SliceResult {
  memory.beginScratch();
  try {
    const ctx = trainContext(memory, job.seed, trainable, carry);
    ctx.rows = job.rows;
    const loss: BatchLoss = { loss: 0, outputs: [] };
    let outputs: BatchTensor[] = [];
    const { grads } = forwardBackward(ctx, plan, arrays, job.xs, (outs) => {
      outputs = copiedOutputs(memory, plan, outs);
      return outputLossGradients(ctx, plan, losses, outs, job.ys, job.sampleWeights, loss);
    });
    return { loss, outputs, grads, seed: ctx.seed };
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
    const [, plan, arrays, , , losses] = args;
    checkSplittable(plan);
    const trainer = new ParallelTrainer(...args);
    trainer.threads = await TrainThreads.start(from, arrays, { kernels, maxWasmBytes, variables: trainer.variables, losses });
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

  protected override step(xs: BatchTensor[], ys: Float32Array[], sampleWeights: (Float32Array | null)[], carry: Map<string, unknown> | undefined): { loss: BatchLoss; outputs: BatchTensor[] } {
    const { threads } = this;
    if (!threads) return super.step(xs, ys, sampleWeights, carry);
    const B = xs[0].shape[0];
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
      xs: xs.map((x) => ({ data: rowsOf(x.data, B, r0, r1), shape: [r1 - r0, ...x.shape.slice(1)] })),
      ys: ys.map((y) => rowsOf(y, B, r0, r1)),
      sampleWeights: sampleWeights.map((w) => (w ? w.slice(r0, r1) : null)),
      rows: { start: r0, count: r1 - r0, total: B },
      seed: this.seed,
      frozen,
    });
    for (let w = 1; w < ranges.length; w++) threads.post(w - 1, { ...slice(...ranges[w]), carry: carryState });
    const t0 = performance.now();
    let own: SliceResult | undefined;
    let failure: unknown;
    try {
      own = sliceGradients(this.memory, this.plan, this.arrays, this.trainable, this.losses, slice(...ranges[0]), carry);
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
    // each output's rows back in batch order (slices are contiguous)
    const outputs = mine.outputs.map((o, j) => {
      const parts = [o, ...replies.map((r) => r.outputs[j])];
      const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
      let at = 0;
      for (const p of parts) {
        data.set(p.data, at);
        at += p.data.length;
      }
      return { data, shape: [B, ...o.shape.slice(1)] };
    });
    const loss: BatchLoss = {
      loss: replies.reduce((total, r) => total + r.loss.loss, mine.loss.loss),
      outputs: mine.loss.outputs.map((l, j) => replies.reduce((total, r) => total + r.loss.outputs[j], l)),
    };
    return { loss, outputs };
  }

  /** Stops the worker threads. */
  dispose(): void {
    this.threads?.dispose();
  }
}
