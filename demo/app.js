// The demo page: load a model (files, a folder, or the example), show its summary, edit one input
// per model input (editor chosen from the model), run predict, and show each output as the model
// suggests (classes, forecast, sequence). Each stage is cleared when an earlier one changes, and
// an error is shown next to what caused it. Everything runs in this page with the package's browser
// build (kerasrnn.js); nothing is uploaded.
import { loadModel, parseNpy, loadTokenizer } from './kerasrnn.js';
import { modelSourceFor, droppedFiles, pathOf } from './model-files.js';
import { createEditor, inputKinds } from './editors.js';
import { drawOutputs, formatValues } from './outputs.js';
import { textPanel } from './text-panel.js';

const $ = (id) => document.getElementById(id);
const state = { model: null, editors: [], kinds: [], labels: null, labelsName: '', tokenizer: null, last: null, loading: 0 };

function showError(id, err) {
  const box = $(id);
  box.hidden = !err;
  box.textContent = err ? `${err.name && !/^(Error|FileChoiceError)$/.test(err.name) ? `${err.name}: ` : ''}${err.message ?? err}` : '';
}

/** Stage 3 back to empty (an input or the model changed). */
function clearOutputs() {
  state.last = null;
  $('outputs').replaceChildren();
  $('output-values').textContent = '';
  $('predict-time').textContent = '';
  $('sample-row').hidden = true;
  showError('error', null);
}

/** Stages 2 and 3 back to empty (the model changed or failed to load). */
function clearModelStages() {
  state.model?.dispose();
  state.model = null;
  textPanel(null);
  state.editors = [];
  $('summary').hidden = true;
  $('summary').textContent = '';
  $('inputs').replaceChildren();
  $('input-hint').hidden = false;
  $('run').disabled = true;
  clearOutputs();
}

async function useModel(files) {
  const ticket = ++state.loading;
  clearModelStages();
  showError('model-error', null);
  let name = Array.from(files, pathOf).join(', ');
  try {
    const chosen = files.source ? files : await modelSourceFor(files);
    name = chosen.name;
    $('model-status').textContent = `loading ${name} …`;
    const t0 = performance.now();
    const model = await loadModel(chosen.source, chosen.fileName ? { fileName: chosen.fileName } : {});
    const ms = performance.now() - t0;
    if (ticket !== state.loading) return model.dispose(); // a newer choice replaced this one
    state.model = model;
    textPanel(model);
    $('summary').textContent = model.summary();
    $('summary').hidden = false;
    $('model-status').textContent = `loaded ${name} in ${ms.toFixed(1)} ms`;
    if (!model.hasWeights) throw new Error('the file holds the architecture only (no weights): give its weights file too to run predict');
    buildEditors();
  } catch (err) {
    if (ticket !== state.loading) return;
    $('model-status').textContent = `could not load ${name}`;
    showError('model-error', err);
  }
}

function buildEditors() {
  const model = state.model;
  $('inputs').replaceChildren();
  $('input-hint').hidden = true;
  const infos = inputKinds(model);
  state.kinds = infos.map((i) => i.kind);
  state.editors = infos.map((info) => createEditor($('inputs'), info, { codec, onEdit: clearOutputs }));
  $('run').disabled = false;
}

function run() {
  clearOutputs();
  const model = state.model;
  if (!model) return;
  let x;
  try {
    x = state.editors.map((e) => e.read());
  } catch {
    showError('error', new Error('fix the input above (its error is shown under it)'));
    return;
  }
  try {
    const t0 = performance.now();
    const y = model.predictNamed(x);
    const ms = performance.now() - t0;
    const batch = x[0].shape[0];
    const steps = x[0].shape.length >= 2 && state.kinds[0] !== 'numbers' ? ` × ${x[0].shape[1]} tokens` : x[0].shape.length === 3 ? ` × ${x[0].shape[1]} steps` : '';
    $('predict-time').textContent = `predict: ${ms.toFixed(2)} ms (${batch} sample${batch === 1 ? '' : 's'}${steps})`;
    state.last = { x, y };
    $('sample').max = String(batch - 1);
    $('sample').value = '0';
    $('sample-row').hidden = batch < 2;
    $('output-values').textContent = model.outputs.map((o) => formatValues(o.name, y[o.name])).join('\n\n');
    draw();
  } catch (err) {
    // An input that does not fit is shown under that input's editor; anything else here.
    const editor = state.editors.find((e) => e.name === err?.context?.field);
    if (editor) {
      editor.showError(err);
      showError('error', new Error(`input ${editor.name} does not fit the model (see above)`));
    } else showError('error', err);
  }
}

/** The text codec editors use: the tokenizer, else the labels file read as a vocabulary. */
function codec() {
  if (state.tokenizer) return { tokenizer: state.tokenizer };
  return state.labels ? { vocabulary: state.labels, name: state.labelsName } : null;
}

/** Class names for an output of `width` classes: the labels file, else the tokenizer's words. */
function labelsFor(width) {
  if (state.labels?.length === width) return state.labels;
  const t = state.tokenizer;
  if (t && t.vocabularySize === width) return Array.from({ length: width }, (_, i) => (i === 0 ? '(padding)' : (t.indexWord.get(i) ?? `(id ${i})`)));
  return null;
}

