// One input editor per model input, chosen from the model:
//   - ids      (batch, steps) inputs feeding an Embedding: integer token ids below its input_dim,
//              one sample per line;
//   - one-hot  (batch, steps, depth) inputs of char-RNN style models (depth = the output's classes):
//              class ids per step, turned into one-hot rows;
//   - strings  inputs that take texts (a TextVectorization / StringLookup / Hashing behind a
//              string Input): one sample per line (several strings per sample: comma separated, or
//              a JSON array);
//   - numbers  everything else: nested JSON arrays or plain numbers, with a sequence generator.
//   - text     for id and one-hot inputs, when the page has a codec: a Keras tokenizer
//              (tokenizer.to_json()), or a vocabulary (the labels file: token i on line i) whose
//              size fits the input; single-character tokens make it character-level.
// Every editor can be switched to another kind, and a real example can be pasted or dropped (.npy).

const fmtShape = (shape) => `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')}${shape.length === 1 ? ',' : ''})`;

/** Creates an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return e;
}

/** An input problem, worded for the editor it belongs to. */
export class InputTextError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InputTextError';
  }
}

/** Seeded uniform numbers in [0, 1) so that generated examples are reproducible. */
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * How each model input is best edited. An input feeding an Embedding takes token ids below its
 * `input_dim`; a (None, steps, depth) input whose depth equals an output's class count (and is
 * not tiny) takes one-hot rows; anything else takes numbers.
 */
export function inputKinds(model) {
  const outputClasses = new Set(model.outputs.map((o) => o.shape[o.shape.length - 1]).filter((d) => typeof d === 'number'));
  return model.inputs.map((input) => {
    if (input.dtype === 'string') return { ...input, kind: 'strings' };
    const tensor = `${input.name}[0][0]`;
    const embeddings = model.layers.filter((l) => l.className === 'Embedding' && l.inbound.some((call) => call.includes(tensor)));
    const vocab = embeddings.map((l) => Number(l.details.inputDim)).filter((n) => Number.isInteger(n) && n > 0);
    if (input.shape.length === 2 && vocab.length) return { ...input, kind: 'ids', vocab: Math.min(...vocab) };
    const depth = input.shape[2];
    if (input.shape.length === 3 && typeof depth === 'number' && depth >= 8 && outputClasses.has(depth)) return { ...input, kind: 'one-hot', depth };
    return { ...input, kind: 'numbers' };
  });
}

/** Nested arrays -> values and dims (rows must be rectangular). */
function flatten(value, where) {
  const dims = [];
  for (let v = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  const out = [];
  const walk = (v, d, at) => {
    if (d === dims.length) {
      if (typeof v !== 'number') throw new InputTextError(`${where}${at}: expected a number, found ${JSON.stringify(v)}`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[d]) throw new InputTextError(`${where}${at || ''}: rows of different lengths (expected ${dims[d]} elements)`);
    v.forEach((x, i) => walk(x, d + 1, `${at}[${i}]`));
  };
  walk(value, 0, '');
  return { values: out, dims };
}

function parseJson(text, where) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputTextError(`${where}: not valid JSON (${e.message})`);
  }
}

/** Numbers editor text -> tensor for an input of `shape`. */
function readNumbers(text, shape, where) {
  const rank = shape.length;
  let values;
  let dims;
  if (text.startsWith('[')) {
    ({ values, dims } = flatten(parseJson(text, where), where));
    if (dims.length === rank - 1) dims = [1, ...dims];
    else if (dims.length === 1 && rank === 3 && shape[2] === 1) dims = [1, dims[0], 1];
    if (dims.length !== rank) throw new InputTextError(`${where}: the values have shape ${fmtShape(dims)}; the input takes ${fmtShape(shape)}`);
  } else {
    values = text.split(/[\s,;]+/).map((s) => {
      const v = Number(s);
      if (s === '' || Number.isNaN(v)) throw new InputTextError(`${where}: ${JSON.stringify(s)} is not a number`);
      return v;
    });
    const n = values.length;
    const features = shape[rank - 1];
    if (rank === 3 && features !== null) {
      const steps = shape[1] ?? n / features;
      if (!Number.isInteger(steps) || n % (steps * features) !== 0) throw new InputTextError(`${where}: ${n} numbers do not fill samples of ${steps} steps × ${features} features`);
      dims = [n / (steps * features), steps, features];
    } else if (rank === 2 && features !== null) {
      if (n % features !== 0) throw new InputTextError(`${where}: ${n} numbers do not fill samples of ${features} values`);
      dims = [n / features, features];
    } else {
      throw new InputTextError(`${where}: for an input of shape ${fmtShape(shape)} paste nested JSON arrays`);
    }
  }
  return { data: Float32Array.from(values), shape: dims };
}

