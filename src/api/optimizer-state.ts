import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import type { KerasGeneration } from '../keras/generation.js';
import { optimizerFamily, optimizerFromConfig, type OptimizerSpec } from '../training/optimizers.js';
import {
  optimizerVariableLayout,
  restoreOptimizerState,
  slotKey,
  standaloneLayouts,
  type OptimizerStateLayout,
  type OptimizerTarget,
  type RestoredOptimizerState,
} from '../training/optimizer-variables.js';
import { optimizedVariables, planTraining, type SequentialTrainer } from '../training/sequential-trainer.js';
import type { SaveSource, TrainingForSaving, TrainingSource } from './model-info.js';

/**
 * The optimizer state of a model file, resumed at `compile` and written by `save`, as Keras does:
 * a model loaded with its optimizer state and compiled with the same optimizer continues from the
 * saved slots and iteration count (Keras 3 `.keras`: `optimizer/vars`; legacy `.h5`:
 * `optimizer_weights`). Layouts: src/training/optimizer-variables.ts.
 */

/** A trainable variable: layer (spec name) and index in the layer's arrays. */
export interface VariableRef {
  layer: string;
  index: number;
}

/** How compile treats a file's optimizer state: resume it (default) or start a fresh optimizer. */
export type OptimizerStateOption = 'resume' | 'fresh';

/** Depth-first rank of each leaf layer in the saved-layer tree (Keras' `model.layers` order). */
function layerRanks(model: SaveSource): Map<string, number> {
  const ranks = new Map<string, number>();
  const walk = (list: readonly { specName?: string; children?: unknown[] }[]) => {
    for (const s of list) {
      if (s.children) walk(s.children as typeof list);
      else if (s.specName !== undefined) ranks.set(s.specName, ranks.size);
    }
  };
  walk(model.graphForSaving.spec.savedLayers ?? []);
  for (const l of model.graphForSaving.layers) if (!ranks.has(l.spec.name)) ranks.set(l.spec.name, ranks.size);
  return ranks;
}

/** Variables in Keras' `model.trainable_variables` order (layers in model order, arrays in layer order). */
export function kerasVariableOrder(model: SaveSource, variables: readonly VariableRef[]): VariableRef[] {
  const ranks = layerRanks(model);
  const rank = (v: VariableRef) => ranks.get(v.layer) ?? Number.MAX_SAFE_INTEGER;
  return [...variables].sort((a, b) => rank(a) - rank(b) || a.index - b.index);
}

function shapeOf(model: SaveSource, v: VariableRef): number[] {
  const layer = model.graphForSaving.layers.find((l) => l.spec.name === v.layer);
  return layer?.imported.weights[v.index]?.shape.slice() ?? [];
}

/** The layout a file of `generation` keeps an optimizer state in (null: not written by kerasrnn). */
export function stateLayoutOf(generation: KerasGeneration, format: 'keras' | 'h5'): OptimizerStateLayout | null {
  if (format === 'keras') return 'keras3';
  if (generation.major < 2) return null;
  const family = optimizerFamily(generation);
  return family === 'keras3' ? 'keras3' : family === 'tf-keras-v2' ? 'tf-keras-v2' : null;
}

/** The name Keras gives the optimizer's variables: its config's `name`, else Keras' default. */
export function optimizerVariablePrefix(spec: OptimizerSpec, entry: unknown, layout: OptimizerStateLayout): string {
  const config = (entry as { config?: { name?: unknown } } | null)?.config;
  if (typeof config?.name === 'string' && config.name) return config.name;
  if (layout === 'keras3') return spec.name;
  return { sgd: 'SGD', rmsprop: 'RMSprop', adam: 'Adam', adamw: 'AdamW', adagrad: 'Adagrad' }[spec.name];
}

function sameOptimizer(spec: OptimizerSpec, fileEntry: unknown, generation: KerasGeneration): boolean {
  try {
    return optimizerFromConfig(fileEntry, generation).name === spec.name;
  } catch {
    return false;
  }
}

/**
 * At compile: the file's optimizer state for the compiled optimizer, when the model's file holds
 * one and compile uses the optimizer class of the file's training configuration (another class is
 * a new optimizer, which starts fresh in Keras too). A state that does not fit is refused by name.
 */
