// Config-aware mutations of Keras model configurations (parsed JSON): wrong types, missing and
// contradictory fields, negative / huge sizes and shapes, unknown classes and activations, deep
// nesting, prototype keys, broken graph references. Each mutator edits the object in place and
// returns a description (or null when it found nothing to act on).

const NUMERIC_KEYS = [
  'units', 'output_dim', 'input_dim', 'input_length', 'n', 'rate', 'p', 'mask_value', 'axis', 'implementation',
  'alpha', 'max_value', 'negative_slope', 'threshold', 'stddev',
];
const SHAPE_KEYS = ['batch_input_shape', 'batch_shape', 'input_shape', 'target_shape', 'dims', 'shape'];
const BOOL_KEYS = [
  'return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll', 'use_bias', 'reset_after', 'mask_zero',
  'zero_output_for_mask', 'time_major', 'unit_forget_bias',
];
const CLASS_NAMES = [
  'Foo', 'Lambda', 'TFOpLambda', 'Sequential', 'Functional', 'Model', '__proto__', 'constructor', 'toString',
  'hasOwnProperty', '', 'LSTM', 'GRU', 'SimpleRNN', 'Dense', 'Bidirectional', 'TimeDistributed', 'Embedding',
  'InputLayer', 'Masking', 'ConvLSTM1D', 'Conv1D', 'CuDNNLSTM', 'CuDNNGRU', 'RepeatVector', 'Reshape', 'Add', 'Concatenate',
  '__keras_tensor__',
];
const ACTIVATIONS = [
  'foo', 'toString', '__proto__', 'constructor', 'valueOf', '', 'softmax', 'log_softmax', 'hard_sigmoid', 'relu', 'elu',
  'gelu', 'swish', 'linear', null, 5, true, [], { class_name: 'Custom', config: {} }, { class_name: 'ReLU', config: { max_value: -1 } },
  { module: 'keras.activations', class_name: 'function', config: 'tanh', registered_name: 'function' },
];
const MERGE_MODES = ['concat', 'sum', 'mul', 'ave', null, 'foo', 'max', 'constructor', 5];
const HUGE = [-1, 0, 1, 2, 3, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 1e9, 1e15, 1e300, -1e300, 1.5, 0.5, -0.0, 65536, 100000];

/** Mutated configs above this size are dropped (the fuzzer's own memory, not kerasrnn's, is the limit). */
const MAX_CONFIG_CHARS = 24 * 1024 * 1024;

/** Every (parent, key) pair in the tree, breadth first, bounded. */
function nodes(root, limit = 20000) {
  const out = [];
  const queue = [[null, null, root]];
  while (queue.length && out.length < limit) {
    const [parent, key, value] = queue.shift();
    if (parent !== null) out.push({ parent, key, value });
    if (value && typeof value === 'object') {
      for (const k of Object.keys(value)) queue.push([value, Array.isArray(value) ? Number(k) : k, value[k]]);
    }
  }
  return out;
}

function layersOf(json) {
  const cfg = json?.config;
  if (Array.isArray(cfg)) return cfg;
  if (Array.isArray(cfg?.layers)) return cfg.layers;
  return [];
}

/** Every layer entry, including wrapped ones (Bidirectional, TimeDistributed). */
function allLayerEntries(json) {
  return nodes(json).filter((n) => n.value && typeof n.value === 'object' && !Array.isArray(n.value) && typeof n.value.class_name === 'string' && n.value.config && typeof n.value.config === 'object').map((n) => n.value);
}

function otherTypeValue(rng, value) {
  const options = [null, true, false, 0, -1, 1e308, 'x', '', [], {}, [1, 2], { a: 1 }, '5', [null]];
  let v;
  do v = rng.pick(options);
  while (typeof v === typeof value && Array.isArray(v) === Array.isArray(value) && rng.chance(0.8));
  return structuredClone(v);
}

