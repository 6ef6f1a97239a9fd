// Runs one fuzz case against kerasrnn's public API and classifies what happened. Used by the
// fuzz worker and by the regression tests (test/reliability/fuzz-regressions.test.js).
//
// Outcomes: "predicted" (loaded and predicted), "config-only" (an architecture without weights
// loaded), "loaded" (loaded, but its input would be too large to try), "typed" (a KerasRnnError
// subclass), or a defect: "untyped" (any other exception),
// "internal" (a typed error that reports a broken invariant of kerasrnn: "internal: ..."),
// "prototype" (Object.prototype or another builtin prototype changed), "console" (the library
// printed something), "nondeterministic" (two predicts of one input differ), "after-dispose"
// (a disposed model did not refuse with a typed error). Hangs, crashes and memory blow-ups are
// detected by the worker and the parent process.

import { zipSync } from 'fflate';

import { Rng } from './rng.mjs';
import { tfjsSource, WEIGHT_PREFIX } from './tfjs.mjs';

export const DEFECT_KINDS = ['untyped', 'internal', 'prototype', 'console', 'nondeterministic', 'after-dispose', 'hang', 'crash', 'memory'];

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype, Boolean.prototype, Promise.prototype, Uint8Array.prototype, Float32Array.prototype];

function snapshotPrototypes() {
  return PROTOTYPES.map((p) => {
    const names = Reflect.ownKeys(p);
    return new Map(names.map((n) => [n, Object.getOwnPropertyDescriptor(p, n)]));
  });
}

function prototypeChanges(before) {
  const changes = [];
  PROTOTYPES.forEach((p, i) => {
    const old = before[i];
    const now = Reflect.ownKeys(p);
    for (const n of now) {
      const d = Object.getOwnPropertyDescriptor(p, n);
      const o = old.get(n);
      if (!o) {
        changes.push(`${String(n)} added`);
        delete p[n];
      } else if (o.value !== d.value || o.get !== d.get || o.set !== d.set) {
        changes.push(`${String(n)} changed`);
        Object.defineProperty(p, n, o);
      }
    }
    for (const n of old.keys()) if (!now.includes(n)) changes.push(`${String(n)} removed`);
  });
  if (Object.getPrototypeOf(Object.prototype) !== null) changes.push('Object.prototype has a prototype');
  return changes;
}

/**
 * The loadModel source for a case. JSON configs are passed as bytes, and for some cases (chosen by
 * the input seed) as a string or as an already parsed object, which takes another path.
 */
function toSource(c) {
  const f = c.files;
  const form = c.input.seed % 5;
  if (c.format === 'tfjs') return tfjsSource(f, form % 4);
  let config = f.config;
  if (config !== undefined && form === 1) config = new TextDecoder().decode(config);
  else if (config !== undefined && form === 2) {
    try {
      config = JSON.parse(new TextDecoder().decode(config));
    } catch {
      // not JSON: pass the bytes
    }
  }
  if (c.format === 'savedmodel') return form === 3 ? zipSync(f, { level: 0 }) : { ...f };
  if (f.weights !== undefined || c.format === 'pair') return { config, weights: f.weights };
  if (c.format === 'json') return form >= 1 && form <= 2 ? { config } : config;
  return f.model;
}

function fileName(c) {
  return { h5: 'fuzz.h5', pair: 'fuzz.json', keras: 'fuzz.keras', json: 'fuzz.json', tfjs: 'model.json', savedmodel: 'fuzz-savedmodel' }[c.format] ?? 'fuzz';
}

