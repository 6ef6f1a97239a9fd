// summary() and what model.layers / model.outputs tell, against what Keras' own summary shows for
// the same files: columns, "Connected to" for functional models, trainable / non-trainable split
// (BatchNormalization statistics, frozen layers), thousands separators, where the version and the
// backend came from; and the output names predictNamed and the CLI use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModel, InputError } from '../../dist/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (f) => path.join(ROOT, 'test/fixtures', f);

/** The table rows of a summary (between the '=' rules), split into cells by 2+ spaces. */
function tableRows(summary) {
  const lines = summary.split('\n');
  const first = lines.findIndex((l) => /^=+$/.test(l));
  const last = lines.findIndex((l, i) => i > first && /^=+$/.test(l));
  return lines.slice(first + 1, last).filter((l) => !/^_+$/.test(l));
}

test('Sequential: Layer (type) / Output Shape / Param # columns, right-aligned counts with separators, trainable split, no Connected to', async () => {
  const m = await loadModel(path.join(ROOT, 'examples/sine_forecaster.h5'));
  const s = m.summary();
  const lines = s.split('\n');
  assert.is(lines[0], 'Model: "sequential" (Sequential, Keras 2.4.0, tensorflow backend)');
  assert.match(lines[1], /^Format: /);
  const head = lines.find((l) => l.startsWith('Layer (type)'));
  assert.match(head, /^Layer \(type\) +Output Shape +Param #$/);
  assert.not.match(s, /Connected to/);
  const rows = tableRows(s);
  assert.equal(rows.map((r) => r.trim().split(/\s{2,}/)), [
    ['lstm_input (InputLayer)', '(None, 50, 1)', '0'],
    ['lstm (LSTM)', '(None, 32)', '4,352'],
    ['dense (Dense)', '(None, 1)', '33'],
  ]);
  // Counts end where the "Param #" header ends.
  for (const r of rows) assert.is(r.length, head.length, `right-aligned: ${r}`);
  assert.ok(s.includes('\nTotal params: 4,385\nTrainable params: 4,385\nNon-trainable params: 0\n'));
  m.dispose();
});

test('functional: "Connected to" names each call input as layer[node][tensor], one line each; several output shapes one per line', async () => {
  const m = await loadModel(fixture('seq2seq_initial_state.h5'));
  const s = m.summary();
  assert.match(s.split('\n').find((l) => l.startsWith('Layer (type)')), /^Layer \(type\) +Output Shape +Param # +Connected to$/);
  const rows = tableRows(s).map((r) => r.trim().split(/\s{2,}/));
  assert.equal(rows, [
    ['encoder_inputs (InputLayer)', '(None, None, 3)', '0', '-'],
    ['decoder_inputs (InputLayer)', '(None, None, 2)', '0', '-'],
    ['encoder (LSTM)', '(None, 4)', '128', 'encoder_inputs[0][0]'],
    ['(None, 4)'],
    ['(None, 4)'],
    // the initial states are the encoder's 2nd and 3rd outputs, as Keras writes them
    ['decoder (LSTM)', '(None, None, 4)', '112', 'decoder_inputs[0][0]'],
    ['encoder[0][1]'],
    ['encoder[0][2]'],
    ['decoder_dense (Dense)', '(None, None, 3)', '15', 'decoder[0][0]'],
  ]);
  assert.equal(m.layers.find((l) => l.name === 'decoder').inbound, [['decoder_inputs[0][0]', 'encoder[0][1]', 'encoder[0][2]']]);
  m.dispose();
});

test('non-trainable parameters: BatchNormalization moving statistics; every weight of a frozen layer', async () => {
  const bn = await loadModel(fixture('layers/batchnorm_k2.h5'));
  // axis=1 over 4 steps: gamma, beta (trainable) + moving mean / variance; center=scale=False: only the statistics.
  assert.equal(bn.layers.slice(1).map((l) => [l.numParams, l.nonTrainableParams]), [[16, 8], [10, 10]]);
  assert.ok(bn.summary().includes('\nTotal params: 26\nTrainable params: 8\nNon-trainable params: 18\n'));
  bn.dispose();
  const frozen = await loadModel(fixture('keras3/k2_nested_frozen.h5'));
  const lstm = frozen.layers.find((l) => l.className === 'LSTM');
  assert.is(lstm.nonTrainableParams, lstm.numParams, 'the frozen LSTM');
  assert.is(frozen.nonTrainableParams, lstm.numParams);
  frozen.dispose();
});

test('where the version and backend came from: stated in the file vs inferred (Keras 1 weight names)', async () => {
  const k1 = await loadModel(fixture('k1_lstm.h5'));
  assert.is(k1.generation.backend, 'tensorflow');
  assert.is(k1.generation.backendInferred, true);
  assert.match(k1.summary().split('\n')[0], /Keras 1\.2\.2, tensorflow backend \(inferred from the weight names\)\)$/);
  k1.dispose();
  const k2 = await loadModel(fixture('functional_lstm.h5'));
  assert.ok(!k2.generation.backendInferred);
  assert.not.match(k2.summary(), /inferred/);
  k2.dispose();
  const arch = await loadModel({ config: fixture('lstm_stacked.json') });
  assert.match(arch.summary(), /Loaded without weights/);
  arch.dispose();
});

test('outputs: unique names as Keras output_names (lstm, lstm_1 for two outputs of one layer); predictNamed and predictOne', async () => {
  const m = await loadModel(fixture('return_state_encoder.h5'));
  assert.equal(
    m.outputs.map((o) => [o.name, o.layer, o.tensor]),
    [['encoder_lstm', 'encoder_lstm', 0], ['encoder_lstm_1', 'encoder_lstm', 1], ['encoder_lstm_2', 'encoder_lstm', 2], ['encoder_gru', 'encoder_gru', 0], ['encoder_gru_1', 'encoder_gru', 1]],
  );
  const x = { data: Float32Array.from({ length: 15 }, (_, i) => Math.sin(i)), shape: [1, 5, 3] };
  const list = m.predict(x);
  const named = m.predictNamed(x);
  assert.equal(Object.keys(named), m.outputs.map((o) => o.name));
  m.outputs.forEach((o, i) => assert.equal(Array.from(named[o.name].data), Array.from(list[i].data)));
  // Layer outputs by name; predictOne for one of them.
  assert.equal(Object.keys(m.predictNamed(x, { outputs: ['encoder_gru:1'] })), ['encoder_gru:1']);
  assert.equal(Array.from(m.predictOne(x, { outputs: ['encoder_lstm:2'] }).data), Array.from(list[2].data));
  try {
    m.predictOne(x);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, InputError);
    assert.match(e.message, /predictOne returns one output; this asks for 5 outputs \(use predict or predictNamed\)/);
  }
  m.dispose();
  const one = await loadModel(path.join(ROOT, 'examples/sine_forecaster.h5'));
  const y = one.predictOne({ data: new Float32Array(50), shape: [1, 50, 1] });
  assert.equal(y.shape, [1, 1]);
  one.dispose();
});

