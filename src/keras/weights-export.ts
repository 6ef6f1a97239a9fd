import { UnsupportedKerasConfigurationError } from '../errors.js';
import { h5Group, h5String, h5StringList, type H5GroupNode } from '../formats/h5-writer.js';
import type { WeightSpec } from './model-spec.js';
import { containerKeys, kerasSnakeCase } from './keras3-weights.js';
import type { SavedLayer } from './nested-models.js';

/**
 * Lays a model's weights out as Keras writes them: the `.keras` / `.weights.h5` state tree
 * (Keras 3's `saving_lib._save_state`) and the legacy `.h5` `model_weights` group (tf.keras'
 * `save_weights_to_hdf5_group`). Each leaf layer's arrays are in Keras' order (as the importer
 * lists them), which is the order both layouts store.
 */

/** One leaf layer of the model with its current values. */
export interface LayerValues {
  className: string;
  config: Record<string, unknown>;
  specs: readonly WeightSpec[];
  arrays: readonly Float32Array[];
  trainable: boolean;
}

/** What the layouts need: the saved-layer tree and each leaf's values, by spec name. */
export interface WeightsExport {
  file: string;
  modelName: string;
  saved: readonly SavedLayer[];
  leaves: ReadonlyMap<string, LayerValues>;
}

function dataset(shape: readonly number[], data: Float32Array | BigInt64Array) {
  return { kind: 'dataset' as const, shape, data };
}

/** A saveable's `vars` group: its own variables as datasets "0".."n-1", its name as attribute. */
function varsGroup(name: string, arrays: readonly Float32Array[], specs: readonly WeightSpec[]): H5GroupNode {
  const g = h5Group({ name: h5String(name) });
  arrays.forEach((a, i) => g.members.push([String(i), dataset(specs[i].shape, a)]));
  return g;
}

/** A saveable with its own (empty or not) `vars` and child saveables under attribute names. */
function saveable(name: string, arrays: readonly Float32Array[], specs: readonly WeightSpec[], children: [string, H5GroupNode][] = []): H5GroupNode {
  const g = h5Group();
  g.members.push(['vars', varsGroup(name, arrays, specs)]);
  for (const c of children) g.members.push(c);
  return g;
}

const RNN_CELLS: Record<string, string> = { LSTM: 'lstm_cell', GRU: 'gru_cell', SimpleRNN: 'simple_rnn_cell' };

function innerEntry(config: Record<string, unknown>, field: string): { className: string; config: Record<string, unknown> } | null {
  const e = config[field] as { class_name?: unknown; config?: unknown } | undefined;
  if (!e || typeof e.class_name !== 'string') return null;
  return { className: e.class_name, config: (e.config ?? {}) as Record<string, unknown> };
}

/** How many variables Keras gives a layer config (for splitting a wrapper's arrays). */
function variableCount(className: string, config: Record<string, unknown>): number | null {
  if (className in RNN_CELLS || className.endsWith('Cell')) return config.use_bias === false ? 2 : 3;
  if (className === 'Dense') return config.use_bias === false ? 1 : 2;
  if (className === 'RNN') {
    const cell = innerEntry(config, 'cell');
    return cell && cell.className !== 'StackedRNNCells' ? variableCount(cell.className, cell.config) : null;
  }
  return null;
}

/**
 * The Keras 3 state tree of one layer. `vars` holds a layer's own variables; RNN layers keep theirs
 * in `cell`, wrappers in `layer` / `forward_layer` / `backward_layer`, MultiHeadAttention in its
 * four EinsumDense projections.
 */
