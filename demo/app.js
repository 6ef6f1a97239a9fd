// The demo page: load a Keras file or SavedModel folder (chosen, dropped, or the example), show its summary, build or
// paste an input sequence, run predict, plot and list the outputs with the predict time.
// Everything runs in this page with the package's browser build (kerasrnn.js); nothing is uploaded.
import { loadModel, parseNpy } from './kerasrnn.js';
import { plot } from './plot.js';
import { textPanel } from './text-panel.js';

const $ = (id) => document.getElementById(id);
let model = null;

function setStatus(id, text) {
  $(id).textContent = text;
}

function showError(err) {
  const box = $('error');
  box.hidden = !err;
  box.textContent = err ? `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message ?? err}` : '';
}

const fmtShape = (shape) => `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')}${shape.length === 1 ? ',' : ''})`;

async function useModel(source, name) {
  showError(null);
  setStatus('model-status', `loading ${name} …`);
  try {
    const t0 = performance.now();
    const next = await loadModel(source, { fileName: name });
    const ms = performance.now() - t0;
    model?.dispose();
    model = next;
    textPanel(model);
    $('summary').textContent = model.summary();
    $('summary').hidden = false;
    setStatus('model-status', `loaded ${name} in ${ms.toFixed(1)} ms`);
    const input = model.inputs[0];
    $('input-shape').textContent = model.inputs.map((i) => `${i.name} ${fmtShape(i.shape)}`).join(', ');
    if (model.inputs.length !== 1) throw new Error(`this demo feeds one input; the model has ${model.inputs.length} (use the API for several)`);
    if (!model.hasWeights) throw new Error('the file holds no weights (architecture only): predict needs weights');
    if (input.shape.length >= 2 && input.shape[1] !== null) $('gen-steps').value = String(input.shape[1]);
    $('run').disabled = false;
    generate();
  } catch (err) {
    $('run').disabled = model === null || !model.hasWeights || model.inputs.length !== 1;
    setStatus('model-status', `could not load ${name}`);
    showError(err);
  }
}

