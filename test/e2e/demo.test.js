// End to end: `npm run demo` serves the demo page; headless Chromium (Debian's chromium package,
// driven by playwright-core) loads the project's example model into it, runs predict, and the
// numbers the page shows must equal Node's predict for the same input, bit for bit (same wasm).
// Also checks that dist/index.js itself loads in a browser with no bundler (an import map for
// jsfive / fflate), i.e. that no Node built-in is imported on the browser path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, FLAGS, startDemoServer } from '../support/demo-browser.js';

import { loadModel } from '../../dist/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.join(ROOT, 'examples/sine_forecaster.h5');
const FIXTURES = path.join(ROOT, 'test/fixtures');

/** The sine example input as nested arrays [2][50][1], read with NumPy's layout (float32, C order). */
function exampleInput() {
  const buf = fs.readFileSync(path.join(ROOT, 'examples/sine_input.npy'));
  const headerLen = buf.readUInt16LE(8);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + 10 + headerLen, buf.byteOffset + buf.length));
  assert.is(data.length, 100);
  return Array.from({ length: 2 }, (_, s) => Array.from({ length: 50 }, (_, t) => [data[s * 50 + t]]));
}

/** The numbers of the page's "Output values" box, per output block (header line dropped). */
function shownOutputs(text) {
  return text.split('\n\n').map((block) => {
    const [head, ...rest] = block.split('\n');
    // Shortest float32 text, as the CLI prints: read back through Math.fround.
    return { head, values: JSON.parse(rest.join('\n')).flat(Infinity).map(Math.fround) };
  });
}

async function nodePredict(nested) {
  const model = await loadModel(MODEL);
  const flat = nested.flat(Infinity);
  const y = model.predict({ data: Float32Array.from(flat), shape: [nested.length, nested[0].length, nested[0][0].length] });
  const summary = model.summary();
  model.dispose();
  return { y, summary };
}

const state = {};

