// Seeds and case generation. A case is a pure function of (run seed, case index, seed list): the
// worker regenerates it from its number, so nothing but indices crosses process boundaries and
// any case can be written out again after a crash or hang.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { mutateBytes } from './bytes.mjs';
import { mutateConfigText, mutateJsonText } from './config.mjs';
import { mutateHdf5, scanHdf5 } from './hdf5.mjs';
import { hashString, Rng } from './rng.mjs';
import { mutateSavedModel } from './savedmodel.mjs';
import { mutateTfjs, tfjsSeeds } from './tfjs.mjs';
import { buildZip, crc32, MEMBER_NAMES, rawZip, readMembers, scanZip, zipMutators, deflateSync } from './zip.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FORMATS = ['h5', 'pair', 'keras', 'json', 'tfjs', 'savedmodel'];
/** The shared corpus beside the checkout: its SavedModel directories seed the savedmodel format. */
export const DEFAULT_CORPUS = path.resolve(ROOT, '../shared/corpus');

const read = (p) => new Uint8Array(fs.readFileSync(p));
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Valid model files to start from: test/fixtures (full-model .h5, JSON + weights pairs, JSON
 * configs), fuzz/seeds (Keras 3 .keras archives, newest-format .h5), test/fixtures/keras3 when
 * present, and with `corpus` the shared corpus (read in place, never copied).
 */
export function loadSeeds({ corpus = null } = {}) {
  const seeds = [];
  const fixtures = path.join(ROOT, 'test/fixtures');
  const names = fs.existsSync(fixtures) ? fs.readdirSync(fixtures).sort() : [];
  for (const f of names) {
    if (f.endsWith('.h5') && !f.endsWith('.io.h5') && !f.endsWith('.weights.h5')) {
      seeds.push({ name: `fixtures/${f}`, format: 'h5', files: { model: read(path.join(fixtures, f)) } });
    }
    if (f.endsWith('.json') && f !== 'manifest.json') {
      const base = f.slice(0, -5);
      const config = read(path.join(fixtures, f));
      seeds.push({ name: `fixtures/${f}`, format: 'json', files: { config } });
      const w = path.join(fixtures, `${base}.weights.h5`);
      if (fs.existsSync(w)) seeds.push({ name: `fixtures/${base}.{json,weights.h5}`, format: 'pair', files: { config, weights: read(w) } });
    }
  }
  const dirs = [path.join(ROOT, 'fuzz/seeds'), path.join(fixtures, 'keras3')];
  if (corpus && fs.existsSync(corpus)) dirs.push(corpus);
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    const walk = (d) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.name.endsWith('.keras')) seeds.push({ name: path.relative(ROOT, p), format: 'keras', files: { model: read(p) } });
        else if (entry.name.endsWith('.h5') && dir !== corpus && !entry.name.endsWith('.io.h5') && !entry.name.endsWith('.weights.h5')) {
          seeds.push({ name: path.relative(ROOT, p), format: 'h5', files: { model: read(p) } });
        }
      }
    };
    walk(dir);
  }
  seeds.push(...tfjsSeeds(path.join(fixtures, 'tfjs'), 'fixtures/tfjs'));
  if (corpus) seeds.push(...tfjsSeeds(path.join(corpus, 'tfjs'), 'corpus/tfjs'));
  seeds.push(...savedModelSeeds(corpus ?? DEFAULT_CORPUS));
  if (corpus && fs.existsSync(path.join(corpus, 'manifest.json'))) {
    // corpus full-model files and config + weights pairs named by its manifest
    const manifest = JSON.parse(fs.readFileSync(path.join(corpus, 'manifest.json'), 'utf8'));
    const cases = Array.isArray(manifest) ? manifest : manifest.cases ?? [];
    for (const c of cases) {
      try {
        if (c.model && c.model.endsWith('.h5')) seeds.push({ name: `corpus/${c.model}`, format: 'h5', files: { model: read(path.join(corpus, c.model)) } });
        if (c.config && c.weights) {
          seeds.push({ name: `corpus/${c.config}`, format: 'pair', files: { config: read(path.join(corpus, c.config)), weights: read(path.join(corpus, c.weights)) } });
        }
      } catch {
        // a manifest entry without its files
      }
    }
  }
  return seeds;
}

/**
 * The corpus' SavedModel directories (named by its manifest's `savedmodel` fields), each as a
 * map { relativePath: bytes }; the corpus' own reference.json and TensorFlow's leftover
 * variables_temp/ files are not part of a SavedModel and are left out.
 */