function setKey(obj, key, value) {
  // defineProperty so that a "__proto__" key becomes an own property that JSON.stringify writes out
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function nest(rng, depth, inner) {
  let v = inner;
  const asObject = rng.chance(0.5);
  for (let i = 0; i < depth; i++) v = asObject ? { a: v } : [v];
  return v;
}

export const configMutators = {
  wrongType(rng, json) {
    const all = nodes(json);
    if (!all.length) return null;
    const n = rng.pick(all);
    const v = otherTypeValue(rng, n.value);
    n.parent[n.key] = v;
    return `${String(n.key)}: ${short(n.value)} -> ${short(v)}`;
  },
  deleteKey(rng, json) {
    const objs = nodes(json).filter((n) => n.parent && !Array.isArray(n.parent));
    const important = objs.filter((n) => ['class_name', 'config', 'layers', 'name', 'units', 'inbound_nodes', 'batch_input_shape', 'batch_shape', 'input_layers', 'output_layers', 'layer', 'input_dim', 'output_dim', 'keras_history', 'activation', 'build_config'].includes(n.key));
    const n = important.length && rng.chance(0.7) ? rng.pick(important) : objs.length ? rng.pick(objs) : null;
    if (!n) return null;
    delete n.parent[n.key];
    return `delete "${n.key}"`;
  },
  numericField(rng, json) {
    const found = nodes(json).filter((n) => NUMERIC_KEYS.includes(n.key) || (typeof n.value === 'number' && rng.chance(0.05)));
    if (!found.length) return null;
    const n = rng.pick(found);
    const v = rng.chance(0.85) ? rng.pick(HUGE) : rng.pick(['5', null, [5], { units: 5 }, true]);
    n.parent[n.key] = v;
    return `${String(n.key)}: ${short(n.value)} -> ${short(v)}`;
  },
  shapeField(rng, json) {
    const found = nodes(json).filter((n) => SHAPE_KEYS.includes(n.key) || (n.key === 'input_shape' && n.parent));
    if (!found.length) return null;
    const n = rng.pick(found);
    const old = Array.isArray(n.value) ? n.value : [];
    const options = [
      [], [null], [null, -1, 3], [null, 1e9, 1e9], [0, 0, 0], [null, 0, 3], [null, 3, 0], [null, 2 ** 31, 2], [null, 5, 2 ** 20],
      [null, 1.5, 3], [null, '5', 3], 'abc', 5, [null, null, null], [null, 2, 3, 4, 5, 6, 7, 8], [[null, 5, 3]],
      old.map((d) => (typeof d === 'number' ? d + 1 : d)), old.map((d) => (typeof d === 'number' ? -d : d)), old.slice(0, -1), [...old, 2],
    ];
    const v = structuredClone(rng.pick(options));
    n.parent[n.key] = v;
    return `${n.key}: ${short(n.value)} -> ${short(v)}`;
  },
  boolField(rng, json) {
    const found = nodes(json).filter((n) => BOOL_KEYS.includes(n.key));
    if (!found.length) return null;
    const n = rng.pick(found);
    const v = rng.chance(0.8) ? !n.value : rng.pick([null, 1, 'true', []]);
    n.parent[n.key] = v;
    return `${n.key}: ${short(n.value)} -> ${short(v)}`;
  },
  unknownClass(rng, json) {
    const entries = allLayerEntries(json);
    if (!entries.length) return null;
    const e = rng.pick(entries);
    const old = e.class_name;
    e.class_name = rng.pick(CLASS_NAMES);
    if (e.class_name === 'Lambda') e.config.function = ['4wEAAAAAAAAAAQAAAAQAAABDAAAAcwgAAAB8AGQBFAA=', null, null];
    return `class_name ${old} -> ${e.class_name}`;
  },
  activation(rng, json) {
    const found = nodes(json).filter((n) => /activation$/.test(String(n.key)) || n.key === 'inner_activation');
    if (!found.length) return null;
    const n = rng.pick(found);
    const v = structuredClone(rng.pick(ACTIVATIONS));
    n.parent[n.key] = v;
    return `${n.key}: ${short(n.value)} -> ${short(v)}`;
  },
  mergeMode(rng, json) {
    const found = nodes(json).filter((n) => n.key === 'merge_mode' || n.key === 'axis');
    if (!found.length) return null;
    const n = rng.pick(found);
    const v = n.key === 'axis' ? rng.pick([-1, 0, 1, 2, 3, -4, 99, null]) : rng.pick(MERGE_MODES);
    n.parent[n.key] = v;
    return `${n.key}: ${short(n.value)} -> ${short(v)}`;
  },
  protoKeys(rng, json) {
    const objs = [json, ...nodes(json).map((n) => n.value).filter((v) => v && typeof v === 'object' && !Array.isArray(v))];
    const o = rng.pick(objs);
    const key = rng.pick(['__proto__', 'constructor', 'prototype']);
    const payload = key === 'constructor' ? { prototype: { polluted: 'yes', units: 3 } } : { polluted: 'yes', units: 3, toString: 'x', class_name: 'LSTM' };
    setKey(o, key, payload);
    if (rng.chance(0.3)) setKey(o, 'hasOwnProperty', 'x');
    return `add "${key}" key`;
  },
  deepNesting(rng, json) {
    const all = nodes(json);
    if (!all.length) return null;
    const n = rng.pick(all);
    const depth = rng.pick([40, 63, 64, 65, 100, 1000, 3000]);
    n.parent[n.key] = nest(rng, depth, n.value);
    return `nest "${String(n.key)}" ${depth} levels deep`;
  },
  deepWrappers(rng, json) {
    const layers = layersOf(json);
    const i = layers.findIndex((l) => l && typeof l === 'object' && ['LSTM', 'GRU', 'SimpleRNN', 'Dense'].includes(l.class_name));
    if (i < 0) return null;
    const depth = rng.pick([2, 3, 10, 30, 60, 200]);
    let inner = layers[i];
    for (let d = 0; d < depth; d++) {
      const cls = rng.pick(['Bidirectional', 'TimeDistributed']);
      inner = { class_name: cls, config: { name: `wrap_${d}`, layer: inner, merge_mode: 'concat' } };
    }
    layers[i] = inner;
    return `wrap layer ${i} in ${depth} Bidirectional/TimeDistributed wrappers`;
  },
  duplicateLayer(rng, json) {
    const layers = layersOf(json);
    if (!layers.length) return null;
    const i = rng.int(layers.length);
    const size = JSON.stringify(layers[i] ?? null)?.length ?? 0;
    const copies = Math.min(rng.pick([1, 1, 2, 50, 2000, 30000]), Math.max(1, Math.floor(8e6 / Math.max(size, 1))));
    // one pass (splicing each copy in moved the tail every time: seconds for 20,000-layer lists)
    const tail = layers.splice(i + 1);
    for (let c = 0; c < copies; c++) layers.push(structuredClone(layers[i]));
    for (const t of tail) layers.push(t);
    return `duplicate layer ${i} x${copies}`;
  },
  swapLayers(rng, json) {
    const layers = layersOf(json);
    if (layers.length < 2) return null;
    const a = rng.int(layers.length);
    const b = rng.int(layers.length);
    [layers[a], layers[b]] = [layers[b], layers[a]];
    return `swap layers ${a} and ${b}`;
  },
  removeLayer(rng, json) {
    const layers = layersOf(json);
    if (!layers.length) return null;
    const i = rng.int(layers.length);
    layers.splice(i, 1);
    return `remove layer ${i}`;
  },
  unitsOffByOne(rng, json) {
    // a contradiction with the weights file: the config no longer matches the stored shapes
    const found = nodes(json).filter((n) => ['units', 'output_dim', 'input_dim'].includes(n.key) && typeof n.value === 'number');
    if (!found.length) return null;
    const n = rng.pick(found);
    const v = n.value + rng.pick([-1, 1, 2, -n.value, n.value]);
    n.parent[n.key] = v;
    return `${n.key}: ${n.value} -> ${v}`;
  },
  graphRefs(rng, json) {
    const found = nodes(json).filter((n) => Array.isArray(n.value) && typeof n.value[0] === 'string' && n.value.length >= 2 && n.value.length <= 4 && typeof n.value[1] === 'number');
    if (!found.length) return null;
    const n = rng.pick(found);
    const names = layersOf(json).map((l) => l?.name ?? l?.config?.name).filter((x) => typeof x === 'string');
    const ref = n.value.slice();
    const what = rng.int(4);
    if (what === 0) ref[0] = rng.pick(['nope', '', '__proto__', 'constructor', ...names]);
    else if (what === 1) ref[1] = rng.pick([1, 2, -1, 1e9, 0.5, null]);
    else if (what === 2) ref[2] = rng.pick([1, 2, 3, -1, 1e9, 0.5, null]);
    else ref[0] = n.parent === json ? ref[0] : names[names.length - 1] ?? ref[0]; // towards a cycle
    n.parent[n.key] = ref;
    return `tensor reference ${short(n.value)} -> ${short(ref)}`;
  },
  inboundNodes(rng, json) {
    const layers = layersOf(json).filter((l) => l && typeof l === 'object' && 'inbound_nodes' in l);
    if (!layers.length) return null;
    const l = rng.pick(layers);
    const name = l.name ?? l.config?.name;
    const options = [[], [[]], [[[name, 0, 0, {}]]], [[['missing', 0, 0, {}]]], 'x', null, [[[name, 5, 0, {}]]], [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: [name, 0, 0] } }], kwargs: {} }], [{ args: 5 }]];
    const v = structuredClone(rng.pick(options));
    const old = l.inbound_nodes;
    l.inbound_nodes = v;
    return `inbound_nodes of ${name}: ${short(old)} -> ${short(v)}`;
  },
  versionField(rng, json) {
    const v = rng.pick(['', '0', '1', '2', '3', '99.0', '2.0.0-tf', 'x.y', 1, null, [], '3.0.0']);
    json.keras_version = v;
    if (rng.chance(0.3)) json.backend = rng.pick(['theano', 'jax', '', 5, 'tensorflow']);
    return `keras_version -> ${short(v)}`;
  },
  hugeString(rng, json) {
    const all = nodes(json).filter((n) => typeof n.value === 'string');
    if (!all.length) return null;
    const n = rng.pick(all);
    const len = rng.pick([1000, 100000, 1000000]);
    n.parent[n.key] = 'x'.repeat(len);
    return `${String(n.key)} -> string of ${len} characters`;
  },
  topLevel(rng, json) {
    const what = rng.int(5);
    if (what === 0) json.class_name = rng.pick(['Sequential', 'Model', 'Functional', 'Foo', null, 5]);
    else if (what === 1) json.config = rng.pick([null, [], {}, 'x', { layers: [] }, { layers: null }]);
    else if (what === 2 && json.config && typeof json.config === 'object' && !Array.isArray(json.config)) json.config.input_layers = rng.pick([[], [['nope', 0, 0]], 'x', null, [[null]]]);
    else if (what === 3 && json.config && typeof json.config === 'object' && !Array.isArray(json.config)) json.config.output_layers = rng.pick([[], [['nope', 0, 0]], 'x', null, [[5, 0, 0]]]);
    else return null;
    return `top-level field ${['class_name', 'config', 'input_layers', 'output_layers'][what]} changed`;
  },
};