function keras3LayerState(name: string, className: string, config: Record<string, unknown>, arrays: readonly Float32Array[], specs: readonly WeightSpec[], file: string): H5GroupNode {
  const unsupported = (why: string): never => {
    throw new UnsupportedKerasConfigurationError(`cannot lay out this layer's weights as Keras 3 stores them: ${why}`, { file, layer: name, className });
  };
  if (className in RNN_CELLS) {
    return saveable(name, [], [], [['cell', saveable(RNN_CELLS[className], arrays, specs)]]);
  }
  if (className === 'Bidirectional') {
    const fwd = innerEntry(config, 'layer') ?? unsupported('no inner layer');
    const bwd = innerEntry(config, 'backward_layer') ?? fwd;
    const nf = variableCount(fwd.className, fwd.config) ?? unsupported(`inner ${fwd.className} layer`);
    const nb = variableCount(bwd.className, bwd.config) ?? unsupported(`inner ${bwd.className} layer`);
    if (nf + nb !== arrays.length) unsupported(`${arrays.length} arrays for inner ${fwd.className} layers`);
    const innerName = String(fwd.config.name ?? kerasSnakeCase(fwd.className));
    const backwardName = String(innerEntry(config, 'backward_layer')?.config.name ?? `backward_${innerName}`);
    return saveable(name, [], [], [
      ['backward_layer', keras3LayerState(backwardName, bwd.className, bwd.config, arrays.slice(nf), specs.slice(nf), file)],
      ['forward_layer', keras3LayerState(`forward_${innerName}`, fwd.className, fwd.config, arrays.slice(0, nf), specs.slice(0, nf), file)],
    ]);
  }
  if (className === 'TimeDistributed') {
    const inner = innerEntry(config, 'layer') ?? unsupported('no inner layer');
    return saveable(name, [], [], [['layer', keras3LayerState(String(inner.config.name ?? kerasSnakeCase(inner.className)), inner.className, inner.config, arrays, specs, file)]]);
  }
  if (className === 'RNN') {
    const cell = innerEntry(config, 'cell') ?? unsupported('no cell');
    if (cell.className === 'StackedRNNCells') {
      const cells = ((cell.config.cells ?? []) as { class_name?: unknown; config?: Record<string, unknown> }[]).map((c) => ({ className: String(c.class_name), config: c.config ?? {} }));
      const counts = cells.map((c) => variableCount(c.className, c.config));
      if (counts.some((n) => n === null) || counts.reduce((a, b) => (a as number) + (b as number), 0) !== arrays.length) unsupported('stacked cells');
      const members: [string, H5GroupNode][] = [];
      const keys = containerKeys(cells.map((c) => c.className));
      let at = 0;
      cells.forEach((c, i) => {
        const count = counts[i] as number;
        members.push([keys[i], saveable(String(c.config.name ?? keys[i]), arrays.slice(at, at + count), specs.slice(at, at + count))]);
        at += count;
      });
      const cellsGroup = h5Group();
      cellsGroup.members.push(...members);
      return saveable(name, [], [], [['cell', saveable(String(cell.config.name ?? 'stacked_rnn_cells'), [], [], [['cells', cellsGroup]])]]);
    }
    return saveable(name, [], [], [['cell', saveable(String(cell.config.name ?? kerasSnakeCase(cell.className)), arrays, specs)]]);
  }
  if (className === 'MultiHeadAttention') {
    const per = config.use_bias === false ? 1 : 2;
    if (arrays.length !== 4 * per) unsupported(`${arrays.length} arrays`);
    const part = (i: number, key: string): [string, H5GroupNode] => [key, saveable(key.slice(1), arrays.slice(i * per, i * per + per), specs.slice(i * per, i * per + per))];
    return saveable(name, [], [], [part(1, '_key_dense'), part(3, '_output_dense'), part(0, '_query_dense'), part(2, '_value_dense')]);
  }
  return saveable(name, arrays, specs);
}

function keras3Level(saved: readonly SavedLayer[], ex: WeightsExport): H5GroupNode {
  const layers = h5Group();
  const kept = saved.filter((s) => !s.op);
  const keys = containerKeys(kept.map((s) => s.className));
  kept.forEach((s, i) => {
    const key = keys[i];
    if (s.children) {
      layers.members.push([key, saveable(s.name, [], [], [['layers', keras3Level(s.children, ex)]])]);
      return;
    }
    const leaf = s.specName !== undefined ? ex.leaves.get(s.specName) : undefined;
    layers.members.push([key, leaf ? keras3LayerState(s.name, leaf.className, leaf.config, leaf.arrays, leaf.specs, ex.file) : saveable(s.name, [], [])]);
  });
  return layers;
}

