// TF.js layers models (model.json + weight files) written in each form found in the wild by
// scripts/fixtures/make_tfjs_fixtures.py, with expected outputs from float64 NumPy passes of what
// TF.js computes. @tensorflow/tfjs (a dev dependency) is a second oracle: where it can load a
// fixture, its own prediction must match the NumPy reference too, so the reference is TF.js'
// behaviour and not a guess.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadModel } from '../../dist/index.js';
import { ioDataset, loadManifestCase, runChecks } from '../support/manifest-cases.js';
import { assertClose } from '../support/tolerance.js';

const DIR = fileURLToPath(new URL('../fixtures/tfjs/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
const worst = { ratio: 0, where: '' };

// tfjs-layers refuses these itself: Keras 3 weight paths and model-name prefixes do not match its
// strict weight names (kerasrnn reads both; see docs/tfjs.md).
const TFJS_CANNOT_LOAD = new Set(['keras3_converted', 'model_name_prefix']);

let tf = null;
async function tfjs() {
  if (tf) return tf;
  // tfjs prints a banner about tfjs-node on first use in Node.
  const { warn, log } = console;
  console.warn = console.log = () => {};
  try {
    tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    tf.tidy(() => tf.zeros([1]).add(1));
  } finally {
    Object.assign(console, { warn, log });
  }
  return tf;
}

/** TF.js' own prediction for a fixture, from the same model.json and weight bytes. */
async function tfjsPredict(c, x) {
  const t = await tfjs();
  const folder = join(DIR, c.model, '..');
  const json = JSON.parse(readFileSync(join(DIR, c.model), 'utf8'));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const parts = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(folder, p))));
  const data = Buffer.concat(parts);
  const model = await t.loadLayersModel(
    t.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) }),
  );
  const y = model.predict(t.tensor(Array.from(x.data), x.shape));
  const out = Float32Array.from(await y.data());
  y.dispose();
  model.dispose();
  return out;
}

for (const c of manifest.cases) {
  test(`tfjs fixture ${c.id}: ${c.what}`, async () => {
    const model = await loadManifestCase(DIR, c);
    assert.is(model.format, 'tfjs-layers');
    assert.is(model.generation.runtime, 'tfjs');
    assert.match(model.summary(), /TF\.js layers model/);
    const r = runChecks(DIR, c, model);
    if (r.ratio > worst.ratio) Object.assign(worst, r);
    model.dispose();
    if (!TFJS_CANNOT_LOAD.has(c.id)) {
      const check = c.checks[0];
      const x = ioDataset(DIR, c.io, check.input);
      assertClose(await tfjsPredict(c, x), ioDataset(DIR, c.io, check.expected).data, `${c.id}: TF.js itself vs the NumPy reference`);
    }
  });
}

test('the quantized fixture names its quantization in the summary; model.json as bytes needs its weight files', async () => {
  const c = manifest.cases.find((x) => x.id === 'quantized');
  const model = await loadManifestCase(DIR, c);
  assert.match(model.formatDetails, /quantized uint8, uint16, float16/);
  model.dispose();
  const bytes = readFileSync(join(DIR, c.model));
  try {
    await loadModel(new Uint8Array(bytes));
    assert.unreachable('raw model.json bytes have no folder to find the weights in');
  } catch (e) {
    assert.is(e.name, 'ModelFileError');
    assert.match(e.message, /group1-shard1of1\.bin/);
  }
});

test('{ modelJson, weights } and a File[] load the same model as the path', async () => {
  const c = manifest.cases.find((x) => x.id === 'converter_lstm_gru');
  const folder = join(DIR, 'converter_lstm_gru');
  const x = ioDataset(DIR, c.io, 'inputs/x');
  const byPath = (await loadModel(join(DIR, c.model))).predict(x).data;
  const modelJson = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8'));
  const weights = {
    'group1-shard1of2.bin': readFileSync(join(folder, 'group1-shard1of2.bin')),
    'group1-shard2of2.bin': readFileSync(join(folder, 'group1-shard2of2.bin')),
  };
  const byMap = (await loadModel({ modelJson, weights })).predict(x).data;
  const files = ['model.json', 'group1-shard1of2.bin', 'group1-shard2of2.bin'].map((n) => new File([readFileSync(join(folder, n))], n));
  const byFiles = (await loadModel(files)).predict(x).data;
  assert.equal(Array.from(byMap), Array.from(byPath));
  assert.equal(Array.from(byFiles), Array.from(byPath));
});

test('a model.json URL (http on loopback, and file:) fetches its weight files beside it', async () => {
  const { createServer } = await import('node:http');
  const requested = [];
  const server = createServer((req, res) => {
    requested.push(req.url);
    try {
      const body = readFileSync(join(DIR, decodeURIComponent(req.url.split('?')[0])));
      res.writeHead(200).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const c = manifest.cases.find((x) => x.id === 'old_converter_no_bin');
    const x = ioDataset(DIR, c.io, 'inputs/x');
    const want = Array.from((await loadModel(join(DIR, c.model))).predict(x).data);
    const url = `http://127.0.0.1:${server.address().port}/old_converter_no_bin/model.json?v=1`;
    const byHttp = await loadModel(url);
    assert.equal(Array.from(byHttp.predict(x).data), want);
    assert.equal(requested.sort(), ['/old_converter_no_bin/group1-shard1of1', '/old_converter_no_bin/group2-shard1of1', '/old_converter_no_bin/model.json?v=1']);
    const byFileUrl = await loadModel(new URL(`file://${join(DIR, c.model)}`));
    assert.equal(Array.from(byFileUrl.predict(x).data), want);
  } finally {
    server.close();
  }
});

test.after(() => console.log(`tfjs fixtures: worst error ${(worst.ratio * 100).toFixed(1)}% of the tolerance at ${worst.where}`));

test.run();
