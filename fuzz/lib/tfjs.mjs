// TF.js layers models for the fuzzer: seeds (a model.json and its weight files) and mutations of
// the manifest JSON (groups, paths, names, shapes, dtypes, quantization scale / min), of the
// topology (the config mutators), of model.json's text and of the weight files' bytes.
// A case's files are { model: model.json bytes, 'weight:<path>': bytes, ... }.

import fs from 'node:fs';
import path from 'node:path';

import { mutateBytes } from './bytes.mjs';
import { mutateConfigText, mutateJsonText } from './config.mjs';

const enc = new TextEncoder();
const dec = new TextDecoder();
export const WEIGHT_PREFIX = 'weight:';

/** A seed from a folder holding model.json and the weight files its manifest names. */
export function tfjsSeed(name, folder) {
  const json = fs.readFileSync(path.join(folder, 'model.json'));
  const files = { model: new Uint8Array(json) };
  const manifest = JSON.parse(dec.decode(json)).weightsManifest ?? [];
  for (const g of manifest) {
    for (const p of g.paths) {
      const f = path.join(folder, p);
      if (fs.existsSync(f)) files[WEIGHT_PREFIX + p] = new Uint8Array(fs.readFileSync(f));
    }
  }
  return { name, format: 'tfjs', files };
}

/** Every folder with a model.json under `dir`. */
export function tfjsSeeds(dir, label) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    const entries = fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    if (entries.some((e) => e.isFile() && e.name === 'model.json')) out.push(tfjsSeed(`${label}/${path.relative(dir, d)}`, d));
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(dir);
  return out;
}

const weightsOf = (doc) => (Array.isArray(doc?.weightsManifest) ? doc.weightsManifest.filter((g) => g && Array.isArray(g.weights)) : []);
const entriesOf = (doc) => weightsOf(doc).flatMap((g) => g.weights.filter((w) => w && typeof w === 'object'));

/** Manifest mutators: each edits the parsed model.json and returns a description, or null. */
const manifestMutators = {
  shape(rng, doc) {
    const e = rng.pick(entriesOf(doc));
    if (!e) return null;
    const v = rng.pick([[2 ** 31, 2 ** 31], [-1, 4], [1.5], [], [0], 'abc', [1e308], [2 ** 53, 2], Array(40).fill(2), [3, null], [Number(e.shape?.[0] ?? 1) + 1, ...(e.shape ?? []).slice(1)]]);
    e.shape = v;
    return `${e.name}.shape -> ${JSON.stringify(v)}`;
  },
  dtype(rng, doc) {
    const e = rng.pick(entriesOf(doc));
    if (!e) return null;
    const v = rng.pick(['int32', 'bool', 'string', 'complex64', 'float16', 'float64', '__proto__', 7, null]);
    e.dtype = v;
    return `${e.name}.dtype -> ${JSON.stringify(v)}`;
  },
  quantization(rng, doc) {
    const e = rng.pick(entriesOf(doc));
    if (!e) return null;
    const q = rng.pick([
      { dtype: 'uint8', scale: 0.01, min: -1 },
      { dtype: 'uint16', scale: 1e-4, min: -3 },
      { dtype: 'float16' },
      { dtype: 'uint8', scale: Infinity, min: 0 },
      { dtype: 'uint8', scale: 1e308, min: 1e308 },
      { dtype: 'uint8', scale: -1, min: 'x' },
      { dtype: 'uint8' },
      { dtype: 'int4', scale: 1, min: 0 },
      { dtype: 'uint16', scale: 1, min: 0, extra: { __proto__: { polluted: 1 } } },
      'uint8',
      null,
    ]);
    e.quantization = q;
    return `${e.name}.quantization -> ${JSON.stringify(q)}`;
  },
  scaleOrMin(rng, doc) {
    const e = rng.pick(entriesOf(doc).filter((x) => x.quantization && typeof x.quantization === 'object'));
    if (!e) return null;
    const key = rng.pick(['scale', 'min']);
    const v = rng.pick([NaN, 0, -0.5, 1e30, 1e-45, '1', null]);
    e.quantization[key] = v;
    return `${e.name}.quantization.${key} -> ${String(v)}`;
  },
  paths(rng, doc) {
    const g = rng.pick(weightsOf(doc));
    if (!g) return null;
    const v = rng.pick([[], ['missing.bin'], ['../../etc/passwd'], ['/etc/passwd'], ['http://127.0.0.1:1/x.bin'], ['C:\\x.bin'], [5], 'group1-shard1of1.bin', [...(g.paths ?? []), ...(g.paths ?? [])], [...(g.paths ?? [])].reverse(), ['']]);
    g.paths = v;
    return `paths -> ${JSON.stringify(v)}`;
  },
  name(rng, doc) {
    const list = entriesOf(doc);
    const e = rng.pick(list);
    if (!e) return null;
    const v = rng.pick(['', '__proto__', 'constructor/kernel', 'nolayer/kernel', '/', 'a//b', list[0]?.name ?? 'x', `x/${e.name}`, 'x'.repeat(10000)]);
    e.name = v;
    return `name -> ${JSON.stringify(v.slice(0, 40))}`;
  },
  dropEntry(rng, doc) {
    const g = rng.pick(weightsOf(doc));
    if (!g || g.weights.length === 0) return null;
    const i = rng.int(g.weights.length);
    g.weights.splice(i, 1);
    return `drop entry ${i}`;
  },
  swapEntries(rng, doc) {
    const g = rng.pick(weightsOf(doc));
    if (!g || g.weights.length < 2) return null;
    const i = rng.int(g.weights.length);
    const j = rng.int(g.weights.length);
    [g.weights[i], g.weights[j]] = [g.weights[j], g.weights[i]];
    return `swap entries ${i} and ${j} (byte layout shifts)`;
  },
  optimizerGroup(rng, doc) {
    const e = rng.pick(entriesOf(doc));
    if (!e) return null;
    e.group = rng.pick(['optimizer', 'model', 5]);
    return `${e.name}.group -> ${e.group}`;
  },
  manifestShape(rng, doc) {
    const v = rng.pick([null, {}, 'x', [null], [{ paths: ['a'] }], [{ weights: [] }], [[]], Array(2000).fill({ paths: [], weights: [] })]);
    doc.weightsManifest = v;
    return `weightsManifest -> ${JSON.stringify(v)?.slice(0, 60)}`;
  },
  topLevel(rng, doc) {
    const op = rng.int(5);
    if (op === 0) doc.format = rng.pick(['graph-model', 'layers', 5, null, '__proto__']);
    else if (op === 1) doc.modelTopology = rng.pick([null, 'x', [], { model_config: null }, { model_config: 5 }]);
    else if (op === 2 && doc.modelTopology && typeof doc.modelTopology === 'object') doc.modelTopology.keras_version = rng.pick(['tfjs-layers', '3.0.0', '1.2.2', 3, '', 'tfjs-layers 99']);
    else if (op === 3) delete doc.weightsManifest;
    else doc.modelTopology = doc.modelTopology?.model_config ?? { model_config: doc.modelTopology };
    return `top level op ${op}`;
  },
};

