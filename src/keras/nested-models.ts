import { InvalidKerasConfigurationError, UnsupportedKerasConfigurationError } from '../errors.js';
import { KERAS3_OP_PREFIX, SET_MASK_CLASS } from './keras3-calls.js';
import type { LayerCall, LayerSpec, ModelSpec, SavedLayer, TensorRef } from './model-spec.js';

export type { SavedLayer } from './model-spec.js';

/**
 * Nested models (a Sequential or Functional model used as a layer of another model), in every
 * generation. The engine runs flat graphs, so each nested model is inlined: its layers join the
 * outer model (keeping their names unless one is already taken there, then `<model>/<layer>`),
 * its input layers disappear and its outputs stand for the nested model's output tensors. A
 * nested model called several times shares its layers, which then have one call per use.
 *
 * Weights stay where Keras put them, which is why {@link SavedLayer} trees record the models'
 * `layers` lists as Keras saves them: a legacy .h5 stores a nested model's weights in one group
 * (the trainable weights of all its layers, then the non-trainable ones), a .keras archive under
 * `layers/<model key>/layers/<layer key>/...`.
 *
 * Node indices: a Functional model used as a layer owns a node of its own before its first call,
 * so Keras 1/2 configs (where Sequential is a Functional too) refer to the k-th call of a nested
 * model as node k + 1. Keras 3 does that only in `input_layers` / `output_layers` and only for
 * Functional; the keyword history of call arguments counts from 0.
 */

/** Keras' `model.layers` of one (not yet inlined) model level. */
function savedLayersOf(spec: ModelSpec): SavedLayer[] {
  return spec.layers
    .filter((l) => !(spec.className === 'Sequential' && l.className === 'InputLayer') && l.className !== SET_MASK_CLASS)
    .map((l): SavedLayer => {
      const trainable = l.config?.trainable !== false;
      if (l.nested) return { name: l.name, className: l.className, trainable, children: l.nested.savedLayers ?? [] };
      const op = l.className.startsWith(KERAS3_OP_PREFIX);
      return { name: l.name, className: op ? l.className.slice(KERAS3_OP_PREFIX.length) : l.className, trainable, specName: l.name, ...(op ? { op } : {}) };
    });
}

function renameSaved(saved: SavedLayer[], rename: (n: string) => string): SavedLayer[] {
  return saved.map((s) => ({
    ...s,
    ...(s.specName !== undefined ? { specName: rename(s.specName) } : {}),
    ...(s.children ? { children: renameSaved(s.children, rename) } : {}),
  }));
}

/**
 * Inlines the nested models of one level (whose own nested models are already inlined) and
 * records the level's {@link SavedLayer} tree in `savedLayers`.
 */
