// Saving in a browser: headless Chromium imports the browser bundle from the demo server, loads the
// example model, changes a weight, and saves it as .keras (a Blob) and .h5 (bytes). Node reads
// both files back: the weights and predictions are those of the same change made in Node, bit for
// bit, and the files equal Node's own save byte for byte (apart from the .keras date).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, startBrowser, openDemoPage } from '../support/demo-browser.js';
import { unzipSync } from 'fflate';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { corpusManifest, corpusPath } from '../support/corpus.js';
import { hasH5py, h5Layout } from '../support/h5py-layout.js';

import { loadModel } from '../../dist/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.join(ROOT, 'examples/sine_forecaster.h5');
const x = { data: Float32Array.from({ length: 50 }, (_, t) => Math.fround(Math.sin(t / 4))), shape: [1, 50, 1] };
const state = {};

if (!CHROMIUM) {
  test('saving in headless Chromium', () => {
    console.log('skipped: chromium not found at /usr/bin/chromium; the browser saving test did not run');
  });
} else {
  test.before(async () => {
    Object.assign(state, await startBrowser(ROOT));
  });

  test.after(async () => {
    await state.stop?.();
  });

  test('a model changed and saved in the browser (.keras Blob, .h5 bytes) reads back in Node as the same model', async () => {
    const { page, errors } = await openDemoPage(state);
    const saved = await page.evaluate(async () => {
      const { loadModel } = await import('/kerasrnn.js');
      const model = await loadModel(new URL('/examples/sine_forecaster.h5', location.href));
      const dense = model.getWeights('dense')[0].weights;
      dense[1].data[0] = 0.125;
      await model.setWeights({ dense: dense.map((w) => w.data) });
      const blob = await model.save({ format: 'keras', as: 'blob' });
      const h5 = await model.save({ format: 'h5' });
      return { keras: Array.from(new Uint8Array(await blob.arrayBuffer())), h5: Array.from(h5), type: blob.type };
    });
    assert.equal(errors, []);
    assert.is(saved.type, 'application/zip');

    const model = await loadModel(MODEL);
    const dense = model.getWeights('dense')[0].weights;
    dense[1].data[0] = 0.125;
    await model.setWeights({ dense: dense.map((w) => w.data) });
    const y = model.predict(x).data;
    assert.equal(Array.from(new Uint8Array(saved.h5)), Array.from(await model.save({ format: 'h5' })), '.h5 bytes equal Node\'s');
    const fromPage = unzipSync(new Uint8Array(saved.keras));
    const fromNode = unzipSync(await model.save({ format: 'keras' }));
    assert.equal(Object.keys(fromPage), ['metadata.json', 'config.json', 'model.weights.h5']);
    assert.equal(Array.from(fromPage['model.weights.h5']), Array.from(fromNode['model.weights.h5']));
    assert.equal(new TextDecoder().decode(fromPage['config.json']), new TextDecoder().decode(fromNode['config.json']));
    for (const bytes of [new Uint8Array(saved.keras), new Uint8Array(saved.h5)]) {
      const again = await loadModel(bytes);
      assert.is(again.getWeights('dense')[0].weights[1].data[0], 0.125);
      assert.equal(Array.from(again.predict(x).data), Array.from(y));
    }
    await page.close();
  });

  test('fine-tuning in the browser gives the same weights as in Node (same seed), bit for bit', async () => {
    const { page, errors } = await openDemoPage(state);
    const n = 8;
    const xs = Array.from({ length: n * 50 }, (_, i) => Math.fround(Math.sin(i / 7)));
    const ys = Array.from({ length: n }, (_, i) => Math.fround(Math.cos(i)));
    const fromPage = await page.evaluate(async ({ xs, ys, n }) => {
      const { loadModel } = await import('/kerasrnn.js');
      const model = await loadModel(new URL('/examples/sine_forecaster.h5', location.href));
      model.compile({ optimizer: { class_name: 'Adam', config: { learning_rate: 0.01 } }, loss: 'mse', seed: 3 });
      const { history } = await model.fit({ data: Float32Array.from(xs), shape: [n, 50, 1] }, { data: Float32Array.from(ys), shape: [n, 1] }, { epochs: 3, batchSize: 4 });
      return { loss: history.loss, h5: Array.from(await model.save({ format: 'h5' })) };
    }, { xs, ys, n });
    assert.equal(errors, []);
    const model = await loadModel(MODEL);
    model.compile({ optimizer: { class_name: 'Adam', config: { learning_rate: 0.01 } }, loss: 'mse', seed: 3 });
    const { history } = await model.fit({ data: Float32Array.from(xs), shape: [n, 50, 1] }, { data: Float32Array.from(ys), shape: [n, 1] }, { epochs: 3, batchSize: 4 });
    assert.equal(fromPage.loss, history.loss);
    assert.ok(history.loss[2] < history.loss[0], `loss goes down: ${history.loss}`);
    const tuned = await loadModel(new Uint8Array(fromPage.h5));
    assert.equal(tuned.getWeights().map((l) => l.weights.map((w) => Array.from(w.data))), model.getWeights().map((l) => l.weights.map((w) => Array.from(w.data))));
    await page.close();
  });
  test('a real Keras 3 model of the corpus fine-tuned in the browser: the weights of the same run in Node, bit for bit; the saved .keras has Keras\' layout (h5py); both files reload with the same predictions', async () => {
    if (!corpusManifest()) return console.log('  skipped: ../shared/corpus not found (browser fine-tuning of a corpus model)');
    const file = corpusPath('real/KeNKeNad__DIT5411-ProjectAssignment/lstm_model.keras');
    const bytes = Array.from(readFileSync(file));
    const n = 16;
    const xs = Array.from({ length: n * 30 }, (_, i) => Math.fround(Math.sin(i / 5) * 0.5 + 0.5));
    const ys = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(((i + 1) * 30) / 5) * 0.5 + 0.5));
    const { page, errors } = await openDemoPage(state);
    const fromPage = await page.evaluate(async ({ bytes, xs, ys, n }) => {
      const { loadModel } = await import('/kerasrnn.js');
      const model = await loadModel(new Uint8Array(bytes), { fileName: 'lstm_model.keras' });
      model.compile({ optimizer: { class_name: 'Adam', config: { learning_rate: 0.01 } }, loss: 'mse', seed: 7 });
      const { history } = await model.fit({ data: Float32Array.from(xs), shape: [n, 30, 1] }, { data: Float32Array.from(ys), shape: [n, 1] }, { epochs: 3, batchSize: 8 });
      return { loss: history.loss, keras: Array.from(await model.save({ format: 'keras' })), h5: Array.from(await model.save({ format: 'h5' })) };
    }, { bytes, xs, ys, n });
    assert.equal(errors, []);
    const model = await loadModel(file);
    model.compile({ optimizer: { class_name: 'Adam', config: { learning_rate: 0.01 } }, loss: 'mse', seed: 7 });
    const x = { data: Float32Array.from(xs), shape: [n, 30, 1] };
    const { history } = await model.fit(x, { data: Float32Array.from(ys), shape: [n, 1] }, { epochs: 3, batchSize: 8 });
    assert.equal(fromPage.loss, history.loss);
    assert.ok(history.loss[2] < history.loss[0], `loss goes down: ${history.loss}`);
    const want = model.getWeights().map((l) => l.weights.map((w) => Array.from(w.data)));
    for (const saved of [fromPage.keras, fromPage.h5]) {
      const tuned = await loadModel(new Uint8Array(saved));
      assert.equal(tuned.getWeights().map((l) => l.weights.map((w) => Array.from(w.data))), want);
      assert.equal(Array.from(tuned.predict(x).data), Array.from(model.predict(x).data));
    }
    if (!hasH5py) console.log('  skipped: /usr/bin/python3 has no h5py (layout of the browser-saved .keras)');
    else {
      const dir = mkdtempSync(path.join(tmpdir(), 'kerasrnn-e2e-train-'));
      try {
        const out = path.join(dir, 'tuned.keras');
        writeFileSync(out, new Uint8Array(fromPage.keras));
        // the optimizer variables (resumed from the file's Adam) included; values were trained,
        // so the datasets' sums differ and everything else must not
        const structure = (objects) => Object.fromEntries(Object.entries(objects).map(([k, { sum, ...rest }]) => [k, rest]));
        assert.equal(structure(h5Layout(out).objects), structure(h5Layout(file).objects));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    await page.close();
  });
}

test.run();