/** Texts (one sample per line; several strings per sample comma separated or as a JSON array). */
function readStrings(text, shape, where) {
  const inner = shape.slice(1).map((d) => d ?? 1);
  const per = inner.reduce((a, b) => a * b, 1);
  const rows = text.split('\n').filter((l) => l.trim() !== '').map((line, r) => {
    if (per === 1) return [line];
    const cells = line.trim().startsWith('[') ? parseJson(line, `${where}, sample ${r + 1}`) : line.split(',').map((c) => c.trim());
    if (!Array.isArray(cells) || cells.length !== per || !cells.every((c) => typeof c === 'string')) {
      throw new InputTextError(`${where}, sample ${r + 1}: expected ${per} strings, got ${Array.isArray(cells) ? cells.length : typeof cells}`);
    }
    return cells;
  });
  return { data: rows.flat(), shape: [rows.length, ...inner] };
}

/** Token-id text (one sample per line, or JSON arrays) -> rows of integers in [0, limit). */
function readIds(text, limit, steps, where, what) {
  let rows;
  if (text.startsWith('[')) {
    const json = parseJson(text, where);
    rows = Array.isArray(json[0]) ? json : [json];
  } else {
    rows = text.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/[\s,;]+/).map(Number));
  }
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) throw new InputTextError(`${where}, sample ${r + 1}: expected a list of ${what}`);
    row.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= limit) {
        throw new InputTextError(`${where}, sample ${r + 1}, step ${t + 1}: ${JSON.stringify(id)} is not a ${what.replace(/s$/, '')} in 0 .. ${limit - 1}`);
      }
    });
  });
  const length = steps ?? rows[0].length;
  rows.forEach((row, r) => {
    if (row.length !== length) throw new InputTextError(`${where}, sample ${r + 1}: ${row.length} ${what}, the input takes ${length} per sample${steps === null ? ' (every sample needs the same length)' : ''}`);
  });
  return { rows, length };
}

/**
 * Text -> token ids with a codec: a Keras tokenizer, or a vocabulary (token i = id i; a vocabulary
 * of single characters reads the text character by character, any other splits it on spaces).
 */
function textIds(codec, line, where) {
  if (codec.tokenizer) return codec.tokenizer.textsToSequences([line])[0];
  const chars = codec.vocabulary.every((t) => Array.from(t).length === 1);
  const index = new Map(codec.vocabulary.map((t, i) => [t, i]));
  return (chars ? Array.from(line) : line.trim().split(/\s+/)).map((t) => {
    if (!index.has(t)) throw new InputTextError(`${where}: ${JSON.stringify(t)} is not in the vocabulary (${codec.name})`);
    return index.get(t);
  });
}

/**
 * An editor for one model input in `container`. `info` comes from inputKinds. `codec()` gives
 * the page's current text codec ({ tokenizer } or { vocabulary, name }) or null; id and one-hot
 * editors offer a "text" mode that uses it. Returns { read(): tensor, fill(npy), generate(), kind }.
 */