/** An optimizer's variables as Keras 3 saves them: name, and values in `optimizer.variables` order. */
export interface OptimizerVariablesExport {
  name: string;
  variables: readonly { shape: readonly number[]; data: Float32Array | BigInt64Array }[];
}

/**
 * The `model.weights.h5` of a `.keras` archive (also a Keras 3 `.weights.h5` file); with an
 * optimizer, its `optimizer/vars` group as Keras 3 writes a compiled model's.
 */
export function keras3WeightsTree(ex: WeightsExport, optimizer?: OptimizerVariablesExport): H5GroupNode {
  const root = h5Group();
  root.members.push(['layers', keras3Level(ex.saved, ex)]);
  if (optimizer) {
    const vars = h5Group({ name: h5String(optimizer.name) });
    optimizer.variables.forEach((v, i) => vars.members.push([String(i), { kind: 'dataset', shape: v.shape, data: v.data }]));
    const group = h5Group();
    group.members.push(['vars', vars]);
    root.members.push(['optimizer', group]);
  }
  root.members.push(['vars', varsGroup(ex.modelName, [], [])]);
  return root;
}

/** Weight names as tf.keras writes them (`<layer>/<cell>/kernel:0`); Keras loads them by order. */
function legacyWeightNames(name: string, leaf: LayerValues, cellNames: Map<string, number>): string[] {
  const cellName = (className: string) => {
    const base = RNN_CELLS[className];
    const n = cellNames.get(base);
    cellNames.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  };
  if (leaf.className in RNN_CELLS) {
    const cell = cellName(leaf.className);
    return leaf.specs.map((s) => `${name}/${cell}/${s.name}:0`);
  }
  if (leaf.className === 'Bidirectional') {
    const fwd = innerEntry(leaf.config, 'layer');
    const inner = String(fwd?.config.name ?? 'layer');
    const nf = fwd ? variableCount(fwd.className, fwd.config) : null;
    if (fwd && fwd.className in RNN_CELLS && nf !== null && nf * 2 === leaf.specs.length) {
      const fc = cellName(fwd.className);
      const bc = cellName(fwd.className);
      return leaf.specs.map((s, i) => (i < nf ? `${name}/forward_${inner}/${fc}/${s.name}:0` : `${name}/backward_${inner}/${bc}/${s.name}:0`));
    }
  }
  return leaf.specs.map((s) => `${name}/${s.name}:0`);
}

/** Leaves of a nested model in the order its legacy group stores them: trainable first. */
function legacyLeaves(entry: SavedLayer, ex: WeightsExport): { specName: string; trainable: boolean }[] {
  const out: { specName: string; trainable: boolean }[] = [];
  const walk = (list: readonly SavedLayer[], trainable: boolean) => {
    for (const s of list) {
      if (s.children) walk(s.children, trainable && s.trainable);
      else if (s.specName !== undefined && ex.leaves.has(s.specName)) out.push({ specName: s.specName, trainable: trainable && (ex.leaves.get(s.specName) as LayerValues).trainable });
    }
  };
  walk(entry.children ?? [], entry.trainable);
  return [...out.filter((l) => l.trainable), ...out.filter((l) => !l.trainable)];
}

/** Puts a dataset at a `/`-separated path under `group`, creating groups on the way (as h5py does). */
function putAt(group: H5GroupNode, path: string, shape: readonly number[], data: Float32Array | BigInt64Array): void {
  const parts = path.split('/');
  let g = group;
  for (const p of parts.slice(0, -1)) {
    let next = g.members.find(([n]) => n === p)?.[1];
    if (!next) {
      next = h5Group();
      g.members.push([p, next]);
    }
    if (next.kind !== 'group') throw new UnsupportedKerasConfigurationError(`weight path "${path}" runs through a dataset`, { field: path });
    g = next;
  }
  g.members.push([parts[parts.length - 1], dataset(shape, data)]);
}