export function inlineNestedModels(spec: ModelSpec, file: string): ModelSpec {
  const savedLayers = savedLayersOf(spec);
  const nested = new Map(spec.layers.filter((l) => l.nested).map((l) => [l.name, l]));
  if (nested.size === 0) return { ...spec, savedLayers };

  const ctx = (l: LayerSpec) => ({ file, layer: l.name, className: l.className });
  const taken = new Set(spec.layers.filter((l) => !l.nested).map((l) => l.name));
  const names = new Map<string, Map<string, string>>();
  const modelInputs = new Map<string, Set<string>>();
  for (const n of nested.values()) {
    const inner = n.nested as ModelSpec;
    if (n.calls.length === 0) {
      throw new UnsupportedKerasConfigurationError('a nested model that the outer model never calls is not supported', { ...ctx(n), field: 'inbound_nodes', value: [] });
    }
    const inputs = new Set(inner.inputs.map((r) => r.layer));
    modelInputs.set(n.name, inputs);
    const map = new Map<string, string>();
    for (const l of inner.layers) {
      if (inputs.has(l.name) && l.className === 'InputLayer') continue;
      let final = l.name;
      for (let i = 1; taken.has(final); i++) final = i === 1 ? `${n.name}/${l.name}` : `${n.name}/${l.name}_${i}`;
      taken.add(final);
      map.set(l.name, final);
    }
    names.set(n.name, map);
  }

  const sequentialOuter = spec.className === 'Sequential';
  /** Which call of nested model `n` a reference's node index means. */
  const callOf = (n: LayerSpec, node: number, place: 'call' | 'io'): number => {
    const own = sequentialOuter ? 0 : spec.generation.major >= 3 ? (place === 'io' && n.className !== 'Sequential' ? 1 : 0) : 1;
    const k = node - own;
    if (k >= 0 && k < n.calls.length) return k;
    if (node >= 0 && node < n.calls.length) return node;
    throw new InvalidKerasConfigurationError(`nested model has no call for node index ${node}`, { ...ctx(n), field: 'inbound_nodes', value: node });
  };

  const resolve = (ref: TensorRef, place: 'call' | 'io', depth: number): TensorRef => {
    const n = nested.get(ref.layer);
    if (!n) return ref;
    if (depth > spec.layers.length + 8) {
      throw new InvalidKerasConfigurationError('nested models refer to each other in a cycle', { ...ctx(n), field: 'inbound_nodes', value: ref });
    }
    const k = callOf(n, ref.node, place);
    const out = (n.nested as ModelSpec).outputs[ref.tensor];
    if (!out) {
      throw new InvalidKerasConfigurationError(`nested model has no output ${ref.tensor}`, { ...ctx(n), field: 'inbound_nodes', value: ref });
    }
    return inner(n, k, out, depth);
  };

  /** A reference inside nested model `n`, during its call k, in outer terms. */
  const inner = (n: LayerSpec, k: number, ref: TensorRef, depth: number): TensorRef => {
    const model = n.nested as ModelSpec;
    const i = model.inputs.findIndex((r) => r.layer === ref.layer);
    if (i >= 0 && modelInputs.get(n.name)?.has(ref.layer)) {
      const call = n.calls[k];
      const main = call.inputs.length - call.initialStates;
      if (i >= main) {
        throw new InvalidKerasConfigurationError(`nested model called with ${main} inputs, it has ${model.inputs.length}`, { ...ctx(n), field: 'inbound_nodes', value: main });
      }
      return resolve(call.inputs[i], 'call', depth + 1);
    }
    const target = model.layers.find((l) => l.name === ref.layer);
    const final = names.get(n.name)?.get(ref.layer);
    if (!target || final === undefined) {
      throw new InvalidKerasConfigurationError(`nested model refers to unknown layer "${ref.layer}"`, { ...ctx(n), field: 'layers', value: ref.layer });
    }
    return { layer: final, node: k * Math.max(1, target.calls.length) + ref.node, tensor: ref.tensor };
  };

  const layers: LayerSpec[] = [];
  for (const l of spec.layers) {
    if (!l.nested) {
      layers.push({ ...l, calls: l.calls.map((c): LayerCall => ({ ...c, inputs: c.inputs.map((r) => resolve(r, 'call', 0)) })) });
      continue;
    }
    const map = names.get(l.name) as Map<string, string>;
    for (const il of l.nested.layers) {
      const final = map.get(il.name);
      if (final === undefined) continue; // the nested model's inputs
      const calls: LayerCall[] = [];
      for (let k = 0; k < l.calls.length; k++) {
        for (const c of il.calls) calls.push({ ...c, inputs: c.inputs.map((r) => inner(l, k, r, 0)) });
      }
      layers.push({ ...il, name: final, calls });
    }
  }
  const renamed = savedLayers.map((s) => {
    const map = names.get(s.name);
    return s.children && map ? { ...s, children: renameSaved(s.children, (x) => map.get(x) ?? x) } : s;
  });
  return {
    ...spec,
    layers,
    inputs: spec.inputs.map((r) => resolve(r, 'io', 0)),
    outputs: spec.outputs.map((r) => resolve(r, 'io', 0)),
    savedLayers: renamed,
  };
}
