import { InvalidKerasConfigurationError } from '../errors.js';
import type { H5Dataset, H5Group } from '../formats/h5.js';
import type { ModelSpec } from './model-config.js';
import { backslashGroupView, hasBackslashNames } from './backslash-groups.js';
import type { SavedLayer } from './nested-models.js';
import { legacyH5WeightSource, readLayerArrays, type WeightRequest, type WeightSource } from './weights.js';

/** Keras 3's `naming.to_snake_case`, which names each layer's group in `model.weights.h5`. */
export function kerasSnakeCase(name: string): string {
  let s = name.replace(/\W+/g, '');
  s = s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  s = s.replace(/([a-z])([A-Z])/g, '$1_$2');
  return s.toLowerCase();
}

/** Sub-objects in the order Keras lists a layer's weights (forward before backward, etc.;
 * MultiHeadAttention's projections query, key, value, output, which the archive sorts by name). */
const CHILD_ORDER = [
  'vars', 'cell', 'cells', 'forward_layer', 'backward_layer', 'layer',
  '_query_dense', 'query_dense', '_key_dense', 'key_dense', '_value_dense', 'value_dense', '_output_dense', 'output_dense',
];

function childRank(name: string): number {
  const i = CHILD_ORDER.indexOf(name);
  return i === -1 ? CHILD_ORDER.length : i;
}

/**
 * Groups visited under one layer before giving up: a Keras layer has a handful. Hard links can
 * make the group graph cyclic or share subgroups, and walking every path would then take
 * exponential time (a file with three self-links under one layer never finished loading).
 */
const MAX_LAYER_GROUPS = 256;

