// `kerasrnn inspect`, `kerasrnn bench`, --help / --version, and how failures are reported.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';

import { loadModel, encodeNpy } from '../../dist/index.js';
import { runCli, tempDir, EXAMPLE, EXAMPLE_INPUT, FIXTURES, ROOT } from './helpers.js';

const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

test('--version, --help (exit 0, stdout); no arguments shows help on stderr with exit 2', () => {
  const v = runCli(['--version']);
  assert.is(v.code, 0, v.stderr);
  assert.is(v.stdout.trim(), version);
  const h = runCli(['--help']);
  assert.is(h.code, 0, h.stderr);
  for (const word of ['inspect', 'predict', 'bench', 'Examples:']) assert.match(h.stdout, word);
  const ph = runCli(['predict', '--help']);
  assert.is(ph.code, 0, ph.stderr);
  for (const opt of ['--input', '--output', '--batch-size', '--verbose', '--csv-rows', '--weights']) assert.match(ph.stdout, opt);
  const none = runCli([]);
  assert.is(none.code, 2);
  assert.is(none.stdout, '');
  assert.match(none.stderr, /Usage: kerasrnn/);
});

test('usage errors: exit 2 with the problem on stderr', () => {
  const cases = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['predict', EXAMPLE], /required option '-i, --input <file>' not specified/],
    [['predict', EXAMPLE, '-i', EXAMPLE_INPUT, '--batch-size', '0'], /--batch-size must be an integer >= 1/],
    [['predict', EXAMPLE, '-i', EXAMPLE_INPUT, '--csv-rows', 'columns'], /Allowed choices are samples, steps/],
    [['bench', EXAMPLE, '--batch-sizes', '1,x'], /integers >= 1 separated by commas/],
    [['inspect', EXAMPLE, '--colour'], /unknown option '--colour'/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    assert.is(r.code, 2, args.join(' '));
    assert.is(r.stdout, '');
    assert.match(r.stderr, /^kerasrnn: error: /);
    assert.match(r.stderr, message);
  }
});

