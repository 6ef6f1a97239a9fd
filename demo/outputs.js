// How each model output is shown, chosen from its shape and from the model:
//   classes  (samples, classes) scores of a classifier: the top classes as bars, named by the
//            labels file or by a tokenizer's words when their count fits;
//   forecast (samples, horizon) from a Dense head over a numeric sequence: the input sequence with
//            the predicted values after it;
//   sequence (samples, steps, channels): a heat map (many channels) or lines (a few), switchable;
//   vector   any other (samples, n): the values against their index.
// Every output's values are also listed in full (exact float32 values).
import { plot, bars, heatmap } from './plot.js';
import { h } from './editors.js';

const fmtShape = (shape) => `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')}${shape.length === 1 ? ',' : ''})`;
const RECURRENT = /^(LSTM|GRU|SimpleRNN|CuDNNLSTM|CuDNNGRU|Bidirectional|RNN)$/;

/** The view for one output (see the file comment). */
export function viewOf(model, output, tensor, { inputKinds, labelsFor }) {
  const rank = tensor.shape.length;
  if (rank === 3) return 'sequence';
  if (rank !== 2) return 'values';
  const width = tensor.shape[1];
  const probabilities = tensor.data.every((v) => v >= 0 && v <= 1);
  const tokens = inputKinds.some((k) => k !== 'numbers');
  if (width >= 2 && (probabilities || tokens || labelsFor(width))) return 'classes';
  // One probability from a text or token model (a sentiment score): one bar.
  if (width === 1 && probabilities && tokens) return 'classes';
  const layer = model.layers.find((l) => l.name === output.layer);
  const numericSequence = model.inputs.some((i, k) => i.shape.length === 3 && inputKinds[k] === 'numbers');
  if (numericSequence && layer && !RECURRENT.test(layer.className) && width <= 100) return 'forecast';
  return 'vector';
}

/** Values of one sample of a batch-first tensor. */
const sampleOf = (t, s) => {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return t.data.subarray(s * per, (s + 1) * per);
};

/** The shortest decimal that reads back as the same float32 (as the CLI and NumPy print them). */
function float32Text(v) {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const n = Number(v.toPrecision(p));
    if (Math.fround(n) === v) return String(n);
  }
  return String(v);
}

/** One block per output: a header line, then the values of every sample (exact float32 values). */
export function formatValues(name, t) {
  const rows = [];
  for (let r = 0; r < t.shape[0]; r++) rows.push(`[${Array.from(sampleOf(t, r), float32Text).join(', ')}]`);
  return `${name} — shape ${fmtShape(t.shape)}\n[${rows.join(',\n ')}]`;
}

/**
 * Draws every output of one prediction into `container`: `x` the input tensors (model input
 * order), `y` the outputs keyed by name, `sample` the sample shown.
 */
export function drawOutputs(container, model, x, y, { sample, inputKinds, labelsFor }) {
  container.replaceChildren();
  for (const output of model.outputs) {
    const t = y[output.name];
    if (!t) continue;
    const view = viewOf(model, output, t, { inputKinds, labelsFor });
    const card = h('div', { class: `output view-${view}`, 'data-output': output.name, 'data-view': view });
    card.append(h('h3', {}, h('code', {}, output.name), ` ${fmtShape(t.shape)}`, output.name !== output.layer ? ` — output ${output.tensor} of ${output.layer}` : ''));
    container.append(card);
    const values = sampleOf(t, sample);
    if (view === 'classes') {
      const width = t.shape[1];
      const named = labelsFor(width);
      const order = Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b).slice(0, Math.min(10, width));
      const probabilities = t.data.every((v) => v >= 0 && v <= 1);
      bars(card, {
        title: width === 1 ? `${output.name} (sample ${sample})` : `Top ${order.length} of ${width} classes (sample ${sample}${probabilities ? '' : ', scores'})${named ? '' : ' — load labels to name them'}`,
        items: order.map((i) => ({ label: named ? `${named[i]} (${i})` : width === 1 ? 'score' : `class ${i}`, value: values[i] })),
      });
    } else if (view === 'forecast') {
      const k = model.inputs.findIndex((i, j) => i.shape.length === 3 && inputKinds[j] === 'numbers');
      const xin = x[k];
      const [, steps, features] = xin.shape;
      const xs = sampleOf(xin, sample);
      const series = [];
      for (let c = 0; c < Math.min(features, 4); c++) {
        series.push({ name: `${model.inputs[k].name}${features > 1 ? ` [${c}]` : ''}`, points: Array.from({ length: steps }, (_, s) => [s, xs[s * features + c]]) });
      }
      const horizon = values.length;
      series.push({ name: `${output.name}: next ${horizon === 1 ? 'value' : `${horizon} values`}`, kind: horizon <= 3 ? 'dots' : 'line', points: Array.from(values, (v, i) => [steps + i, v]) });
      plot(card, { title: `Input sequence and the forecast after it (sample ${sample})`, series });
    } else if (view === 'sequence') {
      const [, T, C] = t.shape;
      const rows = Array.from({ length: T }, (_, s) => Array.from(values.subarray(s * C, (s + 1) * C)));
      const area = h('div', { class: 'view-area' });
      const draw = (mode) => {
        area.replaceChildren();
        card.dataset.mode = mode;
        if (mode === 'heatmap') heatmap(area, { title: `${output.name}: ${T} steps × ${C} channels (sample ${sample})`, rows });
        else plot(area, { title: `${output.name} (sample ${sample})`, series: Array.from({ length: Math.min(C, 8) }, (_, c) => ({ name: `channel ${c}`, points: rows.map((r, s) => [s, r[c]]) })) });
      };
      const toggle = h('button', { type: 'button', class: 'toggle-view' }, 'switch heat map / lines');
      toggle.addEventListener('click', () => draw(card.dataset.mode === 'heatmap' ? 'lines' : 'heatmap'));
      card.append(toggle, area);
      draw(C > 4 ? 'heatmap' : 'lines');
    } else if (view === 'vector') {
      plot(card, { title: `${output.name} (sample ${sample})`, xLabel: 'output unit', series: [{ name: output.name, kind: values.length <= 64 ? 'dots' : 'line', points: Array.from(values, (v, i) => [i, v]) }] });
    }
  }
}