export function resumedOptimizerState(model: TrainingSource, spec: OptimizerSpec, option: OptimizerStateOption | undefined): RestoredOptimizerState | null {
  if (option !== undefined && option !== 'resume' && option !== 'fresh') {
    throw new InputError('optimizerState must be "resume" or "fresh"', { file: model.fileName, field: 'optimizerState', value: option });
  }
  const state = model.stored.optimizerState;
  const fileEntry = model.stored.trainingConfig?.optimizer;
  if (option === 'fresh' || !state || fileEntry === undefined || fileEntry === null || !sameOptimizer(spec, fileEntry, model.generation)) return null;
  const plan = planTraining(model.graphForSaving, model.generation);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const arrays = model.stored.arrays as Map<string, Float32Array[]>;
  const order = kerasVariableOrder(model, optimizedVariables(plan, arrays, (layer) => byName.get(layer)?.trainable !== false));
  const targets: OptimizerTarget[] = order.map((v) => ({ path: `${v.layer}/${model.graphForSaving.layers.find((l) => l.spec.name === v.layer)?.imported.weights[v.index]?.name ?? v.index}`, shape: shapeOf(model, v) }));
  const describe = `${spec.name} optimizer over ${targets.length} trainable variables`;
  const isArchive = state.source === 'optimizer/vars';
  const layout = stateLayoutOf(model.generation, isArchive ? 'keras' : 'h5');
  const name = optimizerVariablePrefix(spec, fileEntry, layout ?? 'tf-keras-v2');
  const family = optimizerFamily(model.generation);
  if (layout === null && family !== 'standalone') {
    throw new UnsupportedKerasConfigurationError(
      `reading the optimizer state of a Keras ${model.generation.version} file is not implemented; compile({ optimizerState: 'fresh' }) starts a fresh optimizer instead`,
      { file: model.fileName, field: state.source },
    );
  }
  const layouts = layout === null ? standaloneLayouts(spec, targets) : [optimizerVariableLayout(spec, name, targets, layout), optimizerVariableLayout(spec, name, targets, layout, false)];
  return { ...restoreOptimizerState(state, layouts, describe, model.fileName), order };
}

/** Puts a resumed state into a new trainer's optimizer (slots by Keras order -> the trainer's order). */
export function applyResumedState(trainer: SequentialTrainer, resumed: RestoredOptimizerState): void {
  const position = new Map(trainer.variables.map((v, i) => [`${v.layer}#${v.index}`, i]));
  (resumed.order ?? []).forEach((v, k) => {
    const i = position.get(`${v.layer}#${v.index}`);
    if (i === undefined) return;
    for (let slot = 0; slot < 3; slot++) {
      const values = resumed.slots.get(slotKey(k, slot));
      if (values) trainer.optimizer.setSlotValues(i, slot, values);
    }
  });
  trainer.optimizer.iterations = resumed.iterations;
}

/**
 * The optimizer's variables as `layout` stores them, with their current values (an optimizer that
 * has not run, nor resumed a state, is written as Keras writes an unbuilt one). `paths` names the
 * trainable variables (tf.keras' weight names without `:0`).
 */
export function optimizerVariablesForSaving(
  model: SaveSource,
  opt: TrainingForSaving,
  layout: OptimizerStateLayout,
  pathOf: (v: VariableRef) => string,
): { name: string; variables: { name: string; shape: readonly number[]; data: Float32Array | BigInt64Array }[] } {
  const { spec, trainer, resumed } = opt;
  const built = trainer !== null || (resumed !== null && resumed.slots.size > 0);
  const order = trainer ? kerasVariableOrder(model, trainer.variables) : (resumed?.order ?? []);
  const position = new Map((trainer?.variables ?? []).map((v, i) => [`${v.layer}#${v.index}`, i]));
  const targets = order.map((v) => ({ path: pathOf(v), shape: shapeOf(model, v) }));
  const name = optimizerVariablePrefix(spec, opt.entry, layout);
  const iterations = trainer ? trainer.optimizer.iterations : (resumed?.iterations ?? 0);
  const slot = (k: number, s: number): Float32Array => {
    if (trainer) return trainer.optimizer.slotValues(position.get(`${order[k].layer}#${order[k].index}`) as number, s);
    const n = targets[k].shape.reduce((a, b) => a * b, 1);
    return resumed?.slots.get(slotKey(k, s)) ?? new Float32Array(n).fill(spec.name === 'adagrad' ? spec.initialAccumulator : 0);
  };
  const variables = optimizerVariableLayout(spec, name, targets, layout, built).map((e) => ({
    name: e.name,
    shape: e.shape,
    data: e.role.kind === 'iterations' ? BigInt64Array.of(BigInt(iterations)) : e.role.kind === 'slot' ? slot(e.role.variable, e.role.slot) : Float32Array.of(spec.learningRate),
  }));
  return { name, variables };
}
