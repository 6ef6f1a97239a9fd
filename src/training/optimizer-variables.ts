import { UnsupportedKerasConfigurationError } from '../errors.js';
import type { OptimizerSpec } from './optimizers.js';

/**
 * An optimizer's state as Keras stores it in a saved file, one list of variables per layout:
 * - `keras3`: Keras 3's `optimizer.variables` (`.keras` `model.weights.h5` group `optimizer/vars`,
 *   datasets "0".."n-1"; Keras 3's legacy `.h5` `optimizer_weights` by `variable.path`): the int64
 *   `iteration`, the float32 `learning_rate` (absent under a schedule), then the slot variables as
 *   `build()` creates them through `add_optimizer_variables`: one call per slot group, each call
 *   interleaving its slots variable by variable (Adam: momentum, velocity of each variable, then
 *   every velocity_hat with AMSGrad; RMSprop: velocities, then momentums, then average gradients;
 *   SGD: momentums only when momentum != 0; Adagrad: accumulators);
 * - `tf-keras-v2`: tf.keras 2.0-2.10 `optimizer.weights` (legacy `.h5` `optimizer_weights`):
 *   `<Name>/iter:0`, then each slot for every variable before the next slot (`_create_slots`):
 *   `<Name>/<variable>/<slot>:0` with slots m, v, vhat / rms, momentum, mg / momentum / accumulator.
 * Variables are the model's trainable ones in Keras' order (`model.trainable_variables`).
 * Keras loads both by position, checking shapes.
 */
export type OptimizerStateLayout = 'keras3' | 'tf-keras-v2';

/** One trainable variable of the model: a path naming it and its shape. */
export interface OptimizerTarget {
  /** `lstm/lstm_cell/kernel` (tf.keras' variable name without `:0`). */
  path: string;
  shape: readonly number[];
}

/** What one stored optimizer variable holds. */
export type OptimizerVariableRole = { kind: 'iterations' } | { kind: 'learning_rate' } | { kind: 'slot'; variable: number; slot: number } | { kind: 'unused' };

/** One stored optimizer variable: its name in the file, shape, and role. */
export interface OptimizerVariableEntry {
  name: string;
  shape: readonly number[];
  role: OptimizerVariableRole;
}

/** Slot groups: each group is one `add_optimizer_variables` call, `[slot index, Keras 3 name, tf.keras 2 name]`. */
function slotGroups(spec: OptimizerSpec): [number, string, string][][] {
  switch (spec.name) {
    case 'sgd':
      return spec.momentum !== 0 ? [[[0, 'momentum', 'momentum']]] : [];
    case 'rmsprop':
      return [[[0, 'velocity', 'rms']], ...(spec.momentum > 0 ? [[[1, 'momentum', 'momentum'] as [number, string, string]]] : []), ...(spec.centered ? [[[2, 'average_gradient', 'mg'] as [number, string, string]]] : [])];
    case 'adagrad':
      return [[[0, 'accumulator', 'accumulator']]];
    default:
      return [
        [
          [0, 'momentum', 'm'],
          [1, 'velocity', 'v'],
        ],
        ...(spec.amsgrad ? [[[2, 'velocity_hat', 'vhat'] as [number, string, string]]] : []),
      ];
  }
}

/**
 * The variables Keras stores for `spec` over `targets`, in order; `built: false` gives those of an
 * optimizer that has not run yet (Keras 3: iteration and learning rate; tf.keras 2: none).
 */
export function optimizerVariableLayout(spec: OptimizerSpec, name: string, targets: readonly OptimizerTarget[], layout: OptimizerStateLayout, built = true): OptimizerVariableEntry[] {
  const out: OptimizerVariableEntry[] = [];
  const groups = slotGroups(spec);
  if (layout === 'keras3') {
    out.push({ name: `${name}/iteration`, shape: [], role: { kind: 'iterations' } });
    if (!spec.schedule) out.push({ name: `${name}/learning_rate`, shape: [], role: { kind: 'learning_rate' } });
    if (!built) return out;
    for (const group of groups) {
      targets.forEach((t, variable) => {
        for (const [slot, slotName] of group) out.push({ name: `${name}/${t.path.replace(/\//g, '_')}_${slotName}`, shape: t.shape, role: { kind: 'slot', variable, slot } });
      });
    }
    return out;
  }
  if (!built) return out;
  out.push({ name: `${name}/iter:0`, shape: [], role: { kind: 'iterations' } });
  for (const [slot, , slotName] of groups.flat()) {
    targets.forEach((t, variable) => out.push({ name: `${name}/${t.path}/${slotName}:0`, shape: t.shape, role: { kind: 'slot', variable, slot } }));
  }
  return out;
}

