// End to end: `npm run demo` serves the demo page; headless Chromium (Debian's chromium package,
// driven by playwright-core) loads the project's example model into it, runs predict, and the
// numbers the page shows must equal Node's predict for the same input, bit for bit (same wasm).
// Also checks that dist/index.js itself loads in a browser with no bundler (an import map for
// jsfive / fflate), i.e. that no Node built-in is imported on the browser path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModel } from '../../dist/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = path.join(ROOT, 'examples/sine_forecaster.h5');
// KERASRNN_CHROMIUM names another executable (a missing path checks the skip path).
const CHROMIUM = (process.env.KERASRNN_CHROMIUM ? [process.env.KERASRNN_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => fs.existsSync(p));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

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
    return { head, values: JSON.parse(rest.join('\n')).flat(Infinity) };
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
    state.server = spawn('npm', ['run', 'demo', '--silent', '--', '--port', '0'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    state.origin = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo server did not start in 30 s:\n${log}`)), 30000);
      const onData = (chunk) => {
        log += chunk;
        const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[1]}`);
        }
      };
      state.server.stdout.on('data', onData);
      state.server.stderr.on('data', (c) => (log += c));
      state.server.on('exit', (code) => reject(new Error(`demo server exited with ${code}:\n${log}`)));
    });
    state.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-chromium-'));
    state.context = await chromium.launchPersistentContext(state.profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
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

  test('chosen model file: summary as in Node, shown outputs equal Node predict on the example input', async () => {
    const { page, errors, requests } = await openPage(`${state.origin}/`);
    await page.setInputFiles('#model-file', MODEL);
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 20000 });
    const input = exampleInput();
    const { y, summary } = await nodePredict(input);
    assert.is(await page.textContent('#summary'), summary);
    assert.match(await page.textContent('#model-status'), /loaded sine_forecaster\.h5 in \d/);

    await page.fill('#input-text', JSON.stringify(input));
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('output-values').textContent.length > 0, null, { timeout: 20000 });
    const [out] = shownOutputs(await page.textContent('#output-values'));
    assert.match(out.head, /^dense .*shape \(2, 1\)$/);
    assert.equal(out.values, Array.from(y.data), 'page and Node give the same float32 numbers');
    // And both agree with the independent PyTorch reference shipped with the example.
    const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/sine_expected.json'), 'utf8'));
    expected.expected.flat().forEach((ref, i) => assert.ok(Math.abs(out.values[i] - ref) <= 1e-5 + 1e-4 * Math.abs(ref), `output ${i}: ${out.values[i]} vs ${ref}`));
    assert.match(await page.textContent('#predict-time'), /^predict: \d+\.\d\d ms \(2 samples × 50 steps\)$/);
    assert.is(await page.locator('#plot svg polyline').count(), 1);
    assert.is(await page.locator('#error').isHidden(), true);
    assert.equal(errors, []);
    // Offline: every request went to the local demo server.
    assert.ok(requests.length > 3);
    for (const r of requests) assert.ok(r.startsWith(`${state.origin}/`) || r.startsWith('data:'), `request outside the local server: ${r}`);
    await page.close();
  });

  test('example button (fetch) + generated sequences: shown outputs equal Node predict; a wrong length shows the InputError', async () => {
    const { page, errors } = await openPage(`${state.origin}/`);
    await page.click('#example-model');
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 20000 });
    assert.is(await page.inputValue('#gen-steps'), '50', 'steps come from the model input (None, 50, 1)');

    for (const kind of ['sine', 'noise', 'ramp']) {
      await page.selectOption('#gen-kind', kind);
      await page.fill('#gen-freq', '0.31');
      await page.click('#generate');
      await page.evaluate(() => (document.getElementById('output-values').textContent = ''));
      await page.click('#run');
      await page.waitForFunction(() => document.getElementById('output-values').textContent.length > 0, null, { timeout: 20000 });
      const typed = JSON.parse(await page.inputValue('#input-text'));
      assert.is(typed.length, 50, kind);
      const { y } = await nodePredict([typed]);
      const [out] = shownOutputs(await page.textContent('#output-values'));
      assert.equal(out.values, Array.from(y.data), `${kind}: page and Node agree`);
      assert.is(await page.locator('#plot svg circle').count(), 1, 'the forecast is drawn after the sequence');
    }

    // Plain numbers are accepted too: 50 comma-separated values = one sample.
    const values = Array.from({ length: 50 }, (_, t) => Math.fround(Math.cos(t / 3)));
    await page.fill('#input-text', values.join(', '));
    await page.click('#run');
    await page.waitForFunction(() => /\(1 sample/.test(document.getElementById('predict-time').textContent));
    const { y } = await nodePredict([values.map((v) => [v])]);
    assert.equal(shownOutputs(await page.textContent('#output-values'))[0].values, Array.from(y.data));

    // 30 steps for a model that takes 50: the page shows kerasrnn's error message.
    await page.fill('#gen-steps', '30');
    await page.click('#generate');
    await page.click('#run');
    await page.waitForSelector('#error:not([hidden])');
    const message = await page.textContent('#error');
    assert.match(message, /^InputError: /);
    assert.match(message, /dimension 1 must be 50/);
    assert.equal(errors, []);
    await page.close();
  });

  test('dropped .keras file (Keras 3, GRU x2 -> Dense 4) and a dropped .npy input: shown outputs equal Node predict', async () => {
    const keras = path.join(ROOT, 'test/fixtures/keras3/k3_gru_sequential.keras');
    const { page, errors } = await openPage(`${state.origin}/`);
    const drop = (file, name) =>
      page.evaluate(
        ({ bytes, name }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(bytes)], name));
          document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        },
        { bytes: Array.from(fs.readFileSync(file)), name },
      );
    await drop(keras, 'k3_gru_sequential.keras');
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 20000 });
    const model = await loadModel(keras);
    assert.is(await page.textContent('#summary'), model.summary());
    assert.is(await page.textContent('#input-shape'), 'input_layer (None, 5, 3)');

    // A .npy of two samples (5 steps x 3 features), dropped: it fills the text area.
    const { encodeNpy } = await import('../../dist/index.js');
    const data = Float32Array.from({ length: 30 }, (_, i) => Math.fround(Math.sin(i * 0.9) - 0.2));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-e2e-'));
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy({ data, shape: [2, 5, 3] }));
    await drop(path.join(dir, 'x.npy'), 'x.npy');
    fs.rmSync(dir, { recursive: true, force: true });
    await page.waitForFunction(() => document.getElementById('input-text').value.startsWith('[[['));
    await page.click('#run');
    await page.waitForFunction(() => /\(2 samples × 5 steps\)/.test(document.getElementById('predict-time').textContent), null, { timeout: 20000 });
    const [out] = shownOutputs(await page.textContent('#output-values'));
    assert.match(out.head, /^dense .*shape \(2, 4\)$/);
    assert.equal(out.values, Array.from(model.predict({ data, shape: [2, 5, 3] }).data));
    assert.is(await page.locator('#plot svg').count(), 2, 'input plot and output plot');
    model.dispose();
    assert.equal(errors, []);
    await page.close();
  });

  test('Embedding model (input (None, 7)): generated token ids, shown outputs equal Node predict', async () => {
    const file = path.join(ROOT, 'test/fixtures/embedding_lstm_softmax.h5');
    const { page, errors } = await openPage(`${state.origin}/`);
    await page.setInputFiles('#model-file', file);
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 20000 });
    await page.selectOption('#gen-kind', 'noise');
    await page.click('#generate');
    const ids = JSON.parse(await page.inputValue('#input-text'));
    assert.is(ids.length, 7);
    const model = await loadModel(file);
    const vocab = model.layers.find((l) => l.className === 'Embedding').details.inputDim;
    for (const id of ids) assert.ok(Number.isInteger(id) && id >= 1 && id < vocab, `token id ${id} in 1..${vocab - 1}`);
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('output-values').textContent.length > 0, null, { timeout: 20000 });
    const [out] = shownOutputs(await page.textContent('#output-values'));
    assert.equal(out.values, Array.from(model.predict({ data: Float32Array.from(ids), shape: [1, 7] }).data));
    model.dispose();
    assert.equal(errors, []);
    await page.close();
  });

  test('TF.js model: model.json and its two weight shards chosen together load as in Node (File[] source)', async () => {
    const dir = path.join(ROOT, 'test/fixtures/tfjs/converter_lstm_gru');
    const files = ['model.json', 'group1-shard1of2.bin', 'group1-shard2of2.bin'].map((n) => path.join(dir, n));
    const { page, errors } = await openPage(`${state.origin}/`);
    await page.setInputFiles('#model-file', files);
    await page.waitForFunction(() => !document.getElementById('run').disabled, null, { timeout: 20000 });
    const model = await loadModel(path.join(dir, 'model.json'));
    assert.is(await page.textContent('#summary'), model.summary());
    assert.match(await page.textContent('#summary'), /TF\.js layers model/);
    model.dispose();
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
        assert.match(await page.textContent('#model-status'), /^loaded /, `${what}: ${await page.textContent('#error')}`);
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
