// Text panel of the demo page: shown for models that take texts (TextVectorization / StringLookup
// inside) or that generate tokens (char- / word-level RNNs). Optional tokenizer.json (Keras
// Tokenizer.to_json(), or a word_index) or vocabulary (a JSON list of tokens, or char_indices).
// Self-contained: app.js only calls textPanel(model) after a model loads.
import { generate, loadTokenizer, padSequences } from './kerasrnn.js';

let panel = null;
let current = null;
let source = {};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function build() {
  const status = el('span', { class: 'status', id: 'text-status' });
  const file = el('input', { type: 'file', id: 'text-vocab', accept: '.json' });
  const text = el('textarea', { id: 'text-input', rows: '3', spellcheck: 'false' });
  const steps = el('input', { id: 'text-steps', type: 'number', min: '1', max: '5000', value: '100' });
  const temp = el('input', { id: 'text-temperature', type: 'number', min: '0', step: '0.1', value: '0.8' });
  const seed = el('input', { id: 'text-seed', type: 'number', min: '0', value: '1' });
  const predictBtn = el('button', { id: 'text-predict', type: 'button' }, 'Predict texts (one per line)');
  const genBtn = el('button', { id: 'text-generate', type: 'button' }, 'Generate');
  const out = el('pre', { id: 'text-output' });
  const err = el('p', { id: 'text-error', class: 'error', role: 'alert', hidden: '' });
  const section = el(
    'section',
    { id: 'text-section', hidden: '' },
    el('h2', {}, 'Text'),
    el('p', {}, el('label', { class: 'button' }, 'tokenizer.json / vocabulary.json', file), ' ', status),
    el('label', { for: 'text-input' }, 'Text (a prompt to generate from, or texts to predict, one per line)'),
    text,
    el('fieldset', {}, el('legend', {}, 'Generate'), el('label', {}, 'steps ', steps), el('label', {}, 'temperature (0 = greedy) ', temp), el('label', {}, 'seed ', seed), genBtn),
    predictBtn,
    err,
    out,
  );
  document.querySelector('main').append(section);
  const fail = (e) => {
    err.hidden = !e;
    err.textContent = e ? `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? e}` : '';
  };
  file.addEventListener('change', async () => {
    fail(null);
    try {
      const json = JSON.parse(await file.files[0].text());
      const flat = json && typeof json === 'object' && !Array.isArray(json) && !('config' in json) && Object.values(json).every((v) => typeof v === 'number');
      // a JSON list, or char_indices (every key one character), is a vocabulary; anything else a Keras tokenizer
      source = Array.isArray(json) || (flat && Object.keys(json).every((k) => Array.from(k).length === 1)) ? { vocabulary: json } : { tokenizer: loadTokenizer(json) };
      status.textContent = source.tokenizer ? `Keras tokenizer, ${source.tokenizer.wordIndex.size} words` : `vocabulary of ${Object.keys(json).length} tokens`;
      refresh();
    } catch (e) {
      fail(e);
    }
  });
  predictBtn.addEventListener('click', () => {
    fail(null);
    try {
      const lines = text.value.split('\n').filter((l) => l.length > 0);
      const input = current.inputs[0];
      let y;
      if (input.dtype === 'string') y = current.predict(lines);
      else {
        const fixed = input.shape[1];
        y = current.predict(padSequences(source.tokenizer.textsToSequences(lines), typeof fixed === 'number' ? { maxlen: fixed } : {}));
      }
      const t = Array.isArray(y) ? y[0] : y;
      const per = t.data.length / t.shape[0];
      out.textContent = lines.map((l, i) => `${JSON.stringify(l)} -> [${Array.from(t.data.subarray(i * per, (i + 1) * per), (v) => +v.toFixed(5)).join(', ')}]`).join('\n');
    } catch (e) {
      fail(e);
    }
  });
  genBtn.addEventListener('click', () => {
    fail(null);
    try {
      const known = source.tokenizer || source.vocabulary;
      const prompt = known ? text.value : text.value.split(/[\s,]+/).filter(Boolean).map(Number);
      const t0 = performance.now();
      const r = generate(current, { ...source, prompt, steps: Number(steps.value), temperature: Number(temp.value), seed: Number(seed.value) });
      out.textContent = `${r.text ?? r.ids.join(' ')}\n\n(${r.ids.length} tokens, ${r.mode} mode, seed ${r.seed}, ${(performance.now() - t0).toFixed(0)} ms)`;
    } catch (e) {
      fail(e);
    }
  });
  return { section, predictBtn, genBtn };
}

function refresh() {
  const m = current;
  const one = m && m.hasWeights && m.inputs.length === 1;
  const takesText = one && m.inputs[0].dtype === 'string';
  const outShape = m?.outputs[0]?.shape ?? [];
  const inShape = m?.inputs[0]?.shape ?? [];
  const generates = one && !takesText && (outShape.length === 2 || outShape.length === 3) && (inShape.length === 2 || (inShape.length === 3 && inShape[2] === outShape[outShape.length - 1]));
  panel.section.hidden = !(takesText || generates);
  panel.predictBtn.hidden = !(takesText || (one && inShape.length === 2 && source.tokenizer));
  panel.genBtn.parentElement.hidden = !generates;
}

/** Called by app.js after a model loads (null when none). */
export function textPanel(model) {
  panel ??= build();
  current = model;
  refresh();
}
