// model.save(): files Keras reads back. Checked two ways: kerasrnn reloads every saved file with
// bit-identical predictions (every fixture of the project and every corpus case with stored
// inputs, in each format), and h5py (test/saving/h5_layout.py, the HDF5 C library) sees the same
// groups, datasets and attribute types as in real Keras files of the same kind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { loadModel, InputError, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { readHdf5 } from '../../dist/formats/h5.js';
import { ioDataset, loadManifestCase } from '../support/manifest-cases.js';
import { corpusManifest, corpusPath } from '../support/corpus.js';
import { expectError } from '../support/expect-error.js';
import { hasH5py, h5Layout as layout } from '../support/h5py-layout.js';

const FIXTURE_DIRS = ['test/fixtures', 'test/fixtures/keras3', 'test/fixtures/layers', 'test/fixtures/models'];
const FORMATS = ['keras', 'h5', 'weights.h5'];
function outputsOf(y) {
  return Array.isArray(y) ? y : [y];
}

function bitIdentical(a, b) {
  const x = outputsOf(a);
  const y = outputsOf(b);
  return x.length === y.length && x.every((t, i) => t.data.length === y[i].data.length && t.data.every((v, j) => Object.is(v, y[i].data[j])));
}

/** Saves in `format` and loads the file back (a .weights.h5 together with the .keras config). */
async function roundTrip(model, format) {
  const bytes = await model.save({ format });
  if (format !== 'weights.h5') return loadModel(bytes, { fileName: `saved.${format}` });
  const archive = unzipSync(await model.save({ format: 'keras' }));
  return loadModel({ config: new TextDecoder().decode(archive['config.json']), weights: bytes });
}

test('every fixture saved as .keras, .h5 and .weights.h5 reloads with bit-identical predictions, or is refused with a typed error', async () => {
  const counts = { same: 0, refused: 0 };
  for (const dir of FIXTURE_DIRS) {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    for (const c of manifest.cases) {
      if (!c.io || !c.checks?.length || (c.checks[0].kind !== 'model_output' && c.checks[0].kind !== 'layer_output')) continue;
      let model;
      try {
        model = await loadManifestCase(dir, c);
      } catch {
        continue; // cases that need options (customLayers) are covered by the fixture tests
      }
      const check = c.checks[0];
      const inputs = (check.inputs ?? [check.input]).map((p) => ioDataset(dir, c.io, p));
      const x = inputs.length === 1 ? inputs[0] : inputs;
      const before = model.predict(x);
      for (const format of FORMATS) {
        const key = `${dir.split('/').pop()}:${c.id}:${format}`;
        try {
          const again = await roundTrip(model, format);
          assert.ok(bitIdentical(before, again.predict(x)), `${key}: predictions differ after the round trip`);
          counts.same++;
        } catch (e) {
          assert.instance(e, UnsupportedKerasConfigurationError, `${key}: ${e?.name}: ${e?.message}`);
          counts.refused++;
        }
      }
    }
  }
  console.log(`  round trip over the fixtures: ${counts.same} bit-identical, ${counts.refused} refused (typed)`);
  assert.ok(counts.same >= 350, `${counts.same} bit-identical round trips`);
});

const corpus = corpusManifest();

test('corpus models with stored inputs round-trip through .keras and .h5 bit-identically', async () => {
  if (!corpus) {
    console.log('  skipped: ../shared/corpus not found');
    return;
  }
  let same = 0;
  let refused = 0;
  for (const c of corpus.cases) {
    if (!c.io || !c.model || !c.model.endsWith('.h5') || !c.checks.some((k) => k.kind === 'model_output')) continue;
    const model = await loadModel(corpusPath(c.model));
    const check = c.checks.find((k) => k.kind === 'model_output');
    const inputs = (check.inputs ?? [check.input]).map((p) => ioDataset(corpusPath(''), c.io, p));
    const x = inputs.length === 1 ? inputs[0] : inputs;
    const before = model.predict(x);
    for (const format of ['keras', 'h5']) {
      try {
        assert.ok(bitIdentical(before, (await roundTrip(model, format)).predict(x)), `${c.id} ${format}`);
        same++;
      } catch (e) {
        assert.instance(e, UnsupportedKerasConfigurationError, `${c.id} ${format}: ${e?.message}`);
        refused++;
      }
    }
  }
  console.log(`  corpus round trip: ${same} bit-identical, ${refused} refused (typed)`);
  assert.ok(same > 0);
});