/** One variable of a file's optimizer state (read lazily). */
export interface StoredOptimizerVariable {
  name: string;
  shape: readonly number[];
  read(): Float32Array;
}

/** The optimizer state a model file holds. */
export interface FileOptimizerState {
  /** Where: `optimizer/vars` (`.keras`) or `optimizer_weights` (legacy `.h5`). */
  source: string;
  variables: readonly StoredOptimizerVariable[];
}

/** A restored state: the iteration count and the slot values by [variable][slot]. */
export interface RestoredOptimizerState {
  iterations: number;
  slots: Map<string, Float32Array>;
  /** The model variables the slots belong to, in the layout's order (layer, index in its arrays). */
  order?: readonly { layer: string; index: number }[];
}

/** Key of a slot in {@link RestoredOptimizerState.slots}. */
export const slotKey = (variable: number, slot: number): string => `${variable}:${slot}`;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The layouts standalone Keras 2.0-2.3 wrote (`optimizer.weights`, loaded by position): an
 * `iterations` scalar first (SGD and Adam always; RMSprop and Adagrad from 2.2.3 on, before
 * without), then each slot for every variable; Adam from 2.1.3 on adds `vhats`, one-element
 * placeholders without AMSGrad. Variable names (`training/Adam/Variable_3:0`) say nothing.
 */
export function standaloneLayouts(spec: OptimizerSpec, targets: readonly OptimizerTarget[]): OptimizerVariableEntry[][] {
  const slots = (slot: number, shape?: readonly number[]): OptimizerVariableEntry[] =>
    targets.map((t, variable) => ({ name: `${t.path} slot ${slot}`, shape: shape ?? t.shape, role: shape ? { kind: 'unused' as const } : { kind: 'slot' as const, variable, slot } }));
  const iterations: OptimizerVariableEntry = { name: 'iterations', shape: [], role: { kind: 'iterations' } };
  if (spec.name === 'adam' || spec.name === 'adamw') {
    const base = [iterations, ...slots(0), ...slots(1)];
    return [base, [...base, ...(spec.amsgrad ? slots(2) : slots(2, [1]))]];
  }
  const body = spec.name === 'sgd' || spec.name === 'rmsprop' || spec.name === 'adagrad' ? slots(0) : [];
  return [[iterations, ...body], body];
}

/**
 * Matches a file's optimizer state against the layouts the compiled optimizer may have been
 * saved in (the first that fits by count and shapes) and reads it; a state of another layout is
 * refused naming the optimizer and the variable.
 */
export function restoreOptimizerState(state: FileOptimizerState, layouts: readonly (readonly OptimizerVariableEntry[])[], describe: string, file: string): RestoredOptimizerState {
  const stored = state.variables;
  const fits = (layout: readonly OptimizerVariableEntry[]) => layout.length === stored.length && layout.every((e, i) => sameShape(e.shape, stored[i].shape));
  const layout = layouts.find(fits);
  if (!layout) {
    const expected = layouts[0];
    const refuse = (why: string, value: unknown): never => {
      throw new UnsupportedKerasConfigurationError(
        `the file's optimizer state (${state.source}, ${stored.length} variables) does not fit the compiled ${describe}: ${why}; compile({ optimizerState: 'fresh' }) starts a fresh optimizer instead`,
        { file, field: state.source, value },
      );
    };
    if (stored.length !== expected.length) refuse(`it expects ${expected.length} variables (${expected.slice(0, 3).map((e) => e.name).join(', ')}${expected.length > 3 ? ', ...' : ''})`, stored.length);
    const i = expected.findIndex((e, k) => !sameShape(e.shape, stored[k].shape));
    refuse(`variable ${i} (${stored[i].name}) has shape [${stored[i].shape.join(', ')}] where ${expected[i].name} has [${expected[i].shape.join(', ')}]`, stored[i].name);
  }
  const out: RestoredOptimizerState = { iterations: 0, slots: new Map() };
  (layout as readonly OptimizerVariableEntry[]).forEach((entry, i) => {
    if (entry.role.kind === 'iterations') {
      const n = stored[i].read()[0];
      if (!Number.isInteger(n) || n < 0) {
        throw new UnsupportedKerasConfigurationError(`the file's optimizer iteration count ${n} is not a count`, { file, field: state.source, value: stored[i].name });
      }
      out.iterations = n;
    } else if (entry.role.kind === 'slot') out.slots.set(slotKey(entry.role.variable, entry.role.slot), stored[i].read());
  });
  return out;
}