export function createEditor(container, info, { codec = () => null, onEdit = () => {} } = {}) {
  const shape = info.shape;
  const limit = info.kind === 'ids' ? info.vocab : info.kind === 'one-hot' ? info.depth : null;
  const kinds = info.kind === 'strings' ? [['strings', 'texts']] : [
    ['numbers', 'numbers'],
    ...(info.kind === 'ids' || (shape.length === 2 && info.vocab) ? [['ids', `token ids (0 .. ${info.vocab - 1})`]] : []),
    ...(shape.length === 3 && typeof shape[2] === 'number' && shape[2] >= 2 ? [['one-hot', `one-hot rows (class ids 0 .. ${shape[2] - 1})`]] : []),
    ...(info.kind === 'ids' || info.kind === 'one-hot' ? [['text', 'text (with a tokenizer or vocabulary)']] : []),
  ];
  // Text by default only when the page's codec has exactly the ids this input takes.
  const c0 = codec();
  const codecSize = c0 ? (c0.tokenizer ? c0.tokenizer.vocabularySize : c0.vocabulary.length) : 0;
  const defaultKind = c0 && (info.kind === 'ids' || info.kind === 'one-hot') && codecSize === limit ? 'text' : info.kind;
  const defaultSteps = shape[1] ?? 20;
  const kindSelect = h('select', { class: 'editor-kind', 'aria-label': `${info.name}: edit as` }, ...kinds.map(([v, label]) => h('option', { value: v, selected: v === defaultKind }, label)));
  const stepsInput = h('input', { type: 'number', class: 'gen-steps', min: 1, max: 100000, value: defaultSteps, disabled: shape[1] !== null && shape.length >= 2, 'aria-label': 'steps' });
  const waveSelect = h('select', { class: 'gen-kind', 'aria-label': 'sequence' }, ...['sine', 'ramp', 'noise', 'zeros'].map((k) => h('option', { value: k }, k === 'noise' ? 'noise (seeded)' : k)));
  const freqInput = h('input', { type: 'number', class: 'gen-freq', step: 0.01, value: 0.25, 'aria-label': 'frequency' });
  const ampInput = h('input', { type: 'number', class: 'gen-amp', step: 0.1, value: 0.8, 'aria-label': 'amplitude' });
  const samplesInput = h('input', { type: 'number', class: 'gen-samples', min: 1, max: 1000, value: 1, 'aria-label': 'samples' });
  const waveLabels = [h('label', {}, 'sequence ', waveSelect), h('label', {}, 'frequency ', freqInput), h('label', {}, 'amplitude ', ampInput)];
  const generateButton = h('button', { type: 'button', class: 'generate' }, 'Generate');
  const text = h('textarea', { class: 'input-text', rows: 5, spellcheck: 'false', 'aria-label': `values of ${info.name}` });
  const help = h('p', { class: 'help' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const box = h(
    'fieldset',
    { class: 'editor', 'data-input': info.name },
    h('legend', {}, h('code', {}, info.name), ` ${fmtShape(shape)}`),
    h('div', { class: 'controls' }, h('label', {}, 'edit as ', kindSelect), h('label', {}, 'samples ', samplesInput), h('label', {}, 'steps ', stepsInput), ...waveLabels, generateButton),
    help,
    text,
    error,
  );
  container.append(box);

  const showError = (err) => {
    error.hidden = !err;
    error.textContent = err ? `${err.name && !/^(Error|InputTextError)$/.test(err.name) ? `${err.name}: ` : ''}${err.message ?? err}` : '';
  };
  const kind = () => kindSelect.value;
  const where = () => `input ${info.name}`;

  function describe() {
    const k = kind();
    for (const l of waveLabels) l.hidden = k !== 'numbers';
    const perSample = shape.slice(1).reduce((a, b) => a * (b ?? 1), 1);
    help.textContent =
      k === 'strings'
        ? `Texts, one sample per line${perSample > 1 ? `, ${perSample} strings each (separated by commas, or a JSON array)` : ''}; the model's own text layers turn them into numbers.`
        : k === 'numbers'
        ? `Nested JSON arrays ([[x0], [x1], ...]: steps × features, or samples × steps × features) or plain numbers separated by commas / spaces, time-major. Drop a .npy here to fill it.`
        : k === 'ids'
          ? `Token ids, one sample per line, ${shape[1] ?? 'any number of'} ids each, separated by spaces or commas (or JSON arrays). The Embedding knows ids 0 .. ${info.vocab - 1}.`
          : k === 'one-hot'
            ? `Class ids, one sample per line, one id per time step (0 .. ${shape[2] - 1}); each becomes a one-hot row of ${shape[2]} values.`
            : `Text, one sample per line: the ${codec()?.tokenizer ? 'tokenizer' : 'vocabulary'} turns it into ids, padded at the front to ${shape[1] ?? 'the longest line'} steps (as pad_sequences does). Load a tokenizer or a vocabulary (the labels file) first.`;
  }

  function generate() {
    showError(null);
    const k = kind();
    const steps = Number(stepsInput.value) || defaultSteps;
    const samples = Math.max(1, Math.min(1000, Number(samplesInput.value) || 1));
    const rnd = uniform(1234);
    if (k === 'strings') {
      const perSample = shape.slice(1).reduce((a, b) => a * (b ?? 1), 1);
      const words = ['the movie was great', 'awful', 'a good film', 'cat', 'dog', 'fish', 'bird'];
      text.value = Array.from({ length: samples }, (_, s) => Array.from({ length: perSample }, (_, j) => words[(s + j * 3) % words.length]).join(perSample > 1 ? ', ' : '')).join('\n');
    } else if (k === 'numbers') {
      const rank3 = shape.length === 3;
      const features = rank3 ? (shape[2] ?? 1) : 1;
      const length = rank3 ? steps : (shape[1] ?? steps);
      const f = Number(freqInput.value);
      const amp = Number(ampInput.value) || 1;
      const sample = (s) =>
        Array.from({ length }, (_, t) => {
          const row = Array.from({ length: features }, (_, c) => {
            const w = waveSelect.value;
            const v = w === 'sine' ? amp * Math.sin(f * t + c + s * 0.7) : w === 'ramp' ? (amp * t) / Math.max(1, length - 1) : w === 'noise' ? amp * (2 * rnd() - 1) : 0;
            return Number(Math.fround(v).toPrecision(7));
          });
          return rank3 ? row : row[0];
        });
      const all = Array.from({ length: samples }, (_, s) => sample(s));
      text.value = samples === 1 ? (rank3 ? `[${all[0].map((r) => JSON.stringify(r)).join(',\n ')}]` : JSON.stringify(all[0])) : JSON.stringify(all);
    } else if (k === 'text') {
      const c = codec();
      const tokens = c ? (c.tokenizer ? Array.from(c.tokenizer.wordIndex.keys()).slice(0, 50) : c.vocabulary.slice(1)) : [];
      const chars = c?.vocabulary?.every((t) => Array.from(t).length === 1);
      text.value = Array.from({ length: samples }, () => Array.from({ length: Math.min(steps, 12) }, () => tokens[Math.floor(rnd() * tokens.length)] ?? '').join(chars ? '' : ' ')).join('\n');
    } else {
      // Ids from 1: id 0 is the padding / masked id of mask_zero Embeddings.
      const top = k === 'ids' ? info.vocab : shape[2];
      text.value = Array.from({ length: samples }, () => Array.from({ length: steps }, () => 1 + Math.floor(rnd() * Math.max(1, top - 1))).join(' ')).join('\n');
    }
    onEdit();
  }

  function read() {
    showError(null);
    try {
      const value = text.value.trim();
      if (!value) throw new InputTextError(`${where()}: empty; generate an example or paste one`);
      const k = kind();
      if (k === 'strings') return readStrings(value, shape, where());
      if (k === 'numbers') return readNumbers(value, shape, where());
      if (k === 'text') {
        const c = codec();
        if (!c) throw new InputTextError(`${where()}: text needs a tokenizer or a vocabulary; load one, or edit the ids`);
        const depth = info.kind === 'one-hot' ? shape[2] : null;
        const size = c.tokenizer ? c.tokenizer.vocabularySize : c.vocabulary.length;
        if (size > (depth ?? info.vocab)) throw new InputTextError(`${where()}: the ${c.tokenizer ? 'tokenizer' : 'vocabulary'} has ${size} ids, the input takes ${depth ?? info.vocab}`);
        const seqs = value.split('\n').filter((l) => l.trim() !== '').map((l, r) => textIds(c, l, `${where()}, sample ${r + 1}`));
        const steps = shape[1] ?? Math.max(...seqs.map((s) => s.length));
        // Padding slots: id 0 for ids, an all-zero row for one-hot (what pad_sequences / a zeroed window give).
        const rows = seqs.map((s) => [...Array(Math.max(0, steps - s.length)).fill(depth === null ? 0 : -1), ...s.slice(-steps)]);
        return encode(rows, steps, depth);
      }
      const depth = k === 'one-hot' ? shape[2] : null;
      const { rows, length } = readIds(value, depth ?? info.vocab ?? Infinity, shape[1], where(), k === 'one-hot' ? 'class ids' : 'token ids');
      return encode(rows, length, depth);
    } catch (err) {
      showError(err);
      throw err;
    }
  }

  function encode(rows, steps, depth) {
    if (depth === null) return { data: Float32Array.from(rows.flat()), shape: [rows.length, steps] };
    const data = new Float32Array(rows.length * steps * depth);
    rows.forEach((row, r) => row.forEach((id, t) => id >= 0 && (data[(r * steps + t) * depth + id] = 1)));
    return { data, shape: [rows.length, steps, depth] };
  }

  /** Fills the editor from a parsed .npy ({ data, shape }). */
  function fill(npy) {
    showError(null);
    kindSelect.value = 'numbers';
    describe();
    const per = npy.shape.slice(1).reduce((a, b) => a * b, 1);
    const last = npy.shape[npy.shape.length - 1] ?? 1;
    const nest = (data) => Array.from({ length: data.length / last }, (_, i) => Array.from(data.subarray(i * last, (i + 1) * last)));
    const rows = npy.shape.length === 3 ? Array.from({ length: npy.shape[0] }, (_, s) => nest(npy.data.subarray(s * per, (s + 1) * per))) : nest(npy.data);
    text.value = JSON.stringify(rows);
    onEdit();
  }

  kindSelect.addEventListener('change', () => {
    describe();
    generate();
  });
  generateButton.addEventListener('click', generate);
  text.addEventListener('input', () => {
    showError(null);
    onEdit();
  });
  describe();
  generate();
  return { name: info.name, element: box, read, fill, generate, showError, kind, text };
}