test('failures: exit 1, stderr names the file and says what to do, stdout stays empty', () => {
  const t = tempDir();
  try {
    fs.writeFileSync(t.file('short.npy'), encodeNpy({ data: new Float32Array(30), shape: [1, 30, 1] }));
    fs.writeFileSync(t.file('wide.csv'), '0.1,0.2\n0.3,0.4\n');
    fs.writeFileSync(t.file('bad.csv'), `${'0.5\n'.repeat(20)}0.3,abc\n`);
    fs.writeFileSync(t.file('ragged.csv'), `${'0.5\n'.repeat(20)}0.3,0.1\n`);
    fs.writeFileSync(t.file('notes.txt'), 'hello');
    fs.writeFileSync(t.file('x.bin'), 'x');
    const fortran = Buffer.from(fs.readFileSync(EXAMPLE_INPUT)).toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
    fs.writeFileSync(t.file('fortran.npy'), Buffer.from(fortran, 'latin1'));
    const cases = [
      [['inspect', 'missing/model.h5'], /ModelFileError: file not found \[file "missing\/model\.h5"\]/, /hint: check the path/],
      [['inspect', t.file('notes.txt')], /ModelFileError: not a Keras model file.*notes\.txt/, /hint: give a model saved by Keras/],
      [['predict', EXAMPLE, '-i', t.file('short.npy')], /short\.npy" holds samples of shape \(30, 1\), but model input "lstm_input" takes \(None, 50, 1\) \(dimension 1 must be 50\)/, /hint: reshape the array/],
      [['predict', EXAMPLE, '-i', t.file('wide.csv')], /wide\.csv" has 2 values per line, but one sample of model input "lstm_input" \(None, 50, 1\) has 50/, /hint: write one sample per line/],
      [['predict', EXAMPLE, '-i', t.file('bad.csv'), '--csv-rows', 'steps'], /bad\.csv" line 21, column 2: "abc" is not a number/, /hint: CSV input holds numbers only/],
      [['predict', EXAMPLE, '-i', t.file('ragged.csv'), '--csv-rows', 'steps'], /ragged\.csv" line 21 has 2 values, the first data line has 1/, /hint: every CSV line needs the same number of values/],
      [['predict', EXAMPLE, '-i', t.file('x.bin')], /cannot tell the format of input file ".*x\.bin"/, /hint: name it \.npy, \.csv or \.json/],
      [['predict', EXAMPLE, '-i', 'nothere.npy'], /cannot read "nothere\.npy": file not found/, /hint: check the path/],
      [['predict', EXAMPLE, '-i', t.file('fortran.npy')], /InputError: the array is in Fortran order.*fortran\.npy/, /hint: compare the input/],
      [['predict', EXAMPLE, '-i', EXAMPLE_INPUT, '-o', t.file('no/such/dir/y.npy')], /cannot write ".*y\.npy": the folder does not exist/, /hint: choose an --output path/],
      [['predict', EXAMPLE, '-i', EXAMPLE_INPUT, '-o', t.file('y.txt')], /cannot tell the format of output file/, /hint: name it .npy, .csv or .json \(e\.g\. --output y\.npy\)/],
      [['predict', path.join(FIXTURES, 'k1_lstm.json'), '-i', EXAMPLE_INPUT], /holds the architecture only, predict needs weights/, /hint: pass the weights file: --weights/],
    ];
    for (const [args, message, hint] of cases) {
      const r = runCli(args);
      assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.is(r.stdout, '', args.join(' '));
      assert.match(r.stderr, /^kerasrnn: /);
      assert.match(r.stderr, message);
      assert.match(r.stderr, hint);
      assert.not.match(r.stderr, /internal error|TypeError|RangeError/);
    }
  } finally {
    t.remove();
  }
});

test('inspect: Keras summary, version and backend, inputs / outputs, notes; --json for machines', async () => {
  const r = runCli(['inspect', EXAMPLE]);
  assert.is(r.code, 0, r.stderr);
  const model = await loadModel(EXAMPLE);
  assert.ok(r.stdout.startsWith(model.summary()), 'starts with model.summary()');
  assert.match(r.stdout, /Keras version: 2\.4\.0 \(stated in the file\)\nBackend: +tensorflow \(stated in the file\)/);
  assert.match(r.stdout, /Inputs: +lstm_input \(None, 50, 1\)/);
  assert.match(r.stdout, /Outputs: +dense \(None, 1\)/);
  assert.match(r.stdout, /Weights: +4,385 parameters/);
  assert.match(r.stdout, /Import notes: +none/);
  model.dispose();

  const j = JSON.parse(runCli(['inspect', EXAMPLE, '--json']).stdout);
  assert.is(j.totalParams, 4385);
  assert.equal(j.keras, { version: '2.4.0', major: 2, backend: 'tensorflow', versionInferred: false, backendInferred: false, runtime: null });
  assert.equal(j.layers.map((l) => [l.name, l.className, l.numParams]), [['lstm_input', 'InputLayer', 0], ['lstm', 'LSTM', 4352], ['dense', 'Dense', 33]]);
  assert.equal(j.inputs, [{ name: 'lstm_input', shape: [null, 50, 1] }]);
  assert.is(j.layers[1].details.units, 32);

  // Options ignored at inference are listed.
  const d = runCli(['inspect', path.join(FIXTURES, 'dropout_flatten.h5')]);
  assert.match(d.stdout, /Import notes:\n.*Dropout is the identity at inference/);
  const dj = JSON.parse(runCli(['inspect', path.join(FIXTURES, 'dropout_flatten.h5'), '--json']).stdout);
  assert.ok(dj.notes.some((n) => /Dropout is the identity/.test(n.note)));
});

test('inspect / predict: JSON config with --weights, and architecture only', async () => {
  const config = path.join(FIXTURES, 'k1_lstm.json');
  const weights = path.join(FIXTURES, 'k1_lstm.weights.h5');
  const r = runCli(['inspect', config, '--weights', weights]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Keras version: 1/);
  const ref = await loadModel({ config, weights });
  assert.ok(r.stdout.startsWith(ref.summary()));
  const a = runCli(['inspect', config]);
  assert.is(a.code, 0);
  assert.match(a.stdout, /Weights: +none loaded \(architecture only/);

  const t = tempDir();
  try {
    const shape = ref.inputs[0].shape.map((d, i) => (i === 0 ? 3 : d ?? 4));
    const data = Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.fround(Math.sin(i / 3)));
    fs.writeFileSync(t.file('x.npy'), encodeNpy({ data, shape }));
    const p = runCli(['predict', config, '-w', weights, '-i', t.file('x.npy'), '--json']);
    assert.is(p.code, 0, p.stderr);
    assert.equal(JSON.parse(p.stdout).flat(Infinity).map(Math.fround), Array.from(ref.predict({ data, shape }).data));
  } finally {
    t.remove();
    ref.dispose();
  }
});

test('bench: latency and throughput per batch size (--json), Embedding models get valid token ids', () => {
  const r = runCli(['bench', EXAMPLE, '--batch-sizes', '1,4', '--seconds', '0.05', '--json']);
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.results.map((x) => [x.batch, x.steps]), [[1, 50], [4, 50]]);
  for (const x of j.results) {
    assert.ok(x.calls >= 5);
    assert.ok(x.minMs > 0 && x.minMs <= x.medianMs && x.medianMs <= x.p90Ms);
    assert.ok(Math.abs(x.samplesPerSec - x.batch / (x.medianMs / 1000)) < 1e-6 * x.samplesPerSec);
    assert.ok(Math.abs(x.stepsPerSec - x.samplesPerSec * 50) < 1e-6 * x.stepsPerSec);
  }
  assert.is(j.model.params, 4385);
  assert.ok(j.machine.cpus >= 1);

  const text = runCli(['bench', path.join(FIXTURES, 'embedding_lstm_softmax.h5'), '--batch-sizes', '2', '--seconds', '0.05']);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /batch +steps +calls +median +p90 +min +first call +throughput/);
  assert.match(text.stdout, /\n2 +7 +\d+ +[\d.]+ ms/);

  // A free time dimension takes --steps.
  const s = runCli(['bench', path.join(FIXTURES, 'seq2seq_initial_state.h5'), '--batch-sizes', '1', '--steps', '9', '--seconds', '0.05', '--json']);
  assert.is(s.code, 0, s.stderr);
  assert.is(JSON.parse(s.stdout).results[0].steps, 9);
});

test.run();