function mutateModelJson(rng, bytes, what) {
  let doc;
  try {
    doc = JSON.parse(dec.decode(bytes));
    JSON.stringify(doc);
  } catch {
    what.push('model.json not JSON (or too deep); unchanged');
    return bytes;
  }
  const kind = rng.weighted([
    [6, 'manifest'],
    [2, 'topology'],
    [1, 'text'],
  ]);
  if (kind === 'topology' && doc?.modelTopology && typeof doc.modelTopology === 'object') {
    // the mutated config goes back in as text: it may nest too deeply to parse and serialise again
    const wrapped = Boolean(doc.modelTopology.model_config);
    const m = mutateConfigText(rng, JSON.stringify(wrapped ? doc.modelTopology.model_config : doc.modelTopology));
    what.push(...m.what.map((w) => `topology: ${w}`));
    const marker = '"@@fuzz-topology@@"';
    if (wrapped) doc.modelTopology.model_config = '@@fuzz-topology@@';
    else doc.modelTopology = '@@fuzz-topology@@';
    return enc.encode(JSON.stringify(doc).replace(marker, () => m.text));
  }
  if (kind === 'text') {
    const t = mutateJsonText(rng, dec.decode(bytes));
    what.push(`model.json text: ${t.what}`);
    return enc.encode(t.text);
  }
  const names = Object.keys(manifestMutators);
  for (let s = rng.range(1, 3); s > 0; s--) {
    const name = rng.pick(names);
    const d = manifestMutators[name](rng, doc);
    if (d) what.push(`manifest.${name}: ${d}`);
  }
  try {
    return enc.encode(JSON.stringify(doc));
  } catch {
    what.push('model.json too deep to serialise again; unchanged');
    return bytes;
  }
}

/** Mutates a TF.js case's files in place (model.json or one weight file). */
export function mutateTfjs(rng, files, what) {
  const weights = Object.keys(files).filter((k) => k.startsWith(WEIGHT_PREFIX));
  const kind = rng.weighted([
    [6, 'model'],
    [3, 'weights'],
    [1, 'drop'],
  ]);
  if (kind === 'weights' && weights.length) {
    const k = rng.pick(weights);
    const op = rng.int(3);
    if (op === 0) {
      const cut = rng.int(files[k].length + 1);
      files[k] = files[k].subarray(0, cut);
      what.push(`${k} truncated to ${cut} bytes`);
    } else if (op === 1) {
      const grown = new Uint8Array(files[k].length + rng.pick([1, 3, 4096]));
      grown.set(files[k]);
      grown.fill(0xff, files[k].length);
      files[k] = grown;
      what.push(`${k} extended with 0xff bytes`);
    } else {
      const r = mutateBytes(rng, files[k]);
      files[k] = r.bytes;
      what.push(`${k}: ${r.what}`);
    }
    return;
  }
  if (kind === 'drop' && weights.length) {
    const k = rng.pick(weights);
    delete files[k];
    what.push(`${k} missing`);
    return;
  }
  files.model = mutateModelJson(rng, files.model, what);
}

/**
 * The loadModel source of a TF.js case: `{ modelJson, weights }` (bytes, text or object form) or a
 * File[] holding model.json and the weight files.
 */
export function tfjsSource(files, form) {
  const weights = {};
  for (const [k, v] of Object.entries(files)) if (k.startsWith(WEIGHT_PREFIX)) weights[k.slice(WEIGHT_PREFIX.length)] = v;
  if (form === 3 && typeof File === 'function') {
    return [new File([files.model], 'model.json'), ...Object.entries(weights).map(([n, b]) => new File([b], n.split('/').pop()))];
  }
  let modelJson = files.model;
  if (form === 1) modelJson = dec.decode(files.model);
  else if (form === 2) {
    try {
      modelJson = JSON.parse(dec.decode(files.model));
    } catch {
      // not JSON: keep the bytes
    }
  }
  return { modelJson, weights };
}