/** Seeded uniform numbers in [-1, 1) so that "noise" is reproducible. */
function noise(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Token ids need integers below the vocabulary size (the smallest Embedding's input_dim). */
function vocabulary() {
  const dims = model.layers.filter((l) => l.className === 'Embedding').map((l) => Number(l.details.inputDim)).filter((n) => n > 1);
  return dims.length ? Math.min(...dims) : null;
}

/**
 * Fills the text area with a sequence for the model's input shape: steps × features for
 * (None, steps, features) inputs, one row of values (token ids for Embedding models) for (None, n).
 */
function generate() {
  if (!model) return;
  const shape = model.inputs[0].shape;
  const rank3 = shape.length === 3;
  const features = rank3 ? (shape[2] ?? 1) : 1;
  const steps = rank3 ? Number($('gen-steps').value) || 50 : (shape[1] ?? (Number($('gen-steps').value) || 50));
  const kind = $('gen-kind').value;
  const f = Number($('gen-freq').value);
  const ph = Number($('gen-phase').value);
  const amp = Number($('gen-amp').value) || 1;
  const vocab = rank3 ? null : vocabulary();
  const rnd = noise(1234);
  const rows = [];
  for (let t = 0; t < steps; t++) {
    const row = [];
    for (let c = 0; c < features; c++) {
      const v = kind === 'sine' ? amp * Math.sin(f * t + ph + c) : kind === 'ramp' ? (amp * t) / Math.max(1, steps - 1) : kind === 'noise' ? amp * rnd() : 0;
      // For token ids, map [-amp, amp] onto 1 .. vocab-1.
      row.push(vocab ? Math.min(vocab - 1, Math.max(1, Math.round(((v / amp + 1) / 2) * (vocab - 2)) + 1)) : Number(Math.fround(v).toPrecision(7)));
    }
    rows.push(row);
  }
  $('input-text').value = rank3 ? `[${rows.map((r) => JSON.stringify(r)).join(',\n ')}]` : JSON.stringify(rows.map((r) => r[0]));
}

function flatten(value) {
  const dims = [];
  for (let v = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  const out = [];
  const walk = (v, d, at) => {
    if (d === dims.length) {
      if (typeof v !== 'number') throw new Error(`input ${at || ''}: expected a number, found ${JSON.stringify(v)}`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[d]) throw new Error(`input ${at || 'array'}: rows of different lengths (expected ${dims[d]} elements)`);
    v.forEach((x, i) => walk(x, d + 1, `${at}[${i}]`));
  };
  walk(value, 0, '');
  return { values: out, dims };
}

/** The text area as a batch-first tensor for the model input. */
function readInput() {
  const shape = model.inputs[0].shape;
  const rank = shape.length;
  const text = $('input-text').value.trim();
  if (!text) throw new Error('the input is empty: generate a sequence or paste numbers');
  let values;
  let dims;
  if (text.startsWith('[')) {
    let json;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`the input is not valid JSON: ${e.message}`);
    }
    ({ values, dims } = flatten(json));
    if (dims.length === rank - 1) dims = [1, ...dims];
    else if (dims.length === 1 && rank === 3 && shape[2] === 1) dims = [1, dims[0], 1];
    if (dims.length !== rank) throw new Error(`the input has shape ${fmtShape(dims)}; the model takes ${fmtShape(shape)}`);
  } else {
    values = text.split(/[\s,;]+/).map((s) => {
      const v = Number(s);
      if (s === '' || Number.isNaN(v)) throw new Error(`the input holds ${JSON.stringify(s)}, which is not a number`);
      return v;
    });
    const n = values.length;
    const features = shape[rank - 1];
    if (rank === 3 && features !== null) {
      const steps = shape[1] ?? n / features;
      if (!Number.isInteger(steps) || n % (steps * features) !== 0) throw new Error(`${n} numbers do not fill samples of ${steps} steps × ${features} features`);
      dims = [n / (steps * features), steps, features];
    } else if (rank === 2 && features !== null) {
      if (n % features !== 0) throw new Error(`${n} numbers do not fill samples of ${features} values`);
      dims = [n / features, features];
    } else {
      throw new Error(`for input ${fmtShape(shape)} paste nested JSON arrays`);
    }
  }
  return { data: Float32Array.from(values), shape: dims };
}

/** One block per output: a header line, then the values (exact float32 values, as Node prints them). */
function formatOutput(name, t) {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const rows = [];
  for (let r = 0; r < t.shape[0]; r++) rows.push(JSON.stringify(Array.from(t.data.subarray(r * per, (r + 1) * per))));
  return `${name} — shape ${fmtShape(t.shape)}\n[${rows.join(',\n ')}]`;
}

function draw(x, outputs) {
  const box = $('plot');
  box.replaceChildren();
  // (batch, steps, features), or (batch, n): n values (token ids) along time.
  const [, steps = 1, features = 1] = x.shape.length === 3 ? x.shape : [x.shape[0], x.shape[1], 1];
  const series = [];
  for (let c = 0; c < Math.min(features, 4); c++) {
    series.push({ name: `input (sample 0${features > 1 ? `, feature ${c}` : ''})`, points: Array.from({ length: steps }, (_, t) => [t, x.data[t * features + c]]) });
  }
  const [first] = outputs;
  const forecast = x.shape.length === 3 && features === 1 && first.t.shape.length === 2 && first.t.shape[1] === 1;
  if (forecast) {
    series.push({ name: `${first.name}: next value`, kind: 'dots', points: [[steps, first.t.data[0]]] });
    plot(box, { title: 'Input sequence and the model output after it (sample 0)', series });
    return;
  }
  plot(box, { title: 'Input sequence (sample 0)', series });
  for (const { name, t } of outputs.slice(0, 2)) {
    if (t.shape.length === 3) {
      const [, T, C] = t.shape;
      plot(box, {
        title: `Output ${name} (sample 0)`,
        series: Array.from({ length: Math.min(C, 6) }, (_, c) => ({ name: `unit ${c}`, points: Array.from({ length: T }, (_, s) => [s, t.data[s * C + c]]) })),
      });
    } else {
      const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
      plot(box, { title: `Output ${name} (sample 0)`, xLabel: 'output unit', series: [{ name, kind: 'dots', points: Array.from(t.data.subarray(0, per), (v, i) => [i, v]) }] });
    }
  }
}

function run() {
  showError(null);
  try {
    const x = readInput();
    const t0 = performance.now();
    const y = model.predict(x);
    const ms = performance.now() - t0;
    const list = Array.isArray(y) ? y : [y];
    const outputs = list.map((t, i) => ({ name: model.outputs[i]?.name ?? `output ${i}`, t }));
    const steps = x.shape.length === 3 ? ` × ${x.shape[1]} steps` : '';
    setStatus('predict-time', `predict: ${ms.toFixed(2)} ms (${x.shape[0]} sample${x.shape[0] === 1 ? '' : 's'}${steps})`);
    $('output-values').textContent = outputs.map(({ name, t }) => formatOutput(name, t)).join('\n\n');
    draw(x, outputs);
  } catch (err) {
    showError(err);
  }
}

async function useInputFile(file) {
  showError(null);
  try {
    const npy = parseNpy(new Uint8Array(await file.arrayBuffer()), file.name);
    const per = npy.shape.slice(1).reduce((a, b) => a * b, 1);
    const last = npy.shape[npy.shape.length - 1] ?? 1;
    const nest = (data) => Array.from({ length: data.length / last }, (_, i) => Array.from(data.subarray(i * last, (i + 1) * last)));
    const rows = npy.shape.length === 3 ? Array.from({ length: npy.shape[0] }, (_, s) => nest(npy.data.subarray(s * per, (s + 1) * per))) : nest(npy.data);
    $('input-text').value = JSON.stringify(rows);
  } catch (err) {
    showError(err);
  }
}

function handleFiles(files) {
  const file = files?.[0];
  if (!file) return;
  // A TF.js model: model.json together with its weight files, passed to loadModel as they are.
  const json = Array.from(files).find((f) => /\.json$/i.test(f.name));
  if (files.length > 1 && json) return useModel(Array.from(files), json.name);
  if (/\.npy$/i.test(file.name)) useInputFile(file);
  else useModel(file, file.name);
}

/**
 * A dropped folder (a tf.keras SavedModel, or a TF.js model folder) arrives as one directory
 * entry: its files are collected as File objects carrying their path inside the folder (as a
 * directory picker gives them), which loadModel takes like a picked folder.
 */
async function readDroppedFolder(entry) {
  const files = [];
  const walk = async (dir, prefix) => {
    const reader = dir.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const e of batch) {
        if (e.isDirectory) await walk(e, `${prefix}${e.name}/`);
        else {
          const file = await new Promise((resolve, reject) => e.file(resolve, reject));
          Object.defineProperty(file, 'webkitRelativePath', { value: `${prefix}${e.name}` });
          files.push(file);
        }
      }
    }
  };
  await walk(entry, `${entry.name}/`);
  return files;
}

async function handleDrop(dataTransfer) {
  const entry = dataTransfer?.items?.[0]?.webkitGetAsEntry?.();
  if (entry?.isDirectory) {
    try {
      const files = await readDroppedFolder(entry);
      if (files.some((f) => f.name === 'saved_model.pb')) useModel(files, entry.name);
      else handleFiles(files);
    } catch (err) {
      showError(err);
    }
  } else handleFiles(dataTransfer?.files);
}

$('model-file').addEventListener('change', (e) => handleFiles(e.target.files));
$('model-folder').addEventListener('change', (e) => {
  const files = e.target.files;
  if (files?.length) useModel(files, files[0].webkitRelativePath.split('/')[0] || 'SavedModel');
});
$('example-model').addEventListener('click', () => useModel(new URL('examples/sine_forecaster.h5', location.href).href, 'examples/sine_forecaster.h5'));
$('generate').addEventListener('click', generate);
$('run').addEventListener('click', run);
const zone = $('drop-zone');
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  zone.classList.add('over');
});
document.addEventListener('dragleave', () => zone.classList.remove('over'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  handleDrop(e.dataTransfer);
});
document.body.dataset.ready = 'true';