/**
 * Each top-level layer's weights as tf.keras names them in a legacy `.h5`: the leaves whose
 * weights its group holds (a nested model's group holds all its layers', trainable first) and
 * their unique names (`lstm/lstm_cell/kernel:0`).
 */
function legacyLayerWeights(ex: WeightsExport): { name: string; items: { specName: string; names: string[] }[] }[] {
  const cellNames = new Map<string, number>();
  return ex.saved.map((s) => {
    const taken: string[] = [];
    const leaves: { specName: string; prefix: string }[] = s.children
      ? legacyLeaves(s, ex).map((l) => ({ specName: l.specName, prefix: l.specName.split('/').pop() as string }))
      : s.specName !== undefined && ex.leaves.has(s.specName)
        ? [{ specName: s.specName, prefix: s.name }]
        : [];
    const items = leaves.map((it) => {
      const names = legacyWeightNames(it.prefix, ex.leaves.get(it.specName) as LayerValues, cellNames).map((n) => {
        let unique = n;
        for (let k = 1; taken.includes(unique); k++) unique = n.replace(/:0$/, `_${k}:0`);
        taken.push(unique);
        return unique;
      });
      return { specName: it.specName, names };
    });
    return { name: s.name, items };
  });
}

/** Each leaf layer's weight names as a legacy `.h5` writes them (`lstm/lstm_cell/kernel:0`), by spec name. */
export function legacyVariableNames(ex: WeightsExport): Map<string, string[]> {
  return new Map(legacyLayerWeights(ex).flatMap((l) => l.items.map((it) => [it.specName, it.names] as [string, string[]])));
}

/**
 * The weights group of a legacy `.h5` (`model_weights`, or the root of a `save_weights()` file):
 * `layer_names` lists every top-level layer, each layer's group lists its `weight_names` and holds
 * the datasets at those paths; a nested model's group holds all its layers' weights.
 */
export function legacyWeightsGroup(ex: WeightsExport, attributes: { backend: string; kerasVersion: string }, group = h5Group()): H5GroupNode {
  group.attributes = {
    ...(group.attributes ?? {}),
    layer_names: h5StringList(ex.saved.map((s) => s.name)),
    backend: h5String(attributes.backend, 'ascii'),
    keras_version: h5String(attributes.kerasVersion, 'ascii'),
  };
  const groups = new Map<string, H5GroupNode>();
  for (const { name, items } of legacyLayerWeights(ex)) {
    const g = h5Group();
    for (const it of items) {
      const leaf = ex.leaves.get(it.specName) as LayerValues;
      it.names.forEach((n, i) => putAt(g, n, leaf.specs[i].shape, leaf.arrays[i]));
    }
    g.attributes = { weight_names: h5StringList(items.flatMap((it) => it.names)) };
    groups.set(name, g);
  }
  // tf.keras creates the layer groups in sorted name order
  for (const name of [...groups.keys()].sort()) group.members.push([name, groups.get(name) as H5GroupNode]);
  return group;
}

/**
 * A legacy `.h5`'s `optimizer_weights` group (`save_optimizer_weights_to_hdf5_group`):
 * `weight_names` lists the variables' names in the optimizer's order, each stored at its name
 * (`Adam/iter:0`, `Adam/lstm/lstm_cell/kernel/m:0`; the `/` make groups, as h5py does).
 */
export function legacyOptimizerGroup(variables: readonly { name: string; shape: readonly number[]; data: Float32Array | BigInt64Array }[]): H5GroupNode {
  const group = h5Group({ weight_names: h5StringList(variables.map((v) => v.name)) });
  for (const v of variables) putAt(group, v.name, v.shape, v.data);
  return group;
}
