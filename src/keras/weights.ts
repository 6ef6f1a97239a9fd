import { InvalidKerasConfigurationError } from '../errors.js';
import type { H5Group } from '../formats/h5.js';
import type { WeightSpec } from './model-spec.js';
import type { ModelSpec } from './model-config.js';
import type { SavedLayer } from './nested-models.js';

/** A model layer that needs weights, as the graph builder asks for them. */
export interface WeightRequest {
  name: string;
  className: string;
  expected: WeightSpec[];
}

/** Where a model's weights come from; each file layout matches layers to weights its own way. */
export interface WeightSource {
  readonly fileName: string;
  /**
   * Returns each requested layer's arrays in `expected` order, shape-checked. `spec` (its
   * `savedLayers`) tells where nested models' layers keep their weights.
   */
  bind(requests: WeightRequest[], spec?: ModelSpec): Map<string, Float32Array[]>;
}

function sameShape(a: number[], b: number[]): boolean {
  // A scalar weight (Normalization's count) is shape [] in Keras; the HDF5 reader reports [1].
  if (a.length + b.length === 1 && (a[0] ?? b[0]) === 1) return true;
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks one layer's stored arrays against what its importer expects and reads them. */
export function readLayerArrays(
  request: WeightRequest,
  stored: { name: string; shape: number[]; read(): Float32Array }[],
  fileName: string,
  storedLayerName: string,
): Float32Array[] {
  const ctx = { file: fileName, layer: request.name, className: request.className };
  if (stored.length !== request.expected.length) {
    throw new InvalidKerasConfigurationError(
      `the file stores ${stored.length} weight arrays for this layer (group "${storedLayerName}": ${stored.map((s) => s.name).join(', ') || 'none'}), ` +
        `the layer needs ${request.expected.length} (${request.expected.map((w) => w.name).join(', ')})`,
      { ...ctx, field: 'weight_names', value: stored.map((s) => s.name) },
    );
  }
  return request.expected.map((spec, i) => {
    const s = stored[i];
    if (sameShape(s.shape, spec.shape)) return s.read();
    const other = spec.otherLayouts?.find((l) => sameShape(s.shape, l.shape));
    if (other) return other.convert(s.read());
    const shapes = [spec.shape, ...(spec.otherLayouts ?? []).map((l) => l.shape)].map((x) => JSON.stringify(x)).join(' or ');
    throw new InvalidKerasConfigurationError(`weight "${s.name}" has shape ${JSON.stringify(s.shape)}, expected ${shapes} for ${spec.name}`, {
      ...ctx,
      field: s.name,
      value: s.shape,
    });
  });
}

/**
 * The requests a top-level entry of `model.layers` holds weights for, in the order Keras stores
 * them: a layer's own; for a nested model, the trainable weights of all its layers (in layer
 * order) then the non-trainable ones, i.e. those of frozen layers (`trainable_weights +
 * non_trainable_weights` of the model).
 */
function legacyUnit(entry: SavedLayer, byName: Map<string, WeightRequest>): WeightRequest[] {
  if (!entry.children) {
    const r = entry.specName !== undefined ? byName.get(entry.specName) : undefined;
    return r ? [r] : [];
  }
  const leaves: { request: WeightRequest; trainable: boolean }[] = [];
  const walk = (list: SavedLayer[], trainable: boolean) => {
    for (const s of list) {
      if (s.children) walk(s.children, trainable && s.trainable);
      else if (s.specName !== undefined && byName.has(s.specName)) leaves.push({ request: byName.get(s.specName) as WeightRequest, trainable: trainable && s.trainable });
    }
  };
  walk(entry.children, entry.trainable);
  return [...leaves.filter((l) => l.trainable), ...leaves.filter((l) => !l.trainable)].map((l) => l.request);
}

/** Groups the requests by the file's layer groups: one unit per top-level layer with weights. */
function legacyUnits(requests: WeightRequest[], spec: ModelSpec | undefined): { name: string; requests: WeightRequest[] }[] {
  if (!spec?.savedLayers) return requests.map((r) => ({ name: r.name, requests: [r] }));
  const byName = new Map(requests.map((r) => [r.name, r]));
  const units = spec.savedLayers.map((s) => ({ name: s.name, requests: legacyUnit(s, byName) })).filter((u) => u.requests.length > 0);
  const covered = new Set(units.flatMap((u) => u.requests.map((r) => r.name)));
  for (const r of requests) if (!covered.has(r.name)) units.push({ name: r.name, requests: [r] });
  return units;
}

/**
 * Legacy HDF5 weights (`model.save()` → `model_weights/`, `save_weights()` → root). Keras'
 * `load_weights` (by_name=False) pairs the file's layers that hold weights with the model's layers
 * that have weights in order, not by name, so a renamed layer still loads.
 */
export function legacyH5WeightSource(root: H5Group, fileName: string): WeightSource {
  const group = root.attr('layer_names') === undefined && root.has('model_weights') && root.isGroup('model_weights') ? root.group('model_weights') : root;
  return {
    fileName,
    bind(requests, spec) {
      const layerNames = group.stringList('layer_names');
      if (layerNames === undefined) group.requireAttr('layer_names');
      const storedLayers: { name: string; weights: { name: string; shape: number[]; read(): Float32Array }[] }[] = [];
      for (const name of layerNames ?? []) {
        if (!group.has(name) || !group.isGroup(name)) {
          throw new InvalidKerasConfigurationError(
            `layer_names lists layer "${name}" but the file has no weight group for it (the file is incomplete)`,
            { file: fileName, layer: name, field: 'layer_names', value: name },
          );
        }
        const g = group.group(name);
        const weightNames = g.stringList('weight_names');
        if (weightNames === undefined) g.requireAttr('weight_names');
        if (!weightNames || weightNames.length === 0) continue;
        const seen = new Set<string>();
        const weights = weightNames.map((w) => {
          if (seen.has(w)) {
            throw new InvalidKerasConfigurationError(
              `weight_names lists "${w}" twice: the file is incomplete (a Keras 3.1 legacy-h5 saving defect drops a direction of Bidirectional layers); re-save the model`,
              { file: fileName, layer: name, field: 'weight_names', value: weightNames },
            );
          }
          seen.add(w);
          if (!g.has(w)) {
            throw new InvalidKerasConfigurationError(`weight "${w}" is listed in weight_names but missing from the file`, {
              file: fileName,
              layer: name,
              field: 'weight_names',
              value: w,
            });
          }
          const ds = g.dataset(w);
          return { name: w, shape: ds.shape, read: () => ds.readFloat32() };
        });
        storedLayers.push({ name, weights });
      }
      const units = legacyUnits(requests, spec);
      if (storedLayers.length !== units.length) {
        throw new InvalidKerasConfigurationError(
          `the model has ${units.length} layers with weights (${units.map((u) => u.name).join(', ')}) ` +
            `but the weights file has ${storedLayers.length} (${storedLayers.map((s) => s.name).join(', ')})`,
          { file: fileName, field: 'layer_names', value: storedLayers.map((s) => s.name) },
        );
      }
      const out = new Map<string, Float32Array[]>();
      units.forEach((unit, i) => {
        const stored = storedLayers[i];
        if (unit.requests.length === 1) {
          out.set(unit.requests[0].name, readLayerArrays(unit.requests[0], stored.weights, fileName, stored.name));
          return;
        }
        // a nested model: its group's weights are split among its layers in Keras' order
        const total = unit.requests.reduce((n, r) => n + r.expected.length, 0);
        if (total !== stored.weights.length) {
          throw new InvalidKerasConfigurationError(
            `the file stores ${stored.weights.length} weight arrays for nested model "${stored.name}", its layers need ${total} ` +
              `(${unit.requests.map((r) => `${r.name}: ${r.expected.length}`).join(', ')})`,
            { file: fileName, layer: stored.name, field: 'weight_names', value: stored.weights.map((w) => w.name) },
          );
        }
        let at = 0;
        for (const req of unit.requests) {
          out.set(req.name, readLayerArrays(req, stored.weights.slice(at, at + req.expected.length), fileName, stored.name));
          at += req.expected.length;
        }
      });
      return out;
    },
  };
}