function describeError(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}`.slice(0, 400);
  return `non-Error thrown: ${String(e)}`.slice(0, 400);
}

function stackTop(e) {
  return e instanceof Error && e.stack ? e.stack.split('\n').slice(0, 6).join('\n') : '';
}

const MAX_INPUT_ELEMENTS = 1 << 21;

/** A well-formed input for the model (null dimensions filled in), or null if it would be huge. */
function validInputs(model, rng) {
  const vocab = model.layers.filter((l) => l.className === 'Embedding').map((l) => Number(l.details?.inputDim) || 1);
  const ids = vocab.length ? Math.max(1, Math.min(...vocab)) : 0;
  const batch = rng.range(1, 3);
  const xs = [];
  for (const input of model.inputs) {
    const shape = input.shape.map((d, i) => (i === 0 ? (d ?? batch) : (d ?? rng.range(1, 6))));
    const n = shape.reduce((a, b) => a * b, 1);
    if (!(n <= MAX_INPUT_ELEMENTS)) return null;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = ids ? rng.int(ids) : (rng.next() - 0.5) * 4;
    xs.push({ data, shape });
  }
  return xs;
}

/** Predict-time validation probes: each edits a copy of a valid input (or returns its own). */
const PROBES = {
  'rank too low': (t) => void (t.shape = t.shape.slice(0, -1)),
  'rank too high': (t) => void (t.shape = [...t.shape, 1]),
  'last dimension off by one': (t) => {
    t.shape[t.shape.length - 1] += 1;
    t.data = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
  },
  'data one value short': (t) => void (t.data = t.data.subarray(0, Math.max(0, t.data.length - 1))),
  'empty batch': (t) => {
    t.shape[0] = 0;
    t.data = new Float32Array(0);
  },
  'zero-length sequence': (t) => {
    if (t.shape.length > 1) t.shape[1] = 0;
    t.data = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
  },
  'NaN values': (t) => void (t.data = t.data.map(() => NaN)),
  'infinite values': (t) => void (t.data = t.data.map((v, i) => (i % 2 ? Infinity : -Infinity))),
  'negative values (ids)': (t) => void (t.data = t.data.map(() => -1)),
  'huge values (ids)': (t) => void (t.data = t.data.map(() => 1e9)),
  'fractional values (ids)': (t) => void (t.data = t.data.map(() => 0.5)),
  'strings as data': (t) => void (t.data = Array.from(t.data, () => 'a')),
  'BigInt64Array data': (t) => void (t.data = new BigInt64Array(t.data.length)),
  'null data': (t) => void (t.data = null),
  'negative dimension': (t) => void (t.shape = t.shape.map((d, i) => (i === 1 ? -d : d))),
  'fractional dimension': (t) => void (t.shape = t.shape.map((d, i) => (i === 0 ? d + 0.5 : d))),
  'huge batch, small data': (t) => void (t.shape = [2 ** 31, ...t.shape.slice(1)]),
  'shape not an array': (t) => void (t.shape = 'abc'),
  'one input too many': (t, x) => ({ x: [...x, x[0]] }),
  'object keyed by prototype names': (t, x) => ({ x: Object.fromEntries([['__proto__', x[0]], ['constructor', x[0]]]) }),
  'outputs option with odd names': (t, x, model, rng) => ({
    x,
    options: { outputs: [rng.pick(['__proto__', 'constructor', 'x:99', ':', 'toString', '', `${model.layers[0]?.name}:99`])] },
  }),
  'outputs option not a list': (t, x) => ({ x, options: { outputs: 'dense' } }),
  'plain array data': (t) => void (t.data = Array.from(t.data)),
  'long sequence past maxBatchSteps': (t) => {
    if (t.shape.length < 2) return;
    t.shape[1] = 2 ** 25;
    t.data = { length: t.shape.reduce((a, b) => a * b, 1) }; // never read: refused before
  },
};

/**
 * A predict-time validation probe: returns { x, what, options? } with something wrong (or odd)
 * about a valid input. `variant` (a PROBES key) picks one; otherwise the generator does.
 */
function badInputs(model, rng, variant) {
  const good = validInputs(model, rng) ?? model.inputs.map(() => ({ data: new Float32Array(1), shape: [1] }));
  const x = good.map((t) => ({ data: t.data, shape: t.shape.slice() }));
  const names = Object.keys(PROBES);
  const what = variant && PROBES[variant] ? variant : names[rng.int(names.length)];
  const replaced = PROBES[what](x[0], x, model, rng);
  return { x: replaced?.x ?? x, options: replaced?.options, what };
}

function sameBits(a, b) {
  const one = (Array.isArray(a) ? a : [a]).map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const two = (Array.isArray(b) ? b : [b]).map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return one.length === two.length && one.every((x, i) => x.length === two[i].length && x.every((v, k) => v === two[i][k]));
}

/**
 * Runs a case. `lib` is kerasrnn's public module. Returns
 * { outcome, detail, stack?, errorClass?, steps[] }.
 */
export async function runCase(c, lib, { limits } = {}) {
  const steps = [];
  const before = snapshotPrototypes();
  const printed = [];
  const saved = {};
  for (const k of ['log', 'warn', 'error', 'info', 'debug']) {
    saved[k] = console[k];
    console[k] = (...args) => printed.push(`console.${k}: ${args.map(String).join(' ').slice(0, 200)}`);
  }
  let result;
  try {
    result = await runInner(c, lib, steps, limits);
  } finally {
    Object.assign(console, saved);
  }
  if (result.outcome === 'typed' && /^internal\b/.test(result.detail)) result = { ...result, outcome: 'internal' };
  const changes = prototypeChanges(before);
  if (changes.length) return { outcome: 'prototype', detail: `builtin prototypes changed: ${changes.join(', ')}`, steps };
  if (printed.length && !result.outcome.startsWith('untyped')) return { outcome: 'console', detail: printed.slice(0, 3).join(' | '), steps };
  return { ...result, steps };
}

async function runInner(c, lib, steps, limits) {
  const typed = (e) => e instanceof lib.KerasRnnError;
  const rng = new Rng(c.input.seed);
  let model;
  try {
    steps.push('load');
    model = await lib.loadModel(toSource(c), { fileName: fileName(c), ...(limits ? { limits } : {}) });
    model.summary();
    if (!model.hasWeights) {
      steps.push('predict without weights');
      try {
        model.predict({ data: new Float32Array(1), shape: [1] });
        return { outcome: 'untyped', detail: 'predict on an architecture-only model did not throw' };
      } catch (e) {
        if (!typed(e)) return { outcome: 'untyped', detail: describeError(e), stack: stackTop(e) };
      }
      return { outcome: 'config-only', detail: `${model.layers.length} layers` };
    }
    if (c.input.mode === 'bad') {
      const probe = badInputs(model, rng, c.input.variant);
      steps.push(`bad input: ${probe.what}`);
      try {
        const x = Array.isArray(probe.x) && probe.x.length === 1 ? probe.x[0] : probe.x;
        model.predict(x, probe.options);
        return { outcome: 'predicted', detail: `bad input accepted: ${probe.what}` };
      } catch (e) {
        if (!typed(e)) return { outcome: 'untyped', detail: `${probe.what}: ${describeError(e)}`, stack: stackTop(e) };
        if (/^internal\b/.test(e.message)) return { outcome: 'internal', errorClass: e.constructor.name, detail: `${probe.what}: ${e.message.slice(0, 200)}` };
        return { outcome: 'typed', errorClass: e.constructor.name, detail: `${probe.what}: ${e.message.slice(0, 200)}` };
      }
    }
    const xs = validInputs(model, rng);
    if (!xs) return { outcome: 'loaded', detail: 'loaded; the model input is too large to try a predict' };
    const x = xs.length === 1 ? xs[0] : xs;
    steps.push(`predict ${xs.map((t) => JSON.stringify(t.shape)).join(' ')}`);
    const y1 = model.predict(x);
    const y2 = model.predict(x);
    if (!sameBits(y1, y2)) return { outcome: 'nondeterministic', detail: 'two predicts of the same input differ' };
    if (xs.length === 1 && rng.chance(0.3)) {
      steps.push('stream');
      try {
        const s = model.stream();
        s.step(xs[0]);
        s.getState();
        s.reset();
      } catch (e) {
        if (!typed(e)) return { outcome: 'untyped', detail: `stream: ${describeError(e)}`, stack: stackTop(e) };
      }
    }
    model.dispose();
    steps.push('predict after dispose');
    try {
      model.predict(x);
      return { outcome: 'after-dispose', detail: 'predict after dispose did not throw' };
    } catch (e) {
      if (!typed(e)) return { outcome: 'after-dispose', detail: describeError(e), stack: stackTop(e) };
    }
    return { outcome: 'predicted', detail: `outputs ${(Array.isArray(y1) ? y1 : [y1]).map((t) => JSON.stringify(t.shape)).join(' ')}` };
  } catch (e) {
    if (typed(e)) return { outcome: 'typed', errorClass: e.constructor.name, detail: e.message.slice(0, 300) };
    return { outcome: 'untyped', detail: describeError(e), stack: stackTop(e) };
  } finally {
    try {
      model?.dispose();
    } catch {
      // dispose of a broken model
    }
  }
}

/** Writes a case's files and report into `dir` (for defects); returns the directory. */
export function writeCase(fs, path, dir, c, report) {
  fs.mkdirSync(dir, { recursive: true });
  const names =
    c.format === 'savedmodel'
      ? Object.fromEntries(Object.keys(c.files).map((k) => [k, `savedmodel/${k}`]))
      : { h5: { model: 'model.h5' }, keras: { model: 'model.keras' }, json: { config: 'config.json' }, pair: { config: 'config.json', weights: 'weights.h5' } }[c.format] ?? { model: 'model.json' };
  if (c.format === 'tfjs') {
    // weight files keep a safe form of their manifest path (the path itself may be hostile)
    Object.keys(c.files).filter((k) => k.startsWith(WEIGHT_PREFIX)).forEach((k, i) => (names[k] = `weight-${i}.bin`));
  }
  const written = {};
  for (const [key, name] of Object.entries(names)) {
    if (c.files[key] === undefined) continue;
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), c.files[key]);
    written[key] = name;
  }
  fs.writeFileSync(
    path.join(dir, 'case.json'),
    `${JSON.stringify({ index: c.index, runSeed: c.runSeed, seed: c.seed, format: c.format, files: written, what: c.what, input: c.input, report }, null, 2)}\n`,
  );
  return dir;
}

/** Reads a case written by {@link writeCase}. */
export function readCase(fs, path, dir) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8'));
  const files = {};
  for (const [key, name] of Object.entries(meta.files)) files[key] = new Uint8Array(fs.readFileSync(path.join(dir, name)));
  return { ...meta, files };
}
