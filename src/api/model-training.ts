import { InputError } from '../errors.js';
import { instantiateKernels } from '../wasm/wasm-module.js';
import { WasmMemory } from '../wasm/memory.js';
import { lossFromConfig, type LossSpec } from '../training/losses.js';
import { optimizerFromConfig, type OptimizerSpec } from '../training/optimizers.js';
import { checkBatch, planTraining, SequentialTrainer } from '../training/sequential-trainer.js';
import type { TrainingSource } from './model-info.js';
import type { TensorInput } from '../types/tensor.js';
import { checkNumericData } from './validate-input.js';

/** Options of {@link Model.compile}. */
export interface CompileOptions {
  /** `"adam"`, `"sgd"`, `"rmsprop"`, `"adamw"`, `"adagrad"` or a Keras config `{ class_name, config }`. */
  optimizer: string | { class_name: string; config?: Record<string, unknown> };
  /** A Keras loss name (`"mse"`, `"categorical_crossentropy"`, ...) or `{ class_name, config }`. */
  loss: string | { class_name: string; config?: Record<string, unknown> };
  /** Seed of the dropout masks and of fit's shuffling (default 1). */
  seed?: number;
}

/** Options of {@link Model.fit}. */
export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Shuffle the samples before each epoch (seeded by compile's `seed`); default true. */
  shuffle?: boolean;
}

/** What a compiled model keeps for training. */
export interface TrainingSetup {
  optimizer: OptimizerSpec;
  loss: LossSpec;
  seed: number;
  trainer?: SequentialTrainer;
}

/** Validates compile's arguments against the model; refuses what training does not support. */
export function compileModel(model: TrainingSource, options: CompileOptions): TrainingSetup {
  if (!options || typeof options !== 'object') throw new InputError('compile takes { optimizer, loss }', { file: model.fileName, field: 'options' });
  if (!model.stored.arrays) throw new InputError('the model was loaded without weights: nothing to train', { file: model.fileName });
  planTraining(model.graphForSaving, model.generation);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new InputError('seed must be an integer', { file: model.fileName, field: 'seed', value: seed });
  return { optimizer: optimizerFromConfig(options.optimizer, model.generation), loss: lossFromConfig(options.loss), seed };
}

function tensorOf(t: TensorInput | undefined, what: string, file: string): { data: Float32Array; shape: number[] } {
  if (!t || typeof t !== 'object' || !Array.isArray(t.shape) || !t.data) throw new InputError(`${what} must be { data, shape }`, { file, field: what });
  checkNumericData(t.data, { file, field: what });
  const data = Float32Array.from(t.data as ArrayLike<number>);
  if (!data.every(Number.isFinite)) throw new InputError(`${what} holds NaN or infinite values`, { file, field: what });
  if (data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new InputError(`${what} data does not fit its shape`, { file, field: what, value: t.shape });
  return { data, shape: t.shape.slice() };
}

async function trainerOf(model: TrainingSource, setup: TrainingSetup): Promise<SequentialTrainer> {
  if (!setup.trainer) {
    const memory = new WasmMemory(await instantiateKernels(model.info.kernels ?? 'simd'), model.maxWasmBytes);
    const byName = new Map(model.layers.map((l) => [l.name, l]));
    setup.trainer = new SequentialTrainer(
      memory,
      planTraining(model.graphForSaving, model.generation),
      model.stored.arrays as Map<string, Float32Array[]>,
      (layer) => byName.get(layer)?.trainable !== false,
      setup.optimizer,
      setup.loss,
      setup.seed,
    );
  }
  return setup.trainer;
}

/** One update on (x, y); returns the loss before it. */
export async function trainOnBatch(model: TrainingSource, setup: TrainingSetup, x: TensorInput, y: TensorInput): Promise<number> {
  const xs = tensorOf(x, 'x', model.fileName);
  const ys = tensorOf(y, 'y', model.fileName);
  checkBatch(xs, model.inputs[0].shape, ys.data.length, model.fileName);
  const trainer = await trainerOf(model, setup);
  return trainer.trainOnBatch(xs.data, xs.shape, ys.data);
}

/** Epochs of mini-batch updates; returns the loss of each epoch (mean over samples). */
export async function fitModel(model: TrainingSource, setup: TrainingSetup, x: TensorInput, y: TensorInput, options: FitOptions): Promise<{ loss: number[] }> {
  const xs = tensorOf(x, 'x', model.fileName);
  const ys = tensorOf(y, 'y', model.fileName);
  checkBatch(xs, model.inputs[0].shape, ys.data.length, model.fileName);
  const epochs = options.epochs ?? 1;
  const batchSize = options.batchSize ?? 32;
  for (const [k, v] of [['epochs', epochs], ['batchSize', batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`${k} must be an integer >= 1`, { file: model.fileName, field: k, value: v });
  }
  const samples = xs.shape[0];
  if (ys.shape[0] !== samples) throw new InputError(`x has ${samples} samples, y has ${ys.shape[0]}`, { file: model.fileName, field: 'y', value: ys.shape });
  const xRow = xs.data.length / samples;
  const yRow = ys.data.length / samples;
  const trainer = await trainerOf(model, setup);
  const order = Array.from({ length: samples }, (_, i) => i);
  let state = setup.seed >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const history: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (options.shuffle !== false) {
      for (let i = samples - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    let total = 0;
    for (let start = 0; start < samples; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const bx = new Float32Array(rows.length * xRow);
      const by = new Float32Array(rows.length * yRow);
      rows.forEach((r, i) => {
        bx.set(xs.data.subarray(r * xRow, (r + 1) * xRow), i * xRow);
        by.set(ys.data.subarray(r * yRow, (r + 1) * yRow), i * yRow);
      });
      total += trainer.trainOnBatch(bx, [rows.length, ...xs.shape.slice(1)], by) * rows.length;
    }
    history.push(total / samples);
  }
  return { loss: history };
}