function savedModelSeeds(corpus) {
  const manifestPath = path.join(corpus, 'manifest.json');
  if (!fs.existsSync(manifestPath)) return [];
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const out = [];
  for (const c of manifest.cases ?? []) {
    if (!c.savedmodel) continue;
    const dir = path.join(corpus, c.savedmodel);
    const files = {};
    const walk = (d) => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(d, entry.name);
        const rel = path.relative(dir, p).split(path.sep).join('/');
        if (entry.isDirectory()) {
          if (entry.name !== 'variables_temp') walk(p);
        } else if (rel !== 'reference.json') files[rel] = read(p);
      }
    };
    if (fs.existsSync(dir)) walk(dir);
    if (files['saved_model.pb']) out.push({ name: `corpus/${c.savedmodel}`, format: 'savedmodel', files });
  }
  return out;
}

/** The per-case generator. */
export function caseRng(runSeed, index) {
  return new Rng(hashString(`${runSeed}:${index}`));
}

function mutateH5Bytes(rng, bytes, what, configShare = 0.25) {
  let out = new Uint8Array(bytes);
  const steps = rng.range(1, 3);
  let model;
  for (let s = 0; s < steps; s++) {
    const kind = rng.weighted([
      [0.3, 'bytes'],
      [0.7 - configShare, 'hdf5'],
      [configShare, 'config'],
    ]);
    if (kind === 'bytes') {
      const r = mutateBytes(rng, out);
      out = r.bytes;
      model = undefined;
      what.push(r.what);
    } else if (kind === 'hdf5') {
      model ??= scanHdf5(out);
      const d = mutateHdf5(rng, out, model);
      if (d) what.push(d);
    } else {
      model ??= scanHdf5(out);
      const region = model.json.reduce((best, r) => (!best || r.length > best.length ? r : best), null);
      if (!region) continue;
      const original = dec.decode(out.subarray(region.at, region.at + region.length));
      for (let attempt = 0; attempt < 4; attempt++) {
        const m = mutateConfigText(rng, original);
        const text = enc.encode(m.text);
        if (text.length > region.length) continue;
        out.fill(0x20, region.at, region.at + region.length);
        out.set(text, region.at);
        what.push(...m.what.map((w) => `model_config in place: ${w}`));
        break;
      }
    }
  }
  return out;
}

function mutateJsonBytes(rng, bytes, what) {
  if (rng.chance(0.75)) {
    const m = mutateConfigText(rng, dec.decode(bytes));
    what.push(...m.what);
    return enc.encode(m.text);
  }
  if (rng.chance(0.5)) {
    const t = mutateJsonText(rng, dec.decode(bytes));
    what.push(`json-text: ${t.what}`);
    return enc.encode(t.text);
  }
  const r = mutateBytes(rng, bytes);
  what.push(r.what);
  return r.bytes;
}

const bombCache = new Map();
function zeros(size) {
  // deflated zeros, cached: inflating is the receiver's problem, compressing should be cheap here
  if (!bombCache.has(size)) {
    const data = new Uint8Array(size);
    bombCache.set(size, { deflated: deflateSync(data, { level: 9 }), crc: crc32Zeros(size) });
  }
  return bombCache.get(size);
}

