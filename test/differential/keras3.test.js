// Keras 3 differential tests: .keras archives and Keras 3 legacy .h5 files written in Keras 3's own
// layout by scripts/fixtures/make_keras3_fixtures.py, with expected outputs from PyTorch / NumPy
// (never from kerasrnn). See test/fixtures/keras3/README.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { loadModel } from '../../dist/index.js';
import { checkParams, ioDataset, loadManifestCase, runChecks as runManifestChecks } from '../support/manifest-cases.js';
import { assertClose, compareArrays } from '../support/tolerance.js';

const DIR = fileURLToPath(new URL('../fixtures/keras3/', import.meta.url));
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
const byId = new Map(manifest.cases.map((c) => [c.id, c]));
const worst = { ratio: 0, where: '' };

const dataset = (io, path) => ioDataset(DIR, io, path);

/** Runs every check of a manifest case on a loaded model. */
function runChecks(c, model) {
  const r = runManifestChecks(DIR, c, model);
  if (r.ratio > worst.ratio) Object.assign(worst, r);
}

for (const c of manifest.cases) {
  test(`keras3 fixture ${c.id} [${c.reference}] ${c.what}`, async () => {
    const model = await loadManifestCase(DIR, c);
    // tf.keras .h5 files and tf.keras 2.13-2.15 .keras archives are Keras 2; the rest Keras 3.
    assert.is(model.generation.major, Number(String(c.keras_version).split('.')[0]) >= 3 ? 3 : 2, 'generation from the file');
    checkParams(model, c);
    if (c.total_params !== undefined) assert.is(model.numParams, c.total_params, 'total parameter count');
    runChecks(c, model);
    model.dispose();
  });
}

test('hard_sigmoid follows the file: the same weights give Keras 3 results from a .keras or Keras 3 legacy .h5 file and Keras 2 results from a tf.keras .h5', async () => {
  const k3case = byId.get('k3_hard_sigmoid:keras');
  const k2case = byId.get(k3case.twin);
  assert.ok(k2case, 'the twin is in the manifest');
  const k3 = await loadModel(join(DIR, k3case.model));
  const k2 = await loadModel(join(DIR, k2case.model));
  assert.is(k3.generation.major, 3);
  assert.is(k2.generation.major, 2);
  const x = dataset(k3case.io, 'inputs/' + k3case.checks[0].input.split('/')[1]);
  const x2 = dataset(k2case.io, k2case.checks[0].input);
  assert.equal(Array.from(x.data), Array.from(x2.data), 'both cases feed the same input');
  const y3 = k3.predict(x);
  const y2 = k2.predict(x);
  // each matches its own generation's reference...
  assertClose(y3.data, dataset(k3case.io, 'predictions/dense').data, 'keras 3 file vs relu6(x+3)/6 reference');
  assertClose(y2.data, dataset(k2case.io, 'predictions/dense').data, 'keras 2 file vs clip(0.2x+0.5) reference');
  // ...and not the other's: the two definitions give clearly different numbers on these weights
  const cross = compareArrays(y3.data, dataset(k2case.io, 'predictions/dense').data);
  assert.ok(cross.worst > 1e-2, `Keras 3 output must not match the Keras 2 reference (max diff ${cross.worst})`);
  let maxDiff = 0;
  for (let i = 0; i < y3.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y3.data[i] - y2.data[i]));
  assert.ok(maxDiff > 1e-2, `Keras 2 and Keras 3 files must give different outputs (max diff ${maxDiff})`);
  // a legacy .h5 written by Keras 3 follows Keras 3 too
  const k3h5 = await loadModel(join(DIR, byId.get('k3_hard_sigmoid:h5').model));
  assert.is(k3h5.generation.major, 3);
  assertClose(k3h5.predict(x).data, dataset(k3case.io, 'predictions/dense').data, 'keras 3 legacy .h5 vs relu6(x+3)/6 reference');
  k3h5.dispose();
  k3.dispose();
  k2.dispose();
});

/** Re-zips a fixture archive after editing its config.json. */
function editedArchive(file, edit) {
  const members = unzipSync(readFileSync(join(DIR, file)));
  const config = JSON.parse(new TextDecoder().decode(members['config.json']));
  edit(config);
  members['config.json'] = new TextEncoder().encode(JSON.stringify(config));
  return zipSync(members, { level: 0 });
}

test('Keras 3 GRU without reset_after in its config defaults to reset_after=True (Keras 3 default)', async () => {
  const c = byId.get('k3_gru_sequential:keras');
  const bytes = editedArchive(c.model, (config) => {
    const gru = config.config.layers.find((l) => l.class_name === 'GRU');
    assert.is(gru.config.reset_after, true);
    delete gru.config.reset_after;
  });
  const model = await loadModel(bytes, { fileName: 'gru_no_reset_after.keras' });
  assert.is(model.layers.find((l) => l.name === 'gru').details.resetAfter, true);
  runChecks(c, model);
  model.dispose();
});

test('Keras 3 LSTM without recurrent_activation defaults to sigmoid (not hard_sigmoid)', async () => {
  const c = byId.get('k3_lstm_sequential:keras');
  const bytes = editedArchive(c.model, (config) => {
    for (const l of config.config.layers) if (l.class_name === 'LSTM') delete l.config.recurrent_activation;
  });
  const model = await loadModel(bytes, { fileName: 'lstm_defaults.keras' });
  runChecks(c, model);
  model.dispose();
});

test('tf.keras 2.13 weights as { config, weights } (save_weights writes the archive layout): _layer_checkpoint_dependencies, with and without backslash names', async () => {
  for (const id of ['tfk213_lstm_sequential', 'tfk213_lstm_windows']) {
    const c = byId.get(`${id}:keras`);
    const members = unzipSync(readFileSync(join(DIR, c.model)));
    // model.to_json() adds keras_version and backend to the archive's config
    const config = { ...JSON.parse(new TextDecoder().decode(members['config.json'])), keras_version: c.keras_version, backend: 'tensorflow' };
    const model = await loadModel({ config, weights: members['model.weights.h5'] });
    assert.is(model.generation.major, 2, id);
    const x = dataset(c.io, c.checks[0].input ?? c.checks[0].inputs[0]);
    const out = c.checks.find((k) => k.kind !== 'layer_output') ?? c.checks[c.checks.length - 1];
    const y = model.predict(x);
    const expected = dataset(c.io, out.expected);
    assertClose((Array.isArray(y) ? y[0] : y).data, expected.data, `${id} as a config + weights pair`);
    model.dispose();
  }
});

test.after(() => {
  console.log(`\nkeras3 fixtures: worst error ${(worst.ratio * 100).toFixed(1)}% of the tolerance at ${worst.where || 'n/a'}`);
});

test.run();
