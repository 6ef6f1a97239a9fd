import { InvalidKerasConfigurationError, ModelFileError } from '../errors.js';
import type { SavedObjectNode } from '../formats/saved-model.js';
import type { BundleEntry } from '../formats/tensor-bundle.js';
import type { ModelSpec } from './model-config.js';
import type { SavedLayer } from './nested-models.js';
import { readLayerArrays, type WeightRequest, type WeightSource } from './weights.js';

/** One Keras layer object's variables in `layer.weights` order, or why they cannot be read. */
export interface SavedModelLayerWeights {
  variables: { name: string; entry: BundleEntry }[];
  problem?: string;
}

/** `layer-N`: Keras' checkpoint name of the N-th entry of a model's `layers` (`layer_with_weights-N` counts only layers with weights). */
const LAYER_EDGE = /^layer-(\d+)$/;

/**
 * Finds each leaf layer's object: a model object's `layer-N` children are its `layers` in order;
 * they are matched to the config's layers by the name in their metadata, else by position.
 */
function locateLayers(
  modelNode: number,
  saved: readonly SavedLayer[],
  nodes: SavedObjectNode[],
  names: Map<number, string>,
  out: Map<string, number>,
  depth = 0,
): void {
  if (depth > 32) return;
  const children = nodes[modelNode].children
    .map((c) => ({ m: LAYER_EDGE.exec(c.localName), id: c.nodeId }))
    .filter((c): c is { m: RegExpExecArray; id: number } => c.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
    .map((c) => c.id);
  const byName = new Map<string, number>();
  for (const id of children) {
    const n = names.get(id);
    if (n !== undefined && !byName.has(n)) byName.set(n, id);
  }
  saved.forEach((s, i) => {
    const id = byName.get(s.name) ?? (byName.size === 0 ? children[i] : undefined);
    if (id === undefined) return;
    if (s.children) locateLayers(id, s.children, nodes, names, out, depth + 1);
    else if (s.specName !== undefined) out.set(s.specName, id);
  });
}

/**
 * Weights of a SavedModel: every requested layer is found in the object graph (nested models
 * included) and given its `variables`, already read and CRC-checked.
 */
export function savedModelWeightSource(
  fileName: string,
  layers: Map<number, SavedModelLayerWeights>,
  arrays: Map<string, Float32Array>,
  nodes: SavedObjectNode[],
  objects: { nodeId: number; name: string | undefined }[],
): WeightSource {
  const names = new Map<number, string>();
  for (const o of objects) if (o.name !== undefined) names.set(o.nodeId, o.name);
  return {
    fileName,
    bind(requests: WeightRequest[], spec?: ModelSpec) {
      const saved: SavedLayer[] = spec?.savedLayers ?? requests.map((r) => ({ name: r.name, className: r.className, trainable: true, specName: r.name }));
      const located = new Map<string, number>();
      locateLayers(0, saved, nodes, names, located);
      const out = new Map<string, Float32Array[]>();
      for (const req of requests) {
        const ctx = { file: fileName, layer: req.name, className: req.className };
        const node = located.get(req.name);
        const weights = node === undefined ? undefined : layers.get(node);
        if (node === undefined || !weights) {
          throw new InvalidKerasConfigurationError('the SavedModel object graph has no Keras layer object with weights for this layer', { ...ctx, field: 'variables' });
        }
        if (weights.problem) throw new ModelFileError(weights.problem, ctx);
        const stored = weights.variables.map((v) => ({
          name: v.name,
          shape: v.entry.shape,
          read: () => arrays.get(v.entry.key) as Float32Array,
        }));
        out.set(req.name, readLayerArrays(req, stored, fileName, `object ${names.get(node) ?? node}`));
      }
      return out;
    },
  };
}