/** Keys in order of a list's members as `saving_lib._save_container_state` names them (`lstm`, `lstm_1`, ...). */
export function containerKeys(classNames: readonly string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((c) => {
    const base = kerasSnakeCase(c);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
}

/**
 * The `cells/` keys of a StackedRNNCells in the layer's config (directly or inside a wrapper), in
 * Keras' order: the keys are class-based (`lstm_cell`, `gru_cell`), so their names do not sort
 * into that order when the cells are of different classes.
 */
function stackedCellKeys(config: Record<string, unknown> | undefined, depth = 0): string[] | undefined {
  if (!config || depth > 4) return undefined;
  const cell = config.cell as { class_name?: unknown; config?: { cells?: unknown } } | undefined;
  if (cell?.class_name === 'StackedRNNCells' && Array.isArray(cell.config?.cells)) {
    return containerKeys((cell.config.cells as { class_name?: unknown }[]).map((c) => String(c?.class_name ?? '')));
  }
  const inner = (config.layer as { config?: Record<string, unknown> } | undefined)?.config;
  return stackedCellKeys(inner, depth + 1);
}

/** Every variable under a layer's group, depth first, `vars/0..n` in numeric order. */
function collectVariables(
  group: H5Group,
  path: string,
  out: { name: string; ds: H5Dataset }[],
  depth = 0,
  budget: { groups: number; fail: () => never; cellKeys?: string[] } = { groups: MAX_LAYER_GROUPS, fail: (): never => { throw new Error(path); } },
): void {
  if (depth > 16) return;
  if (--budget.groups < 0) budget.fail();
  const keys = group.keys();
  const datasets = keys.filter((k) => !group.isGroup(k) && /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
  for (const k of datasets) out.push({ name: `${path}/${k}`, ds: group.dataset(k) });
  // Keras' lookup layers save their tf_idf weights by name (IndexLookup.save_own_variables).
  if (keys.includes('idf_weights') && !group.isGroup('idf_weights')) out.push({ name: `${path}/idf_weights`, ds: group.dataset('idf_weights') });
  const order = path.endsWith('/cells') ? budget.cellKeys : undefined;
  const rank = (k: string) => (order && order.includes(k) ? order.indexOf(k) : (order?.length ?? 0));
  const groups = keys
    .filter((k) => group.isGroup(k))
    .sort((a, b) => rank(a) - rank(b) || childRank(a) - childRank(b) || a.localeCompare(b, 'en', { numeric: true }));
  for (const k of groups) collectVariables(group.group(k), `${path}/${k}`, out, depth + 1, budget);
}

/**
 * The group holding a model's layers: `layers`, or `_layer_checkpoint_dependencies` in archives
 * written by tf.keras 2.13-2.15 (Keras 3's saving_lib falls back to it the same way).
 */
function layerContainer(parent: H5Group): string | undefined {
  return ['layers', '_layer_checkpoint_dependencies'].find((n) => parent.has(n) && parent.isGroup(n));
}

/** Where each saved layer's group is: by the `vars` group's `name` attribute, else by Keras' key order. */
function locateLayers(parent: H5Group, saved: readonly SavedLayer[], prefix: string, out: Map<string, { group: H5Group; path: string }>): void {
  const container = layerContainer(parent);
  if (container === undefined) return;
  const group = parent.group(container);
  const byAttr = new Map<string, string>();
  for (const key of group.keys()) {
    if (!group.isGroup(key)) continue;
    const g = group.group(key);
    if (g.has('vars') && g.isGroup('vars')) {
      const n = g.group('vars').attr('name');
      if (typeof n === 'string' && n) byAttr.set(n, key);
    }
  }
  // saving_lib._save_container_state: snake_case(class name), made unique by order ("lstm", "lstm_1")
  const used = new Map<string, number>();
  for (const s of saved) {
    if (s.op) continue;
    const base = kerasSnakeCase(s.className);
    const count = used.get(base);
    used.set(base, count === undefined ? 0 : count + 1);
    const key = byAttr.get(s.name) ?? (count === undefined ? base : `${base}_${count + 1}`);
    if (!group.has(key) || !group.isGroup(key)) continue;
    const path = `${prefix}${container}/${key}`;
    if (s.children) locateLayers(group.group(key), s.children, `${path}/`, out);
    else if (s.specName !== undefined) out.set(s.specName, { group: group.group(key), path });
  }
}

/**
 * Each leaf layer's folder in a `.keras` archive (`layers/<key>`, nested models'
 * `layers/<model key>/layers/<key>`), keyed by the layer's name in the flattened spec: the
 * folders saving_lib gives the layer's weights and its assets (vocabulary.txt) alike.
 */
export function keras3LayerPaths(saved: readonly SavedLayer[], prefix = '', out = new Map<string, string>()): Map<string, string> {
  const used = new Map<string, number>();
  for (const s of saved) {
    if (s.op) continue;
    const base = kerasSnakeCase(s.className);
    const count = used.get(base);
    used.set(base, count === undefined ? 0 : count + 1);
    const path = `${prefix}layers/${count === undefined ? base : `${base}_${count + 1}`}`;
    if (s.children) keras3LayerPaths(s.children, `${path}/`, out);
    else if (s.specName !== undefined) out.set(s.specName, path);
  }
  return out;
}

/**
 * Weights of a Keras 3 `.keras` archive (`model.weights.h5`). Layers sit under `layers/<key>`
 * (a nested model's under `layers/<model key>/layers/<key>`), where the key is the snake-cased
 * class name made unique by order of appearance in the model's `layers` (`lstm`, `lstm_1`, ...);
 * Keras >= 3.6 also stores each layer's own name as the `name` attribute of its `vars` group,
 * which is preferred when present.
 * @param allLayers The model's layers in Keras' order, for callers that bind without a ModelSpec.
 */
export function keras3WeightSource(file: H5Group, fileName: string, allLayers?: { name: string; className: string }[]): WeightSource {
  const root = hasBackslashNames(file) ? backslashGroupView(file) : file;
  return {
    fileName,
    bind(requests: WeightRequest[], spec?: ModelSpec) {
      const out = new Map<string, Float32Array[]>();
      if (requests.length === 0) return out;
      if (layerContainer(root) === undefined) {
        throw new InvalidKerasConfigurationError('model.weights.h5 has no "layers" group (nor tf.keras 2.13-2.15\'s "_layer_checkpoint_dependencies")', { file: fileName, field: 'layers' });
      }
      const saved: SavedLayer[] =
        spec?.savedLayers ??
        (allLayers ?? requests).map((l) => ({ name: l.name, className: l.className, trainable: true, specName: l.name }));
      const located = new Map<string, { group: H5Group; path: string }>();
      locateLayers(root, saved, '', located);
      for (const req of requests) {
        const at = located.get(req.name);
        if (!at) {
          throw new InvalidKerasConfigurationError('no weights for this layer in model.weights.h5', {
            file: fileName,
            layer: req.name,
            className: req.className,
            field: `layers/${kerasSnakeCase(req.className)}`,
          });
        }
        const vars: { name: string; ds: H5Dataset }[] = [];
        collectVariables(at.group, at.path, vars, 0, {
          groups: MAX_LAYER_GROUPS,
          cellKeys: stackedCellKeys(spec?.layers.find((l) => l.name === req.name)?.config),
          fail: () => {
            throw new InvalidKerasConfigurationError(
              `the layer's weight group "${at.path}" holds more than ${MAX_LAYER_GROUPS} groups (hard links forming a cycle?)`,
              { file: fileName, layer: req.name, className: req.className, field: at.path },
            );
          },
        });
        const stored = vars.map((v) => ({ name: v.name, shape: v.ds.shape, read: () => v.ds.readFloat32() }));
        out.set(req.name, readLayerArrays(req, stored, fileName, at.path));
      }
      return out;
    },
  };
}

/**
 * The weights file of `loadModel({ config, weights })`: Keras 3's `save_weights("x.weights.h5")`
 * writes the `.keras` layout (`layers/<key>/vars/...`, a root `vars` group), older Keras'
 * `save_weights` the legacy one (a `layer_names` attribute).
 */
export function weightsFileSource(root: H5Group, fileName: string): WeightSource {
  const keras3 = root.attr('layer_names') === undefined && !root.has('model_weights') && (root.has('layers') || root.has('vars') || root.has('_layer_checkpoint_dependencies') || hasBackslashNames(root));
  return keras3 ? keras3WeightSource(root, fileName) : legacyH5WeightSource(root, fileName);
}