test('corpus SavedModel directories and TF.js models convert to .h5 and .keras with bit-identical predictions (or a typed refusal for .keras)', async () => {
  if (!corpus) return console.log('  skipped: ../shared/corpus not found');
  const counts = { h5: 0, keras: 0, refused: 0, skipped: 0 };
  for (const c of corpus.cases.filter((k) => k.reference)) {
    let model;
    try {
      model = await loadModel(corpusPath(c.savedmodel ?? c.model));
    } catch (e) {
      counts.skipped++;
      console.log(`  skipped ${c.id}: ${e.name} (its reader is not in this build?)`);
      continue;
    }
    const ref = JSON.parse(readFileSync(corpusPath(c.reference), 'utf8'));
    const xs = ref.inputs.map((t) => ({ data: Float32Array.from(t.data.flat(Infinity)), shape: t.shape }));
    const x = xs.length === 1 ? xs[0] : xs;
    const before = model.predict(x);
    for (const format of ['h5', 'keras']) {
      try {
        assert.ok(bitIdentical(before, (await roundTrip(model, format)).predict(x)), `${c.id} ${format}`);
        counts[format]++;
      } catch (e) {
        assert.ok(format === 'keras' && e instanceof UnsupportedKerasConfigurationError, `${c.id} ${format}: ${e?.message}`);
        counts.refused++;
      }
    }
  }
  console.log(`  SavedModel / TF.js conversions: ${counts.h5} .h5 and ${counts.keras} .keras bit-identical, ${counts.refused} .keras refused (typed), ${counts.skipped} not loadable here`);
});