function crc32Zeros(size) {
  // CRC-32 of `size` zero bytes, computed in blocks
  const block = new Uint8Array(Math.min(size, 1 << 20));
  let crc = 0xffffffff;
  const table = [];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  for (let left = size; left > 0; left -= block.length) {
    const n = Math.min(left, block.length);
    for (let i = 0; i < n; i++) crc = table[crc & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function mutateKerasBytes(rng, bytes, what) {
  const kind = rng.weighted([
    [3, 'zip'],
    [3, 'config'],
    [3, 'weights'],
    [0.5, 'metadata'],
    [1, 'members'],
    [0.6, 'bomb'],
    [1.5, 'bytes'],
  ]);
  if (kind === 'bytes') {
    const r = mutateBytes(rng, bytes);
    what.push(r.what);
    return r.bytes;
  }
  if (kind === 'zip') {
    const out = new Uint8Array(bytes);
    const model = scanZip(out);
    const names = Object.keys(zipMutators);
    const steps = rng.range(1, 2);
    for (let s = 0; s < steps; s++) {
      const name = rng.pick(names);
      const d = zipMutators[name](rng, out, model);
      if (d) what.push(`zip.${name}: ${d}`);
    }
    return out;
  }
  const members = readMembers(bytes);
  if (!members) {
    what.push('unreadable archive; bytes mutation instead');
    return mutateBytes(rng, bytes).bytes;
  }
  if (kind === 'config' && members['config.json']) {
    members['config.json'] = mutateJsonBytes(rng, members['config.json'], what);
  } else if (kind === 'weights' && members['model.weights.h5']) {
    const w = [];
    members['model.weights.h5'] = mutateH5Bytes(rng, members['model.weights.h5'], w, 0);
    what.push(...w.map((x) => `model.weights.h5: ${x}`));
  } else if (kind === 'metadata') {
    const v = rng.pick(['{}', '[]', '5', '{"keras_version": 3}', '{"keras_version": "2.15.0"}', '{"keras_version": "1.2.2"}', '{"keras_version": "__proto__"}', '{"__proto__": {"keras_version": "1"}}', 'nope']);
    members['metadata.json'] = enc.encode(v);
    what.push(`metadata.json -> ${v}`);
  } else if (kind === 'members') {
    const names = Object.keys(members);
    const op = rng.int(4);
    if (op === 0 && names.length) {
      const n = rng.pick(names);
      delete members[n];
      what.push(`drop member ${n}`);
    } else if (op === 1 && names.length) {
      const n = rng.pick(names);
      const to = rng.pick(MEMBER_NAMES);
      members[to] = members[n];
      if (rng.chance(0.5)) delete members[n];
      what.push(`member ${n} also/now named ${JSON.stringify(to.slice(0, 40))}`);
    } else if (op === 2) {
      for (let i = 0; i < rng.pick([10, 100, 2000]); i++) members[`assets/${i}.bin`] = new Uint8Array(1);
      what.push('many asset members');
    } else {
      const a = rng.pick(names);
      const b = rng.pick(names);
      [members[a], members[b]] = [members[b], members[a]];
      what.push(`swap contents of ${a} and ${b}`);
    }
  } else if (kind === 'bomb') {
    // deflated zeros: honest sizes (inflated within the cap), small lies, and sizes past the cap
    const actual = rng.pick([4 << 20, 16 << 20, 32 << 20]);
    const declared = rng.pick([actual, actual, 1000, actual - 1, 3 * 2 ** 30, 2 ** 32 - 1]);
    const bomb = zeros(actual);
    const entries = Object.entries(members).map(([name, data]) => ({ name, data, method: 0, crc: crc32(data), compressedSize: data.length, size: data.length }));
    const target = rng.pick(['model.weights.h5', 'config.json', 'metadata.json']);
    const idx = entries.findIndex((e) => e.name === target);
    const entry = { name: target, data: bomb.deflated, method: 8, crc: bomb.crc, compressedSize: bomb.deflated.length, size: declared };
    if (idx >= 0) entries[idx] = entry;
    else entries.push(entry);
    what.push(`${target} -> deflated zeros (${actual} bytes, declared ${declared})`);
    return rawZip(entries);
  }
  return buildZip(members, rng.pick([0, 6]));
}

/**
 * Generates case `index`: { index, seed, format, files, what[], input }.
 * `input.mode` is "valid" (a well-formed input for whatever loaded) or "bad" (a predict-time
 * validation probe); `input.seed` drives its values.
 */
export function makeCase(runSeed, index, seeds, formats = FORMATS) {
  const rng = caseRng(runSeed, index);
  const format = formats[index % formats.length];
  const pool = seeds.filter((s) => s.format === format);
  const seed = pool.length ? rng.pick(pool) : rng.pick(seeds);
  const what = [];
  const files = { ...seed.files };
  const inputProbe = rng.chance(0.1);
  const clean = inputProbe || rng.chance(0.02);
  if (!clean) {
    if (seed.format === 'h5') files.model = mutateH5Bytes(rng, seed.files.model, what);
    else if (seed.format === 'json') files.config = mutateJsonBytes(rng, seed.files.config, what);
    else if (seed.format === 'pair') {
      const which = rng.weighted([
        [4, 'config'],
        [4, 'weights'],
        [1, 'both'],
      ]);
      if (which !== 'weights') files.config = mutateJsonBytes(rng, seed.files.config, what);
      if (which !== 'config') {
        const w = [];
        files.weights = mutateH5Bytes(rng, seed.files.weights, w, 0);
        what.push(...w.map((x) => `weights: ${x}`));
      }
    } else if (seed.format === 'keras') files.model = mutateKerasBytes(rng, seed.files.model, what);
    else if (seed.format === 'tfjs') {
      for (let s = rng.range(1, 2); s > 0; s--) mutateTfjs(rng, files, what);
    } else if (seed.format === 'savedmodel') {
      const steps = rng.range(1, 2);
      let dir = seed.files;
      for (let s = 0; s < steps; s++) dir = mutateSavedModel(rng, dir, what);
      for (const k of Object.keys(files)) delete files[k];
      Object.assign(files, dir);
    }
  }
  if (clean && !inputProbe) what.push('unmutated seed');
  return {
    index,
    seed: seed.name,
    format: seed.format,
    files,
    what,
    input: { mode: inputProbe ? 'bad' : 'valid', seed: rng.int(2 ** 31) },
  };
}