if (!CHROMIUM) {
  test('demo in headless Chromium', () => {
    console.log('skipped: chromium not found at /usr/bin/chromium (install it: apt-get install chromium); the demo e2e test did not run');
  });
} else {
  test.before(async () => {
    const { chromium } = await import('playwright-core');
    // `npm run demo -- --port 0`: the real script, on a free port; its own process group so that
    // the server is stopped with the npm process that started it.
    ({ server: state.server, origin: state.origin } = await startDemoServer(ROOT));
    state.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-chromium-'));
    state.context = await chromium.launchPersistentContext(state.profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 900 } });
  });

  test.after(async () => {
    await state.context?.close().catch(() => {});
    if (state.server?.pid) {
      try {
        process.kill(-state.server.pid, 'SIGTERM');
      } catch {}
    }
    if (state.profile) fs.rmSync(state.profile, { recursive: true, force: true });
  });

  /** A fresh page that records page errors and every URL it requests. */
  async function openPage(url) {
    const page = await state.context.newPage();
    const errors = [];
    const requests = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    if (url) await page.goto(url);
    return { page, errors, requests };
  }

  /** Chooses model files with the page's file input and waits until the model stage settles. */
  async function chooseModel(page, files, input = '#model-file') {
    await page.setInputFiles(input, files);
    await page.waitForFunction(() => !document.getElementById('run').disabled || !document.getElementById('model-error').hidden, null, { timeout: 20000 });
  }

  /** Clicks Run and waits for the outputs (or the run error). */
  async function runPredict(page) {
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('output-values').textContent.length > 0 || !document.getElementById('error').hidden, null, { timeout: 20000 });
  }

  const editor = (name) => `.editor[data-input="${name}"]`;

  /** Every element of the page that sticks out of the viewport or of its box; the summary must not be cut. */
  async function overflowProblems(page) {
    return page.evaluate(() => {
      const bad = [];
      const vw = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth > vw) bad.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${vw})`);
      for (const el of document.querySelectorAll('main *')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        const what = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${typeof el.className === 'string' && el.className ? `.${el.className}` : ''}`;
        if (r.right > vw + 0.5) bad.push(`${what} ends at ${r.right} > ${vw}`);
        if (getComputedStyle(el).overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) bad.push(`${what} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
      }
      const s = document.getElementById('summary');
      if (!s.hidden && s.scrollHeight > s.clientHeight + 1) bad.push(`the summary box cuts the table (${s.scrollHeight} > ${s.clientHeight})`);
      return bad;
    });
  }

  /**
   * Decodes a PNG in the page and counts its pixels: all, those near `rgb` (within 40 per
   * channel), and those that are not near-white. Returns { width, height, near, ink }.
   */
  async function pixels(page, png, rgb = [47, 111, 223]) {
    return page.evaluate(
      async ({ b64, rgb }) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const canvas = new OffscreenCanvas(img.width, img.height);
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, img.width, img.height).data;
        let near = 0;
        let ink = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (Math.abs(d[i] - rgb[0]) < 40 && Math.abs(d[i + 1] - rgb[1]) < 40 && Math.abs(d[i + 2] - rgb[2]) < 40) near++;
          if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
        }
        return { width: img.width, height: img.height, near, ink };
      },
      { b64: png.toString('base64'), rgb },
    );
  }

  /** Full-page screenshot, checked (size, something drawn) and kept in KERASRNN_SCREENSHOTS_DIR when set. */
  async function screenshot(page, name) {
    const png = await page.screenshot({ fullPage: true });
    const size = await page.evaluate(() => ({ width: document.documentElement.clientWidth, height: document.documentElement.scrollHeight }));
    const seen = await pixels(page, png);
    assert.is(seen.width, size.width, `${name}: screenshot width`);
    assert.ok(Math.abs(seen.height - size.height) <= 2, `${name}: screenshot height ${seen.height} vs page ${size.height}`);
    assert.ok(seen.near > 500, `${name}: the accent colour (buttons, bars, lines) is in the screenshot`);
    if (process.env.KERASRNN_SCREENSHOTS_DIR) fs.writeFileSync(path.join(process.env.KERASRNN_SCREENSHOTS_DIR, name), png);
    return png;
  }

  test('chosen model file: summary as in Node, shown outputs equal Node predict on the example input', async () => {
    const { page, errors, requests } = await openPage(`${state.origin}/`);
    await chooseModel(page, MODEL);
    const input = exampleInput();
    const { y, summary } = await nodePredict(input);
    assert.is(await page.textContent('#summary'), summary);
    assert.match(await page.textContent('#model-status'), /loaded sine_forecaster\.h5 in \d/);

    await page.fill(`${editor('lstm_input')} textarea`, JSON.stringify(input));
    await runPredict(page);
    const [out] = shownOutputs(await page.textContent('#output-values'));
    assert.match(out.head, /^dense .*shape \(2, 1\)$/);
    assert.equal(out.values, Array.from(y.data), 'page and Node give the same float32 numbers');
    // And both agree with the independent PyTorch reference shipped with the example.
    const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/sine_expected.json'), 'utf8'));
    expected.expected.flat().forEach((ref, i) => assert.ok(Math.abs(out.values[i] - ref) <= 1e-5 + 1e-4 * Math.abs(ref), `output ${i}: ${out.values[i]} vs ${ref}`));
    assert.match(await page.textContent('#predict-time'), /^predict: \d+\.\d\d ms \(2 samples × 50 steps\)$/);
    // A forecaster: the input sequence as a line and the next value as a dot after it.
    assert.is(await page.getAttribute('.output[data-output="dense"]', 'data-view'), 'forecast');
    assert.is(await page.locator('#outputs svg polyline').count(), 1);
    assert.is(await page.locator('#outputs svg circle').count(), 1);
    // Two samples: the sample chooser appears and redraws.
    assert.is(await page.locator('#sample-row').isVisible(), true);
    await page.fill('#sample', '1');
    assert.match(await page.textContent('#outputs svg'), /sample 1/);
    assert.is(await page.locator('#error').isHidden(), true);
    assert.equal(errors, []);
    // Offline: every request went to the local demo server.
    assert.ok(requests.length > 3);
    for (const r of requests) assert.ok(r.startsWith(`${state.origin}/`) || r.startsWith('data:'), `request outside the local server: ${r}`);
    await page.close();
  });

  test('example button (fetch) + generated sequences: shown outputs equal Node predict; a wrong length shows the InputError under its input', async () => {
    const { page, errors } = await openPage(`${state.origin}/`);
    await page.click('#example-model');
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 20000 });
    const ed = editor('lstm_input');
    assert.is(await page.inputValue(`${ed} .gen-steps`), '50', 'steps come from the model input (None, 50, 1)');
    assert.is(await page.inputValue(`${ed} .editor-kind`), 'numbers');

    for (const kind of ['sine', 'noise', 'ramp']) {
      await page.selectOption(`${ed} .gen-kind`, kind);
      await page.fill(`${ed} .gen-freq`, '0.31');
      await page.click(`${ed} .generate`);
      assert.is(await page.textContent('#output-values'), '', 'a new input clears the old outputs');
      await runPredict(page);
      const typed = JSON.parse(await page.inputValue(`${ed} textarea`));
      assert.is(typed.length, 50, kind);
      const { y } = await nodePredict([typed]);
      const [out] = shownOutputs(await page.textContent('#output-values'));
      assert.equal(out.values, Array.from(y.data), `${kind}: page and Node agree`);
      assert.is(await page.locator('#outputs svg circle').count(), 1, 'the forecast is drawn after the sequence');
    }

    // Plain numbers are accepted too: 50 comma-separated values = one sample.
    const values = Array.from({ length: 50 }, (_, t) => Math.fround(Math.cos(t / 3)));
    await page.fill(`${ed} textarea`, values.join(', '));
    await runPredict(page);
    const { y } = await nodePredict([values.map((v) => [v])]);
    assert.equal(shownOutputs(await page.textContent('#output-values'))[0].values, Array.from(y.data));

    // 30 steps for a model that takes 50: the page's own check names the input and the counts,
    // under that input; the run section points there and shows no stale outputs.
    await page.fill(`${ed} textarea`, JSON.stringify(Array.from({ length: 30 }, () => [0.5])));
    await runPredict(page);
    assert.match(await page.textContent(`${ed} .error`), /input lstm_input: the values have shape \(1, 30, 1\)|dimension 1 must be 50/);
    assert.match(await page.textContent('#error'), /input|fix/);
    assert.is(await page.textContent('#output-values'), '');
    assert.is(await page.locator('#outputs svg').count(), 0);
    // Numbers the model's own validation refuses (kerasrnn's InputError) land under the input too.
    await page.fill(`${ed} textarea`, Array.from({ length: 30 }, () => 0.5).join(' '));
    await runPredict(page);
    assert.match(await page.textContent(`${ed} .error`), /^InputError: .*dimension 1 must be 50|30 numbers do not fill samples of 50 steps/);
    assert.equal(errors, []);
    await page.close();
  });

  test('dropped .keras file (Keras 3, GRU x2 -> Dense 4) and a dropped .npy input: shown outputs equal Node predict', async () => {
    const keras = path.join(ROOT, 'test/fixtures/keras3/k3_gru_sequential.keras');
    const { page, errors } = await openPage(`${state.origin}/`);
    const drop = (file, name, target) =>
      page.evaluate(
        ({ bytes, name, target }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(bytes)], name));
          document.querySelector(target).dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        },
        { bytes: Array.from(fs.readFileSync(file)), name, target },
      );
    await drop(keras, 'k3_gru_sequential.keras', '#drop-zone');
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 20000 });
    const model = await loadModel(keras);
    assert.is(await page.textContent('#summary'), model.summary());
    assert.is(await page.textContent(`${editor('input_layer')} legend`), 'input_layer (None, 5, 3)');

    // A .npy of two samples (5 steps x 3 features), dropped on the input editor: it fills it.
    const { encodeNpy } = await import('../../dist/index.js');
    const data = Float32Array.from({ length: 30 }, (_, i) => Math.fround(Math.sin(i * 0.9) - 0.2));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-e2e-'));
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy({ data, shape: [2, 5, 3] }));
    await drop(path.join(dir, 'x.npy'), 'x.npy', `${editor('input_layer')} textarea`);
    fs.rmSync(dir, { recursive: true, force: true });
    await page.waitForFunction(() => document.querySelector('.editor textarea').value.startsWith('[[['));
    await runPredict(page);
    assert.match(await page.textContent('#predict-time'), /\(2 samples × 5 steps\)/);
    const [out] = shownOutputs(await page.textContent('#output-values'));
    assert.match(out.head, /^dense .*shape \(2, 4\)$/);
    assert.equal(out.values, Array.from(model.predict({ data, shape: [2, 5, 3] }).data));
    assert.is(await page.locator('#outputs svg').count(), 1, 'one output drawn');
    model.dispose();
    assert.equal(errors, []);
    await page.close();
  });

  test('Embedding classifier: token-id editor within the vocabulary, top-class bars named by a labels file, bad ids refused next to the input', async () => {
    const file = path.join(ROOT, 'test/fixtures/embedding_lstm_softmax.h5');
    const { page, errors } = await openPage(`${state.origin}/`);
    await chooseModel(page, file);
    const model = await loadModel(file);
    const ed = editor(model.inputs[0].name);
    assert.is(await page.inputValue(`${ed} .editor-kind`), 'ids', 'an Embedding input gets the token-id editor');
    const vocab = model.layers.find((l) => l.className === 'Embedding').details.inputDim;
    const ids = (await page.inputValue(`${ed} textarea`)).trim().split(/\s+/).map(Number);
    assert.is(ids.length, 7);
    for (const id of ids) assert.ok(Number.isInteger(id) && id >= 1 && id < vocab, `token id ${id} in 1..${vocab - 1}`);

    // A real example typed in: two samples.
    await page.fill(`${ed} textarea`, '3 1 4 1 5 9 2\n6 5 3 5 8 9 7');
    await runPredict(page);
    const [out] = shownOutputs(await page.textContent('#output-values'));
    const y = model.predict({ data: Float32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7]), shape: [2, 7] });
    assert.equal(out.values, Array.from(y.data));
    const card = '.output[data-output="dense"]';
    assert.is(await page.getAttribute(card, 'data-view'), 'classes');
    assert.is(await page.locator(`${card} rect.bar`).count(), 4);
    // Bars are ordered by score; the first is the argmax.
    const scores = Array.from(y.data.subarray(0, 4));
    const best = scores.indexOf(Math.max(...scores));
    assert.match(await page.textContent(`${card} svg`), new RegExp(`class ${best}`));

    // Labels: a text file, one per line.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-e2e-'));
    fs.writeFileSync(path.join(dir, 'labels.txt'), 'north\neast\nsouth\nwest\n');
    fs.writeFileSync(path.join(dir, 'wrong.txt'), 'a\nb\nc\n');
    await page.setInputFiles('#labels-file', path.join(dir, 'labels.txt'));
    await page.waitForFunction(() => /4 labels/.test(document.getElementById('labels-status').textContent));
    const names = ['north', 'east', 'south', 'west'];
    const top = (await page.locator(`${card} svg text`).evaluateAll((els) => els.map((e) => e.firstChild?.nodeValue ?? ''))).find((t) => names.some((n) => t.startsWith(n)));
    assert.is(top, `${names[best]} (${best})`);
    const bars = await page.locator(`${card} svg`).screenshot();
    assert.ok((await pixels(page, bars)).near > 200, 'the bars are drawn in the screenshot');
    assert.equal(await overflowProblems(page), []);
    await screenshot(page, 'demo-classifier.png');
    // A labels file that fits no output: said next to the labels chooser.
    await page.setInputFiles('#labels-file', path.join(dir, 'wrong.txt'));
    await page.waitForSelector('#labels-error:not([hidden])');
    assert.match(await page.textContent('#labels-error'), /names 3 classes; the model's outputs have 4 values/);
    fs.rmSync(dir, { recursive: true, force: true });

    // An id outside the vocabulary: refused by the editor, naming sample, step and range.
    await page.fill(`${ed} textarea`, `3 1 4 1 5 9 ${vocab}`);
    await runPredict(page);
    assert.match(await page.textContent(`${ed} .error`), new RegExp(`sample 1, step 7: ${vocab} is not a token id in 0 \\.\\. ${vocab - 1}`));
    assert.is(await page.locator('#outputs svg').count(), 0);
    model.dispose();
    assert.equal(errors, []);
    await page.close();
  });

  test('one-hot editor: class ids per step become one-hot rows; output equals Node predict on the same rows', async () => {
    const file = path.join(ROOT, 'test/fixtures/lstm_units7.h5'); // (None, 5, 3)
    const { page, errors } = await openPage(`${state.origin}/`);
    await chooseModel(page, file);
    const model = await loadModel(file);
    const ed = editor(model.inputs[0].name);
    await page.selectOption(`${ed} .editor-kind`, 'one-hot');
    await page.fill(`${ed} textarea`, '0 2 1 1 0');
    await runPredict(page);
    const data = new Float32Array(15);
    [0, 2, 1, 1, 0].forEach((c, t) => (data[t * 3 + c] = 1));
    assert.equal(shownOutputs(await page.textContent('#output-values'))[0].values, Array.from(model.predict({ data, shape: [1, 5, 3] }).data));
    await page.fill(`${ed} textarea`, '0 2 1 3 0');
    await runPredict(page);
    assert.match(await page.textContent(`${ed} .error`), /step 4: 3 is not a class id in 0 \.\. 2/);
    model.dispose();
    assert.equal(errors, []);
    await page.close();
  });

  test('several inputs (seq2seq with initial state): one editor each, outputs equal Node predict; sequence output as lines and heat map', async () => {
    const file = path.join(ROOT, 'test/fixtures/seq2seq_initial_state.h5');
    const { page, errors } = await openPage(`${state.origin}/`);
    await chooseModel(page, file);
    const model = await loadModel(file);
    assert.equal(await page.locator('.editor').evaluateAll((els) => els.map((e) => e.dataset.input)), model.inputs.map((i) => i.name));
    const a = Array.from({ length: 6 }, (_, t) => [Math.sin(t), Math.cos(t), t / 6].map(Math.fround));
    const b = Array.from({ length: 4 }, (_, t) => [Math.fround(t / 4), Math.fround(-t / 8)]);
    await page.fill(`${editor(model.inputs[0].name)} textarea`, JSON.stringify(a));
    await page.fill(`${editor(model.inputs[1].name)} textarea`, JSON.stringify(b));
    await runPredict(page);
    const y = model.predict([
      { data: Float32Array.from(a.flat()), shape: [1, 6, 3] },
      { data: Float32Array.from(b.flat()), shape: [1, 4, 2] },
    ]);
    const [out] = shownOutputs(await page.textContent('#output-values'));
    assert.equal(out.values, Array.from(y.data));
    const card = `.output[data-output="${model.outputs[0].name}"]`;
    assert.is(await page.getAttribute(card, 'data-view'), 'sequence');
    assert.is(await page.getAttribute(card, 'data-mode'), 'lines', 'three channels: lines');
    assert.is(await page.locator(`${card} polyline`).count(), 3);
    assert.equal(await overflowProblems(page), []);
    await screenshot(page, 'demo-several-inputs.png');
    await page.click(`${card} .toggle-view`);
    assert.is(await page.getAttribute(card, 'data-mode'), 'heatmap');
    assert.is(await page.locator(`${card} rect.cell`).count(), 4 * 3, 'one cell per step and channel');
    model.dispose();
    assert.equal(errors, []);
    await page.close();
  });

  test('sequence output with many channels: heat map; JSON config + weights pair; several outputs named as predict names them', async () => {
    const { page, errors } = await openPage(`${state.origin}/`);
    // Bidirectional SimpleRNN returning sequences: (None, 7, 4) -> lines; switched to a heat map.
    const seq = path.join(ROOT, 'test/fixtures/masking_bidir_simple_rnn_seq.h5');
    await chooseModel(page, seq);
    await page.selectOption(`.editor .gen-kind`, 'sine');
    await runPredict(page);
    const card = '.output[data-view="sequence"]';
    await page.click(`${card} .toggle-view`);
    assert.is(await page.locator(`${card} rect.cell`).count(), 7 * 4);
    const heat = await page.locator(`${card} svg`).screenshot();
    const seen = await pixels(page, heat);
    assert.ok(seen.ink > seen.width * seen.height * 0.3, 'the heat map fills its box');
    assert.equal(await overflowProblems(page), []);
    await screenshot(page, 'demo-sequence-heatmap.png');

    // to_json() + save_weights(): both files chosen together.
    const config = path.join(FIXTURES, 'functional_lstm.json');
    const weights = path.join(FIXTURES, 'functional_lstm.weights.h5');
    await chooseModel(page, [config, weights]);
    assert.match(await page.textContent('#model-status'), /loaded functional_lstm\.json \+ functional_lstm\.weights\.h5/);
    assert.is(await page.locator('.output').count(), 0, 'the previous outputs are gone');
    const pair = await loadModel({ config, weights });
    assert.is(await page.textContent('#summary'), pair.summary());
    const text = await page.inputValue('.editor textarea');
    await runPredict(page);
    const nested = JSON.parse(text);
    const py = pair.predict({ data: Float32Array.from(nested.flat(Infinity)), shape: [1, nested.length, nested[0].length] });
    assert.equal(shownOutputs(await page.textContent('#output-values'))[0].values, Array.from(py.data));
    pair.dispose();

    // Five outputs from two layers (return_state): cards and value blocks use model.outputs' names.
    const enc = path.join(FIXTURES, 'return_state_encoder.h5');
    await chooseModel(page, enc);
    await runPredict(page);
    const m = await loadModel(enc);
    const names = m.outputs.map((o) => o.name);
    assert.equal(names, ['encoder_lstm', 'encoder_lstm_1', 'encoder_lstm_2', 'encoder_gru', 'encoder_gru_1']);
    assert.equal(await page.locator('.output').evaluateAll((els) => els.map((e) => e.dataset.output)), names);
    const blocks = shownOutputs(await page.textContent('#output-values'));
    assert.equal(blocks.map((b) => b.head.split(' ')[0]), names);
    m.dispose();
    assert.equal(errors, []);
    await page.close();
  });

  test('stages reset: a failed load clears the previous summary, inputs and outputs and shows the error next to the chooser', async () => {
    const { page, errors } = await openPage(`${state.origin}/`);
    await page.click('#example-model');
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 20000 });
    await runPredict(page);
    assert.ok((await page.textContent('#output-values')).length > 0);
    assert.equal(await overflowProblems(page), []);
    await screenshot(page, 'demo-forecaster.png');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-e2e-'));
    fs.writeFileSync(path.join(dir, 'notes.h5'), 'not a model');
    fs.writeFileSync(path.join(dir, 'a.json'), '{"x": 1}');
    await chooseModel(page, path.join(dir, 'notes.h5'));
    assert.match(await page.textContent('#model-error'), /^ModelFileError: not a Keras model file/);
    assert.match(await page.textContent('#model-status'), /could not load notes\.h5/);
    assert.is(await page.locator('#summary').isHidden(), true);
    assert.is(await page.locator('.editor').count(), 0);
    assert.is(await page.locator('#outputs *').count(), 0);
    assert.is(await page.textContent('#output-values'), '');
    assert.is(await page.isDisabled('#run'), true);
    // Files that are no model at all: the chooser says what to give.
    await chooseModel(page, [path.join(dir, 'a.json'), path.join(dir, 'notes.h5')]);
    assert.match(await page.textContent('#model-error'), /2 files were given .*give one \.h5 \/ \.keras file, a JSON config with its weights/);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(errors, []);
    await page.close();
  });

  test('text input: a char vocabulary drives the one-hot editor and names the classes; a tokenizer drives an id input', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'text/manifest.json'), 'utf8'));
    const char = manifest.models.find((m) => m.id === 'char_window_k2');
    const word = manifest.models.find((m) => m.id === 'word_window_tf');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-e2e-'));
    const { page, errors } = await openPage(`${state.origin}/`);
    try {
      // Char-RNN: (None, 6, 11) one-hot input, softmax over the same 11 characters.
      const file = path.join(FIXTURES, 'text', char.model);
      await chooseModel(page, file);
      const model = await loadModel(file);
      const ed = editor(model.inputs[0].name);
      assert.is(await page.inputValue(`${ed} .editor-kind`), 'one-hot', 'input depth = output classes: one-hot rows');
      fs.writeFileSync(path.join(dir, 'chars.json'), JSON.stringify(char.vocabulary));
      await page.setInputFiles('#labels-file', path.join(dir, 'chars.json'));
      await page.waitForFunction(() => /11 labels/.test(document.getElementById('labels-status').textContent));
      await page.selectOption(`${ed} .editor-kind`, 'text');
      await page.fill(`${ed} textarea`, 'cab!');
      await runPredict(page);
      // Pre-padded to 6 steps: two all-zero rows, then c a b !
      const ids = Array.from('cab!', (ch) => char.vocabulary.indexOf(ch));
      const data = new Float32Array(6 * 11);
      ids.forEach((id, t) => (data[(t + 2) * 11 + id] = 1));
      const y = model.predict({ data, shape: [1, 6, 11] });
      assert.equal(shownOutputs(await page.textContent('#output-values'))[0].values, Array.from(y.data));
      const best = Array.from(y.data).indexOf(Math.max(...y.data));
      const first = (await page.locator('.output svg text').evaluateAll((els) => els.map((e) => e.firstChild?.nodeValue ?? ''))).find((t) => / \(\d+\)$/.test(t));
      assert.is(first, `${char.vocabulary[best]} (${best})`, 'the top bar is named by the vocabulary');
      await page.fill(`${ed} textarea`, 'caz');
      await runPredict(page);
      assert.match(await page.textContent(`${ed} .error`), /"z" is not in the vocabulary \(chars\.json\)/);
      model.dispose();

      // Word model: (None, 5) ids into an Embedding; a tokenizer (bare word_index) types them.
      const wfile = path.join(FIXTURES, 'text', word.model);
      await chooseModel(page, wfile);
      const wm = await loadModel(wfile);
      const wed = editor(wm.inputs[0].name);
      assert.is(await page.inputValue(`${wed} .editor-kind`), 'ids');
      const wordIndex = Object.fromEntries(word.vocabulary.slice(1).map((w, i) => [w, i + 1]));
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(wordIndex));
      await page.setInputFiles('#tokenizer-file', path.join(dir, 'tokenizer.json'));
      await page.waitForFunction(() => /tokenizer from tokenizer\.json/.test(document.getElementById('tokenizer-status').textContent));
      await page.selectOption(`${wed} .editor-kind`, 'text');
      await page.fill(`${wed} textarea`, 'the cat sat');
      await runPredict(page);
      const wy = wm.predict({ data: Float32Array.from([0, 0, wordIndex.the, wordIndex.cat, wordIndex.sat]), shape: [1, 5] });
      assert.equal(shownOutputs(await page.textContent('#output-values'))[0].values, Array.from(wy.data));
      // The chars labels do not fit 15 classes; the tokenizer's words name them.
      const wbest = Array.from(wy.data).indexOf(Math.max(...wy.data));
      const wfirst = (await page.locator('.output svg text').evaluateAll((els) => els.map((e) => e.firstChild?.nodeValue ?? ''))).find((t) => / \(\d+\)$/.test(t));
      assert.is(wfirst, `${wbest === 0 ? '(padding)' : word.vocabulary[wbest]} (${wbest})`);
      wm.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(errors, []);
    await page.close();
  });

  test('string inputs (TextVectorization / StringLookup inside): a texts editor; outputs equal Node predict on the same texts', async () => {
    const { page, errors } = await openPage(`${state.origin}/`);
    for (const [file, texts, typed] of [
      ['sentiment_config_tf.h5', ['the movie was great', 'awful acting'], 'the movie was great\nawful acting'],
      ['string_lookup_int_k3.keras', ['cat', 'dog', 'fish', 'bird', 'cat', 'zebra'], 'cat, dog, fish\n["bird", "cat", "zebra"]'],
    ]) {
      const full = path.join(FIXTURES, 'text/preprocessing', file);
      await chooseModel(page, full);
      const model = await loadModel(full);
      const ed = editor(model.inputs[0].name);
      assert.is(await page.inputValue(`${ed} .editor-kind`), 'strings', file);
      await page.fill(`${ed} textarea`, typed);
      await runPredict(page);
      assert.is(await page.locator('#error').isHidden(), true, await page.textContent('#error'));
      const per = model.inputs[0].shape[1];
      const y = model.predict({ data: texts, shape: [texts.length / per, per] });
      assert.equal(shownOutputs(await page.textContent('#output-values'))[0].values, Array.from(y.data), file);
      model.dispose();
    }
    assert.equal(errors, []);
    await page.close();
  });

  test('TF.js models: a folder (folder picker) and model.json + shards (file chooser) load and run as in Node', async () => {
    const { page, errors } = await openPage(`${state.origin}/`);
    for (const [name, how] of [['converter_lstm_gru', 'folder'], ['layers_model_save', 'files']]) {
      const folder = path.join(FIXTURES, 'tfjs', name);
      const node = await loadModel(path.join(folder, 'model.json'));
      if (how === 'folder') await chooseModel(page, folder, '#model-folder');
      else await chooseModel(page, fs.readdirSync(folder).map((f) => path.join(folder, f)));
      assert.is(await page.locator('#model-error').isHidden(), true, await page.textContent('#model-error'));
      assert.match(await page.textContent('#model-status'), /loaded model\.json \(TF\.js, \d weight files?\)/);
      assert.is(await page.textContent('#summary'), node.summary());
      await runPredict(page);
      assert.is(await page.locator('#error').isHidden(), true, await page.textContent('#error'));
      // The inputs the page generated, fed to Node's model: same numbers.
      const x = [];
      for (const input of node.inputs) {
        const text = await page.inputValue(`${editor(input.name)} textarea`);
        const nested = JSON.parse(text.trim().startsWith('[') ? text : `[${text.trim().split(/\s+/).join(',')}]`);
        const flat = nested.flat(Infinity);
        x.push({ data: Float32Array.from(flat), shape: [1, ...input.shape.slice(1).map((d, i) => d ?? flat.length / input.shape.slice(1).filter((e, j) => j !== i).reduce((a, b) => a * (b ?? 1), 1))] });
      }
      const y = node.predictNamed(x.length === 1 ? x[0] : x);
      const blocks = shownOutputs(await page.textContent('#output-values'));
      assert.equal(blocks.map((b) => b.head.split(' ')[0]), node.outputs.map((o) => o.name));
      node.outputs.forEach((o, i) => assert.equal(blocks[i].values, Array.from(y[o.name].data), `${name} ${o.name}`));
      node.dispose();
    }
    assert.equal(errors, []);
    await page.close();
  });

  /** A corpus folder, or null (the test says it skipped). */
  function corpusDir(rel) {
    const dir = path.join(ROOT, '../shared/corpus', rel);
    return fs.existsSync(dir) ? dir : null;
  }

  test('SavedModel folder (folder picker) and TF.js model.json + shards: loaded and run as loadModel takes them', async () => {
    const manifest = corpusDir('manifest.json') && JSON.parse(fs.readFileSync(path.join(ROOT, '../shared/corpus/manifest.json'), 'utf8'));
    if (!manifest) {
      console.log('skipped: ../shared/corpus is absent (SavedModel / TF.js demo checks)');
      return;
    }
    const all = manifest.cases ?? manifest;
    // Two of each kind keep the test short.
    const cases = [...all.filter((c) => c.savedmodel).slice(0, 2), ...all.filter((c) => /(^|\/)model\.json$/.test(c.model ?? '')).slice(0, 2)];
    const { page, errors } = await openPage(`${state.origin}/`);
    let ran = 0;
    for (const c of cases) {
      const folder = path.join(ROOT, '../shared/corpus', c.savedmodel ?? path.dirname(c.model));
      const files = fs.readdirSync(folder, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(folder, f)).isFile() && !/reference\.json$/.test(f));
      // What the page passes: File objects with their paths (Node's File has no webkitRelativePath; the loaders read it or name).
      let nodeModel;
      try {
        const { File: NodeFile } = await import('node:buffer');
        const list = files.map((f) => {
          const file = new NodeFile([fs.readFileSync(path.join(folder, f))], path.basename(f));
          Object.defineProperty(file, 'webkitRelativePath', { value: `${path.basename(folder)}/${f}` });
          return file;
        });
        nodeModel = await loadModel(list);
      } catch (e) {
        console.log(`skipped: loadModel does not take ${c.savedmodel ? 'a SavedModel folder' : 'a TF.js model'} as File[] yet (${e.message.slice(0, 90)})`);
        continue;
      }
      await chooseModel(page, c.savedmodel ? folder : files.map((f) => path.join(folder, f)), c.savedmodel ? '#model-folder' : '#model-file');
      assert.is(await page.locator('#model-error').isHidden(), true, await page.textContent('#model-error'));
      assert.is(await page.textContent('#summary'), nodeModel.summary());
      await runPredict(page);
      assert.is(await page.locator('#error').isHidden(), true, await page.textContent('#error'));
      assert.ok((await page.locator('.output').count()) >= 1);
      nodeModel.dispose();
      ran++;
    }
    console.log(`SavedModel / TF.js models loaded and run in the page: ${ran} of ${cases.length}`);
    // A SavedModel folder zipped (as users mail or download one): chosen as one .zip file.
    const first = cases.find((c) => c.savedmodel);
    if (first) {
      const { zipSync } = await import('fflate');
      const folder = path.join(ROOT, '../shared/corpus', first.savedmodel);
      const members = {};
      for (const f of fs.readdirSync(folder, { recursive: true }).map(String)) {
        if (fs.statSync(path.join(folder, f)).isFile()) members[`${path.basename(folder)}/${f}`] = fs.readFileSync(path.join(folder, f));
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-e2e-'));
      const zip = path.join(dir, `${path.basename(folder)}.zip`);
      fs.writeFileSync(zip, zipSync(members));
      const node = await loadModel(fs.readFileSync(zip));
      await chooseModel(page, zip);
      assert.is(await page.locator('#model-error').isHidden(), true, await page.textContent('#model-error'));
      assert.is(await page.textContent('#summary'), node.summary().replace('<bytes>', path.basename(zip)));
      await runPredict(page);
      assert.is(await page.locator('#error').isHidden(), true, await page.textContent('#error'));
      node.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(errors, []);
    await page.close();
  });

  // A tf.keras SavedModel folder from the shared corpus (TF 2.15 SimpleRNN), when present.
  const SAVEDMODEL = path.join(ROOT, '../shared/corpus/savedmodel/EthanTCruz__Fetch-Rewards-Dashboard/rnn_model');

  test('SavedModel: a chosen folder, a zip of it and a dropped folder load with the same summary as Node', async () => {
    if (!fs.existsSync(SAVEDMODEL)) {
      console.log('skipped: ../shared/corpus absent (SavedModel folder in the demo)');
      return;
    }
    const model = await loadModel(SAVEDMODEL);
    const summary = model.summary();
    model.dispose();
    const { zipSync } = await import('fflate');
    const files = {};
    const walk = (d, prefix) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name), `${prefix}${e.name}/`);
        else files[`${prefix}${e.name}`] = new Uint8Array(fs.readFileSync(path.join(d, e.name)));
      }
    };
    walk(SAVEDMODEL, 'rnn_model/');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-e2e-sm-'));
    const zip = path.join(tmp, 'rnn_model.zip');
    fs.writeFileSync(zip, zipSync(files));
    const { page, errors } = await openPage(`${state.origin}/`);
    try {
      const loaded = async (what) => {
        await page.waitForFunction(() => /loaded|could not/.test(document.getElementById('model-status').textContent), null, { timeout: 30000 });
        assert.match(await page.textContent('#model-status'), /^loaded /, `${what}: ${await page.textContent('#model-error')}`);
        assert.is(await page.textContent('#summary'), summary, what);
        await page.evaluate(() => (document.getElementById('model-status').textContent = ''));
      };
      await page.setInputFiles('#model-folder', SAVEDMODEL);
      await loaded('folder input');
      await page.setInputFiles('#model-file', zip);
      await loaded('zip');
      // A dropped folder: Chromium hands the page a directory entry; the page reads its files.
      await page.evaluate(async (entries) => {
        const fileEntry = (name, bytes) => ({ isDirectory: false, name, file: (ok) => ok(new File([new Uint8Array(bytes)], name)) });
        const dir = (name, children) => ({ isDirectory: true, name, createReader: () => { let done = false; return { readEntries: (ok) => { ok(done ? [] : children); done = true; } }; } });
        const tree = {};
        for (const [p, bytes] of entries) {
          const parts = p.split('/').slice(1);
          let node = tree;
          for (const part of parts.slice(0, -1)) node = node[part] ??= {};
          node[parts[parts.length - 1]] = bytes;
        }
        const build = (name, node) => dir(name, Object.entries(node).map(([k, v]) => (Array.isArray(v) ? fileEntry(k, v) : build(k, v))));
        const root = build('rnn_model', tree);
        const dataTransfer = { items: [{ webkitGetAsEntry: () => root }], files: [] };
        const ev = new Event('drop', { bubbles: true, cancelable: true });
        Object.defineProperty(ev, 'dataTransfer', { value: dataTransfer });
        document.getElementById('drop-zone').dispatchEvent(ev);
      }, Object.entries(files).map(([k, v]) => [k, Array.from(v)]));
      await loaded('dropped folder');
      assert.equal(errors, []);
    } finally {
      await page.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('dist/index.js runs in the browser without a bundler (import map for jsfive and fflate)', async () => {
    // A made-up origin served from the repository by request interception: no server involved.
    const origin = 'http://kerasrnn.test';
    const served = { '/dist/': 'dist/', '/node_modules/jsfive/': 'node_modules/jsfive/', '/node_modules/fflate/': 'node_modules/fflate/', '/examples/': 'examples/' };
    const { page, errors } = await openPage();
    await page.route(`${origin}/**`, (route) => {
      const p = new URL(route.request().url()).pathname;
      if (p === '/') {
        return route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><script type="importmap">{"imports": {"jsfive": "/node_modules/jsfive/dist/esm/index.mjs", "fflate": "/node_modules/fflate/esm/browser.js"}}</script>
<script type="module">
  import { loadModel } from '/dist/index.js';
  // In a browser a string is a file path (refused); give a URL for files on the server.
  const model = await loadModel(new URL('/examples/sine_forecaster.h5', location.href));
  const x = { data: new Float32Array(50).map((_, t) => Math.sin(t / 4)), shape: [1, 50, 1] };
  window.result = Array.from(model.predict(x).data);
</script>`,
        });
      }
      const prefix = Object.keys(served).find((k) => p.startsWith(k));
      const file = prefix && path.join(ROOT, served[prefix], p.slice(prefix.length));
      if (!file || !file.startsWith(ROOT) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ path: file, contentType: /\.m?js$/.test(file) ? 'text/javascript' : 'application/octet-stream' });
    });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => Array.isArray(window.result), null, { timeout: 20000 }).catch(() => {});
    assert.equal(errors, [], 'no page errors (a top-level node: import would fail here)');
    const shown = await page.evaluate(() => window.result);
    const model = await loadModel(MODEL);
    const ref = model.predict({ data: new Float32Array(50).map((_, t) => Math.sin(t / 4)), shape: [1, 50, 1] });
    model.dispose();
    assert.equal(shown, Array.from(ref.data));
    await page.close();
  });
}

test.run();