test('several outputs from one layer next to a layer named like the made-up name: unique, in Keras\' order', async () => {
  // Outputs [lstm:0, lstm:1, lstm_1:0]: tf.keras' _set_output_names gives lstm, lstm_1, lstm_1_1.
  const cfg = {
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [
        { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, 4, 2] }, inbound_nodes: [] },
        { class_name: 'LSTM', name: 'lstm', config: { name: 'lstm', units: 3, return_state: true }, inbound_nodes: [[['x', 0, 0, {}]]] },
        { class_name: 'Dense', name: 'lstm_1', config: { name: 'lstm_1', units: 2 }, inbound_nodes: [[['lstm', 0, 0, {}]]] },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['lstm', 0, 0], ['lstm', 0, 1], ['lstm_1', 0, 0]],
    },
    keras_version: '2.4.0',
  };
  const m = await loadModel({ config: cfg });
  assert.equal(m.outputs.map((o) => o.name), ['lstm', 'lstm_1', 'lstm_1_1']);
  m.dispose();
});

test('clear errors: missing shape, bare typed array, shape not an array, config text given as a source, a misspelt key', async () => {
  const m = await loadModel(path.join(ROOT, 'examples/sine_forecaster.h5'));
  const cases = [
    [() => m.predict({ data: new Float32Array(50) }), /the input has no "shape": predict takes \{ data, shape \}, e\.g\. shape \[1,50,1\] for lstm_input/],
    [() => m.predict(new Float32Array(50)), /not a bare Float32Array/],
    [() => m.predict({ data: new Float32Array(50), shape: '1,50,1' }), /shape must be an array of dimensions/],
    [() => m.predict({ x: { data: new Float32Array(50), shape: [1, 50, 1] } }), /missing input "lstm_input" \(the object has keys "x"; the model's inputs are "lstm_input"\)/],
  ];
  for (const [f, re] of cases) {
    try {
      f();
      assert.unreachable();
    } catch (e) {
      assert.instance(e, InputError);
      assert.match(e.message, re);
    }
  }
  m.dispose();
  const text = JSON.stringify({ class_name: 'Sequential', config: [] });
  for (const [source, re, file] of [
    [text, /this string is JSON text, not a path or URL; pass an architecture as loadModel\(\{ config: text, weights \}\)/, undefined],
    [{ config: text, weight: 'w.h5' }, /the model source object has "weight"; it takes \{ config, weights \}/, undefined],
    [undefined, /unsupported model source/, undefined],
    [new Uint8Array(8), /not a Keras model file/, '<bytes>'],
  ]) {
    try {
      await loadModel(source);
      assert.unreachable();
    } catch (e) {
      assert.is(e.name, 'ModelFileError', String(e));
      assert.match(e.message, re);
      assert.is(e.context.file, file, 'no invented file name');
    }
  }
});

test.run();
