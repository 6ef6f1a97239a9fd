import { InputError, UnsupportedKerasConfigurationError } from '../errors.js';
import { refKey, type ModelGraph } from '../graph/build-graph.js';
import type { StringFrontEnd } from '../layers/types.js';
import type { TensorInput } from '../types/tensor.js';

/**
 * For each model input, the string front end of the layer it feeds, or null: an input takes
 * strings when its InputLayer is declared `dtype="string"` or its layer only takes strings
 * (TextVectorization). Such an input must feed exactly that one layer.
 */
export function stringFrontEnds(graph: ModelGraph, file: string): (StringFrontEnd | null)[] {
  const fed = perInput(graph, file);
  // A layer that only takes strings must get them from a model input; one that also takes
  // numbers (Hashing) learns which it gets.
  for (const l of graph.layers) {
    if (l.imported.strings && fed.includes(l.imported.strings)) l.imported.strings.fedStrings?.();
    else if (l.imported.strings?.required) {
      throw new UnsupportedKerasConfigurationError(
        `${l.spec.className} takes strings: it must take a model input directly`,
        { file, layer: l.spec.name, className: l.spec.className },
      );
    }
  }
  return fed;
}

function perInput(graph: ModelGraph, file: string): (StringFrontEnd | null)[] {
  return graph.spec.inputs.map((ref) => {
    const key = refKey(ref);
    const inputLayer = graph.layers.find((l) => l.spec.name === ref.layer);
    const declaredString = inputLayer?.imported.details.dtype === 'string';
    const consumers = graph.nodes.filter((n) => n.inputs.some((r) => refKey(r) === key));
    const taking = consumers.filter((n) => n.layer.imported.strings && (n.layer.imported.strings.required || declaredString));
    if (taking.length === 0) {
      if (declaredString && consumers.length > 0) {
        const c = consumers[0].layer;
        throw new UnsupportedKerasConfigurationError(`string input "${ref.layer}" feeds ${c.spec.className}, which does not take strings (TextVectorization, StringLookup and Hashing do)`, {
          file,
          layer: c.spec.name,
          className: c.spec.className,
        });
      }
      return null;
    }
    if (consumers.length !== 1 || consumers[0].inputs.length !== 1) {
      const c = taking[0].layer;
      throw new UnsupportedKerasConfigurationError(`a string input must feed one string layer only; "${ref.layer}" feeds ${consumers.length} layer calls`, {
        file,
        layer: c.spec.name,
        className: c.spec.className,
      });
    }
    return taking[0].layer.imported.strings as StringFrontEnd;
  });
}

/** True for `string[]` or `{ data: string[], shape }` (a batch of texts for a one-input model). */
export function isStringBatch(x: unknown): boolean {
  // a list of texts (not of { data, shape } tensors); non-strings in it are reported by encodeStringInput
  if (Array.isArray(x)) return x.length > 0 && x.some((v) => typeof v === 'string' || Array.isArray(v)) && !x.some((v) => v && typeof v === 'object' && 'data' in v);
  return !!x && typeof x === 'object' && Array.isArray((x as { data?: unknown }).data) && (x as { data: unknown[] }).data.every((v) => typeof v === 'string');
}

/** Texts given for a string input (`string[]`, `[[text], ...]` or `{ data, shape }`) -> the layer's numeric tensor. */
export function encodeStringInput(given: unknown, fe: StringFrontEnd, name: string, file: string): TensorInput {
  const ctx = { file, field: name };
  let data: unknown[];
  let shape: number[];
  if (Array.isArray(given)) {
    data = given.map((v) => (Array.isArray(v) && v.length === 1 ? v[0] : v));
    shape = given.length > 0 && Array.isArray(given[0]) ? [given.length, 1] : [given.length];
  } else if (given && typeof given === 'object' && Array.isArray((given as { data?: unknown }).data) && Array.isArray((given as { shape?: unknown }).shape)) {
    data = (given as { data: unknown[] }).data;
    shape = (given as { shape: number[] }).shape;
  } else {
    throw new InputError(`input "${name}" takes texts: ${fe.expects}, e.g. ['a good movie', 'awful'] or { data: [...], shape: [n] }`, { ...ctx, value: typeof given });
  }
  const bad = data.findIndex((v) => typeof v !== 'string');
  if (bad >= 0) throw new InputError(`input "${name}" takes texts (${fe.expects}); item ${bad} is not a string`, { ...ctx, value: data[bad] });
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || shape.reduce((a, b) => a * b, 1) !== data.length) {
    throw new InputError(`input "${name}": shape ${JSON.stringify(shape)} does not fit ${data.length} texts`, { ...ctx, value: shape });
  }
  if (shape[0] === 0) throw new InputError('the batch is empty', { ...ctx, value: shape });
  return fe.encode(data as string[], shape);
}
