import { InvalidKerasConfigurationError } from '../errors.js';
import type { H5Dataset, H5Group } from '../formats/h5.js';
import type { TfjsWeight } from '../formats/tfjs-model.js';
import { keras3WeightSource } from './keras3-weights.js';
import type { ModelSpec } from './model-config.js';
import { readLayerArrays, type WeightRequest, type WeightSource } from './weights.js';

/**
 * Weights of a TF.js layers model, matched to layers by name as tfjs-layers' `loadWeights` does:
 * a manifest name is `<layer>/<weight>`, with extra scope segments in between (tf.keras 2.2+
 * writes the cell, `lstm/lstm_cell/kernel`; Bidirectional its directions) or in front (a model
 * name, `sequential/lstm/...`, as names taken from Keras 3 variable paths are written). The
 * layer is the first run of segments that names a layer of the model with weights. Within a
 * layer, entries follow Keras' weight order unless their last segments name the expected weights
 * in another order. Manifests converted from Keras 3 `.keras` archives name weights by their path
 * in `model.weights.h5` (`layers/lstm/cell/vars/0`); those are bound as that file is.
 * Every manifest entry must find its layer (TF.js' strict loading); optimizer entries are skipped.
 */
export function tfjsWeightSource(weights: TfjsWeight[], fileName: string): WeightSource {
  const model = weights.filter((w) => w.group !== 'optimizer');
  return {
    fileName,
    bind(requests: WeightRequest[], spec?: ModelSpec) {
      if (model.some((w) => w.name.split('/').includes('vars'))) return keras3WeightSource(pathTree(model, fileName), fileName).bind(requests, spec);
      return bindByLayerName(model, requests, fileName);
    },
  };
}

/** The run of segments naming a requested layer: the earliest start, then the longest run. */
function layerOf(name: string, known: ReadonlyMap<string, WeightRequest>): WeightRequest | undefined {
  const parts = name.split('/');
  for (let i = 0; i < parts.length - 1; i++) {
    for (let j = parts.length - 1; j > i; j--) {
      const r = known.get(parts.slice(i, j).join('/'));
      if (r) return r;
    }
  }
  return undefined;
}

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** 0 for a Bidirectional's forward direction (or no direction), 1 for its backward one. */
function direction(name: string): number {
  return name.split('/').some((s) => s.startsWith('backward_')) ? 1 : 0;
}

/** `part` in the order of `names` when its last segments are exactly those names, else as given. */
function byLastSegment(part: TfjsWeight[], names: string[]): TfjsWeight[] {
  if (new Set(names).size !== names.length || part.length !== names.length) return part;
  const byName = new Map(part.map((w) => [lastSegment(w.name), w]));
  if (byName.size !== part.length || !names.every((n) => byName.has(n))) return part;
  return names.map((n) => byName.get(n) as TfjsWeight);
}

/**
 * Stored entries in the importer's order: a Bidirectional's forward weights before its backward
 * ones (Keras' order), and within each direction by last segment when that names them all
 * (a manifest may list `bias` first); otherwise as stored.
 */
function inExpectedOrder(stored: TfjsWeight[], request: WeightRequest): TfjsWeight[] {
  const out: TfjsWeight[] = [];
  for (const dir of [0, 1]) {
    const part = stored.filter((w) => direction(w.name) === dir);
    out.push(...byLastSegment(part, request.expected.slice(out.length, out.length + part.length).map((w) => w.name)));
  }
  return out;
}

function bindByLayerName(weights: TfjsWeight[], requests: WeightRequest[], fileName: string): Map<string, Float32Array[]> {
  const known = new Map(requests.map((r) => [r.name, r]));
  const perLayer = new Map<string, TfjsWeight[]>();
  for (const w of weights) {
    const r = layerOf(w.name, known);
    if (!r) {
      throw new InvalidKerasConfigurationError(
        `the manifest's weight "${w.name}" names no layer of the model that has weights (${requests.map((q) => q.name).join(', ') || 'none'})`,
        { file: fileName, field: 'weightsManifest', value: w.name },
      );
    }
    perLayer.set(r.name, [...(perLayer.get(r.name) ?? []), w]);
  }
  const out = new Map<string, Float32Array[]>();
  for (const r of requests) {
    const stored = inExpectedOrder(perLayer.get(r.name) ?? [], r);
    out.set(r.name, readLayerArrays(r, stored, fileName, r.name));
  }
  return out;
}

/**
 * The manifest names of a converted Keras 3 archive (`layers/<key>/.../vars/<i>`) as the group
 * tree of the `model.weights.h5` they came from, so they bind exactly as that file binds.
 */
function pathTree(weights: TfjsWeight[], fileName: string): H5Group {
  interface Node { groups: Map<string, Node>; datasets: Map<string, TfjsWeight> }
  const root: Node = { groups: new Map(), datasets: new Map() };
  for (const w of weights) {
    const parts = w.name.split('/');
    let node = root;
    for (const p of parts.slice(0, -1)) {
      let next = node.groups.get(p);
      if (!next) node.groups.set(p, (next = { groups: new Map(), datasets: new Map() }));
      node = next;
    }
    node.datasets.set(parts[parts.length - 1], w);
  }
  const view = (node: Node, path: string): H5Group => {
    const missing = (name: string): never => {
      throw new InvalidKerasConfigurationError('no such weight path in the manifest', { file: fileName, field: `${path}${name}` });
    };
    const dataset = (name: string): H5Dataset => {
      const w = node.datasets.get(name) ?? missing(name);
      return { path: `${path}${name}`, fileName, shape: w.shape, dtype: '<f4', readFloat32: () => w.read() };
    };
    return {
      path: path || '/',
      fileName,
      keys: () => [...node.groups.keys(), ...node.datasets.keys()],
      has: (name) => node.groups.has(name) || node.datasets.has(name),
      isGroup: (name) => node.groups.has(name),
      group: (name) => view(node.groups.get(name) ?? missing(name), `${path}${name}/`),
      dataset,
      attrNames: () => [],
      attr: () => undefined,
      stringList: () => undefined,
      requireAttr: (name) => missing(`@${name}`),
    };
  };
  return view(root, '');
}