test('a re-saved real Keras 3 .keras archive has the original layout, values and config (h5py)', async () => {
  if (!corpus) return console.log('  skipped: ../shared/corpus not found');
  if (!hasH5py) return console.log('  skipped: /usr/bin/python3 has no h5py');
  const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-save-'));
  try {
    for (const c of corpus.cases.filter((k) => k.model?.endsWith('.keras'))) {
      const src = corpusPath(c.model);
      const out = join(dir, 'resaved.keras');
      const model = await loadModel(src);
      await model.save(out);
      // optimizer state is not saved (kerasrnn writes no optimizer variables)
      const original = layout(src, ['optimizer']);
      const saved = layout(out);
      assert.equal(saved.objects, original.objects, `${c.id}: model.weights.h5 layout`);
      assert.equal(saved.zip_members, ['metadata.json', 'config.json', 'model.weights.h5']);
      assert.equal(saved.zip_methods, [0], 'members are stored, as zipfile writes them');
      const files = unzipSync(readFileSync(out));
      const originalFiles = unzipSync(readFileSync(src));
      const dec = (b) => JSON.parse(new TextDecoder().decode(b));
      assert.equal(dec(files['config.json']), dec(originalFiles['config.json']), `${c.id}: config.json`);
      assert.is(dec(files['metadata.json']).keras_version, dec(originalFiles['metadata.json']).keras_version);
      assert.match(dec(files['metadata.json']).date_saved, /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Group / dataset structure of a legacy file: attribute names and kinds, layers, weight shapes in weight_names order. */
function legacyShape(path) {
  const objects = layout(path).objects;
  const mw = objects.model_weights;
  const layers = {};
  const root = readHdf5(readFileSync(path), path).group('model_weights');
  for (const name of root.stringList('layer_names')) {
    const g = root.group(name);
    const names = g.stringList('weight_names') ?? [];
    layers[name] = names.map((w) => objects[`model_weights/${name}/${w}`]?.shape);
  }
  return {
    rootAttrs: Object.keys(objects['/'].attrs).filter((k) => k !== 'training_config').sort(),
    modelWeightsAttrs: Object.keys(mw.attrs).sort(),
    layerGroups: mw.members.filter((m) => m !== 'top_level_model_weights'),
    layers,
    rootAttrKinds: Object.fromEntries(Object.entries(objects['/'].attrs).filter(([k]) => k !== 'training_config').map(([k, v]) => [k, v.split('[')[0]])),
  };
}

test('a saved .h5 has the layout of the tf.keras file it came from (h5py): attributes, layer groups, weight shapes in order', async () => {
  if (!hasH5py) return console.log('  skipped: /usr/bin/python3 has no h5py');
  const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-save-'));
  try {
    // tf.keras 2.4 files as the project's fixture script writes them (scripts/fixtures/keras_h5.py)
    for (const name of ['functional_lstm.h5', 'bidir_lstm_concat.h5', 'embedding_lstm_softmax.h5', 'keras3/k2_nested_frozen.h5', 'lstm_stacked.h5']) {
      const src = join('test/fixtures', name);
      const out = join(dir, 'resaved.h5');
      await (await loadModel(src)).save(out);
      const a = legacyShape(src);
      const b = legacyShape(out);
      assert.equal(b.rootAttrs, a.rootAttrs, `${name}: root attributes`);
      assert.equal(b.modelWeightsAttrs, a.modelWeightsAttrs, `${name}: model_weights attributes`);
      assert.equal(b.layerGroups, a.layerGroups, `${name}: layer groups`);
      assert.equal(b.layers, a.layers, `${name}: weight shapes in weight_names order`);
      assert.equal(b.rootAttrKinds, { backend: 'vlen-str/utf8', keras_version: 'vlen-str/utf8', model_config: 'vlen-str/ascii' }, `${name}: attribute types as h5py 3 writes str / bytes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tf.keras model saved as .keras gets a Keras 3 config (module entries, DTypePolicy, batch_shape, {args, kwargs} nodes)', async () => {
  const model = await loadModel('test/fixtures/functional_lstm.h5');
  const files = unzipSync(await model.save({ format: 'keras' }));
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  assert.is(config.class_name, 'Functional');
  assert.is(config.module, 'keras.src.models.functional');
  const layers = config.config.layers;
  const input = layers.find((l) => l.class_name === 'InputLayer');
  assert.ok(Array.isArray(input.config.batch_shape), 'InputLayer batch_shape');
  assert.not.ok('batch_input_shape' in input.config);
  const lstm = layers.find((l) => l.class_name === 'LSTM');
  assert.is(lstm.module, 'keras.layers');
  assert.is(lstm.config.dtype.class_name, 'DTypePolicy');
  assert.not.ok('time_major' in lstm.config, 'Keras 3 refuses time_major');
  assert.is(lstm.config.kernel_initializer.module, 'keras.initializers');
  assert.is(lstm.inbound_nodes[0].args[0].class_name, '__keras_tensor__');
  assert.equal(JSON.parse(new TextDecoder().decode(files['metadata.json'])).keras_version, '3.10.0');
});

test('a Keras 3 model saved as .h5 gets a legacy config (dtype strings, batch_input_shape, list nodes) and keeps its Keras version', async () => {
  const model = await loadModel('test/fixtures/keras3/k3_lstm_sequential.keras');
  const root = readHdf5(await model.save({ format: 'h5' }), 'x.h5');
  assert.is(root.attr('keras_version'), model.generation.version);
  const config = JSON.parse(String(root.attr('model_config')));
  assert.not.ok(JSON.stringify(config).includes('"module"'));
  const layers = config.config.layers;
  assert.ok(Array.isArray(layers[0].config.batch_input_shape));
  assert.is(typeof layers[1].config.dtype, 'string');
  assert.not.ok('seed' in layers[1].config, 'tf.keras RNN layers refuse seed');
});

test('saves that would change the numbers are refused, naming the layer and the rule', async () => {
  const model = await loadModel('test/fixtures/keras3/k2_hard_sigmoid.h5');
  await expectError(() => model.save({ format: 'keras' }), UnsupportedKerasConfigurationError, /hard_sigmoid/, /layer "/);
  // CuDNN layers are written to .keras as LSTM / GRU (test/saving/optimizer-state.test.js)
  const merge = await loadModel('test/fixtures/models/k1_merge_functional.h5');
  await expectError(() => merge.save({ format: 'h5' }), UnsupportedKerasConfigurationError, /Keras 1 Merge/, /layer "merge_1"/);
});

test('a Keras 1 model is written as Keras 2: renamed arguments, fused per-gate LSTM arrays (i, f, c, o), Keras 2 weight names', async () => {
  const model = await loadModel('test/fixtures/k1_lstm.h5');
  const root = readHdf5(await model.save({ format: 'h5' }), 'k1.h5');
  assert.is(root.attr('keras_version'), '2.1.6');
  const config = JSON.parse(String(root.attr('model_config')));
  const lstm = config.config.layers.find((l) => l.class_name === 'LSTM').config;
  assert.is(lstm.units, 5);
  assert.is(lstm.recurrent_activation, 'hard_sigmoid');
  for (const old of ['output_dim', 'inner_activation', 'consume_less', 'input_dim']) assert.not.ok(old in lstm, old);
  const g = root.group('model_weights').group(lstm.name);
  const names = g.stringList('weight_names');
  assert.equal(names.map((n) => g.dataset(n).shape), [[3, 20], [5, 20], [20]]);
  // the fused kernel's column blocks are the Keras 1 arrays in the order i, f, c, o
  const k1 = model.getWeights(lstm.name)[0].weights;
  const fused = g.dataset(names[0]).readFloat32();
  ['W_i', 'W_f', 'W_c', 'W_o'].forEach((w, gate) => {
    const part = k1.find((x) => x.name === w).data;
    for (let r = 0; r < 3; r++) for (let u = 0; u < 5; u++) assert.is(fused[r * 20 + gate * 5 + u], part[r * 5 + u], `${w}[${r},${u}]`);
  });
});

test('getWeights: each layer in Keras order with the stored shapes; setWeights changes predictions and checks shapes', async () => {
  const model = await loadModel('examples/sine_forecaster.h5');
  const weights = model.getWeights();
  assert.equal(weights.map((w) => w.layer), ['lstm', 'dense']);
  assert.equal(weights[0].weights.map((w) => [w.name, w.shape]), [['kernel', [1, 128]], ['recurrent_kernel', [32, 128]], ['bias', [128]]]);
  const stored = readHdf5(readFileSync('examples/sine_forecaster.h5'), 's.h5').group('model_weights/lstm').dataset('lstm/lstm_cell/kernel:0').readFloat32();
  assert.equal(Array.from(weights[0].weights[0].data), Array.from(stored), 'kernel values as stored');
  const x = { data: new Float32Array(50).map((_, t) => Math.sin(t / 4)), shape: [1, 50, 1] };
  const y0 = model.predict(x);
  await model.setWeights(weights);
  assert.ok(bitIdentical(y0, model.predict(x)), 'setWeights(getWeights()) keeps predictions');
  const bias = 0.25;
  await model.setWeights({ dense: [new Float32Array(32), { data: [bias], shape: [1] }] });
  assert.is(model.predict(x).data[0], bias, 'a zero Dense kernel outputs the bias');
  const again = await loadModel(await model.save({ format: 'keras' }));
  assert.is(again.predict(x).data[0], bias, 'saved with the new weights');
  await expectError(() => model.setWeights({ dense: [new Float32Array(31), [0]] }), InputError, /layer "dense"/, /32 values/);
  await expectError(() => model.setWeights({ dense: [{ data: new Float32Array(32), shape: [1, 32] }, [0]] }), InputError, /expected shape \[32,1\]/);
  await expectError(() => model.setWeights({ dense: [new Float32Array(32)] }), InputError, /2 weight arrays/);
  await expectError(() => model.setWeights({ nope: [] }), InputError, /no such layer/);
  assert.is(model.predict(x).data[0], bias, 'a refused setWeights changes nothing');
});

test('trainable: read from the file, settable, written by save', async () => {
  const model = await loadModel('test/fixtures/keras3/k2_nested_frozen.h5');
  const frozen = model.layers.filter((l) => !l.trainable).map((l) => l.name);
  assert.ok(frozen.length > 0, 'the fixture has a frozen layer');
  const gru = model.layers.find((l) => l.className === 'GRU');
  assert.ok(gru.trainable);
  gru.trainable = false;
  assert.throws(() => {
    gru.trainable = 'no';
  }, (e) => e instanceof InputError && /trainable must be true or false/.test(e.message));
  for (const format of ['keras', 'h5']) {
    const again = await loadModel(await model.save({ format }));
    assert.equal(again.layers.filter((l) => !l.trainable).map((l) => l.name).sort(), [...frozen, gru.name].sort(), format);
  }
});

test('save to a path picks the format from the extension; Blob output; bad targets are refused', async () => {
  const model = await loadModel('examples/sine_forecaster.h5');
  const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-save-'));
  try {
    for (const name of ['m.keras', 'm.h5', 'm.weights.h5']) {
      await model.save(join(dir, name));
      assert.ok(existsSync(join(dir, name)));
    }
    assert.ok(readHdf5(readFileSync(join(dir, 'm.h5')), 'm.h5').has('model_weights'));
    assert.ok(readHdf5(readFileSync(join(dir, 'm.weights.h5')), 'w.h5').has('layers'));
    await expectError(() => model.save(join(dir, 'm.bin')), InputError, /\.keras, \.h5 or \.weights\.h5/);
    await expectError(() => model.save({ format: 'onnx' }), InputError, /unknown save format/);
    const blob = await model.save({ format: 'keras', as: 'blob' });
    assert.instance(blob, Blob);
    const fromBlob = await loadModel(blob);
    assert.is(fromBlob.numParams, model.numParams);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