function short(v) {
  let s;
  try {
    s = JSON.stringify(v);
  } catch {
    s = String(v);
  }
  if (s === undefined) s = String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Text-level edits that JSON.stringify cannot produce (Python's NaN / Infinity, odd numbers). */
export function mutateJsonText(rng, text) {
  const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
  const what = rng.int(4);
  if (what === 0 && numbers.length) {
    const m = rng.pick(numbers);
    const v = rng.pick(['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '1e-999', '0x10', '01', '9007199254740993']);
    return { text: text.slice(0, m.index) + v + text.slice(m.index + m[0].length), what: `number ${m[0]} -> ${v}` };
  }
  if (what === 1) {
    const at = rng.int(text.length);
    const v = rng.pick(['\u0000', '\ud800', '"', '\\', '\\u0000', '\ufeff', '}', ']', ',']);
    return { text: text.slice(0, at) + v + text.slice(at), what: `insert ${JSON.stringify(v)} at ${at}` };
  }
  if (what === 2) {
    const depth = rng.pick([65, 1000, 100000]);
    return { text: `${'['.repeat(depth)}${text}${']'.repeat(depth)}`, what: `wrap in ${depth} arrays` };
  }
  const at = rng.int(text.length);
  return { text: text.slice(0, at), what: `cut at ${at}` };
}

/** Parses, applies 1..3 config mutations, serialises. Returns { text, what[] }. */
export function mutateConfigText(rng, text) {
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    return { text, what: ['config not JSON; unchanged'] };
  }
  const what = [];
  const count = rng.range(1, 3);
  const names = Object.keys(configMutators);
  for (let i = 0; i < count; i++) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const name = rng.pick(names);
      let d;
      try {
        d = configMutators[name](rng, json);
      } catch {
        d = null; // e.g. cloning a layer nested thousands of levels deep
      }
      if (d) {
        what.push(`config.${name}: ${d}`);
        break;
      }
    }
  }
  let out;
  try {
    out = JSON.stringify(json);
  } catch {
    return { text, what: ['config too deep to serialise; unchanged'] };
  }
  if (out.length > MAX_CONFIG_CHARS) return { text, what: [`mutated config of ${out.length} characters is too big for the fuzzer; unchanged`] };
  if (rng.chance(0.1)) {
    const t = mutateJsonText(rng, out);
    out = t.text;
    what.push(`json-text: ${t.what}`);
  }
  return { text: out, what };
}