function draw() {
  if (!state.last) return;
  const sample = Math.max(0, Math.min(Number($('sample').value) || 0, state.last.x[0].shape[0] - 1));
  drawOutputs($('outputs'), state.model, state.last.x, state.last.y, { sample, inputKinds: state.kinds, labelsFor });
}

/** Class names: one per line, or a JSON array, or {"0": "cat"} / {"cat": 0} (class_indices). */
function parseLabels(text, name) {
  const trimmed = text.trim();
  if (/^[[{]/.test(trimmed)) {
    let json;
    try {
      json = JSON.parse(trimmed);
    } catch (e) {
      throw new Error(`${name} is not valid JSON (${e.message})`);
    }
    if (Array.isArray(json)) return json.map(String);
    const entries = Object.entries(json ?? {});
    const byIndex = entries.every(([k]) => /^\d+$/.test(k));
    const labels = [];
    for (const [k, v] of entries) {
      const i = byIndex ? Number(k) : Number(v);
      if (!Number.isInteger(i) || i < 0) throw new Error(`${name}: ${JSON.stringify(k)}: ${JSON.stringify(v)} maps no class index`);
      labels[i] = byIndex ? String(v) : k;
    }
    return Array.from(labels, (l, i) => l ?? String(i));
  }
  // Lines as they are (a vocabulary may hold a space token); only the final newline is dropped.
  return text.replace(/\r?\n$/, '').split(/\r?\n/);
}

async function useLabels(file) {
  showError('labels-error', null);
  try {
    const labels = parseLabels(await file.text(), file.name);
    if (!labels.length) throw new Error(`${file.name} holds no labels`);
    state.labels = labels;
    state.labelsName = file.name;
    $('labels-status').textContent = `${labels.length} labels from ${file.name}`;
    // Used as class names where an output has as many values, as a vocabulary where an input
    // takes that many ids (an Embedding's input_dim or a one-hot depth).
    const widths = state.model?.outputs.map((o) => o.shape[o.shape.length - 1]) ?? [];
    const sizes = inputKinds(state.model ?? { inputs: [], outputs: [], layers: [] }).map((i) => i.vocab ?? i.depth).filter(Boolean);
    if (widths.length && !widths.includes(labels.length) && !sizes.includes(labels.length)) {
      showError('labels-error', new Error(`${file.name} names ${labels.length} classes; the model's outputs have ${widths.join(', ')} values${sizes.length ? ` and its token inputs take ${sizes.join(', ')} ids` : ''}: labels are used where the counts match`));
    }
    draw();
  } catch (err) {
    state.labels = null;
    $('labels-status').textContent = '';
    showError('labels-error', err);
  }
}

async function useTokenizer(file) {
  showError('tokenizer-error', null);
  try {
    state.tokenizer = loadTokenizer(await file.text());
    $('tokenizer-status').textContent = `tokenizer from ${file.name} (${state.tokenizer.vocabularySize} ids)`;
    draw();
  } catch (err) {
    state.tokenizer = null;
    $('tokenizer-status').textContent = '';
    showError('tokenizer-error', err);
  }
}

/** A .npy dropped on (or for) an input editor fills that editor. */
async function useInputFile(file, editor) {
  try {
    editor.fill(parseNpy(new Uint8Array(await file.arrayBuffer()), file.name));
  } catch (err) {
    editor.showError(err);
  }
}

$('model-file').addEventListener('change', (e) => e.target.files.length && useModel(Array.from(e.target.files)));
$('model-folder').addEventListener('change', (e) => e.target.files.length && useModel(Array.from(e.target.files)));
$('example-model').addEventListener('click', () =>
  useModel({ source: new URL('examples/sine_forecaster.h5', location.href).href, name: 'examples/sine_forecaster.h5' }),
);
$('run').addEventListener('click', run);
$('sample').addEventListener('input', draw);
$('labels-file').addEventListener('change', (e) => e.target.files[0] && useLabels(e.target.files[0]));
$('tokenizer-file').addEventListener('change', (e) => e.target.files[0] && useTokenizer(e.target.files[0]));

const zone = $('drop-zone');
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  zone.classList.add('over');
});
document.addEventListener('dragleave', () => zone.classList.remove('over'));
document.addEventListener('drop', async (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  const files = await droppedFiles(e.dataTransfer);
  if (!files.length) return;
  if (files.every((f) => /\.npy$/i.test(f.name))) {
    // Onto an editor: that input; elsewhere: the first input.
    const target = e.target instanceof Element ? e.target.closest('.editor') : null;
    const editor = state.editors.find((ed) => ed.element === target) ?? state.editors[0];
    if (editor) files.forEach((f, i) => useInputFile(f, state.editors[state.editors.indexOf(editor) + i] ?? editor));
    else showError('model-error', new Error('load a model before dropping input .npy files'));
    return;
  }
  useModel(files);
});
document.body.dataset.ready = 'true';
