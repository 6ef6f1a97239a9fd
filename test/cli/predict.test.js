// `kerasrnn predict`: inputs (.npy / .csv / .json), outputs, batching, several inputs / outputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

import { loadModel, encodeNpy, parseNpy } from '../../dist/index.js';
import { readNpy } from '../support/npy.js';
import { runCli, tempDir, close, numbers, exampleExpected, EXAMPLE, EXAMPLE_INPUT, FIXTURES } from './helpers.js';

const expected = exampleExpected();
const exampleX = readNpy(EXAMPLE_INPUT); // test/support's own reader, independent of src/formats/npy.ts

async function libraryPredict(file, x) {
  const model = await loadModel(file);
  const y = model.predict(x);
  model.dispose();
  return y;
}

test('prints the example prediction (matches the PyTorch reference), nothing on stderr when piped', () => {
  const r = runCli(['predict', EXAMPLE, '--input', EXAMPLE_INPUT]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const [head, ...rest] = r.stdout.trim().split('\n');
  assert.is(head, 'dense: shape (2, 1)');
  const values = numbers(rest.join('\n'));
  assert.is(values.length, 2);
  values.forEach((v, i) => assert.ok(close(v, expected[i]), `${v} vs ${expected[i]}`));
});

test('--output .npy / .csv / .json hold the same float32 values; the .npy is what numpy.save writes', async () => {
  const t = tempDir();
  try {
    for (const ext of ['npy', 'csv', 'json']) {
      const r = runCli(['predict', EXAMPLE, '-i', EXAMPLE_INPUT, '-o', t.file(`y.${ext}`)]);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout, '');
      assert.match(r.stderr, `wrote ${t.file(`y.${ext}`)}`);
    }
    const npy = readNpy(t.file('y.npy'));
    assert.equal(npy.shape, [2, 1]);
    npy.data.forEach((v, i) => assert.ok(close(v, expected[i])));
    const ref = await libraryPredict(EXAMPLE, exampleX);
    assert.equal(Array.from(npy.data), Array.from(ref.data));
    const csv = fs.readFileSync(t.file('y.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
    assert.equal(csv.flat().map(Math.fround), Array.from(npy.data));
    const json = JSON.parse(fs.readFileSync(t.file('y.json'), 'utf8'));
    assert.equal(json.flat().map(Math.fround), Array.from(npy.data));
    assert.is(json.length, 2);
  } finally {
    t.remove();
  }
});

test('large input streamed in batches: every batch size gives the same outputs as one predict call', async () => {
  const t = tempDir();
  try {
    const n = 1000;
    const data = new Float32Array(n * 50);
    for (let s = 0; s < n; s++) for (let k = 0; k < 50; k++) data[s * 50 + k] = Math.fround(Math.sin(0.2 * k + s * 0.37) * (0.5 + (s % 7) / 14));
    fs.writeFileSync(t.file('x.npy'), encodeNpy({ data, shape: [n, 50, 1] }));
    const ref = await libraryPredict(EXAMPLE, { data, shape: [n, 50, 1] });
    for (const bs of [1000, 64, 7]) {
      const r = runCli(['predict', EXAMPLE, '-i', t.file('x.npy'), '-o', t.file(`y${bs}.npy`), '--batch-size', String(bs), '--verbose']);
      assert.is(r.code, 0, r.stderr);
      const y = readNpy(t.file(`y${bs}.npy`));
      assert.equal(y.shape, [n, 1]);
      assert.equal(Array.from(y.data), Array.from(ref.data), `batch size ${bs}`);
      const batches = Math.ceil(n / bs);
      assert.match(r.stderr, new RegExp(`predict: ${batches} batch(es)? of up to ${bs} in [\\d.]+ ms`));
      assert.match(r.stderr, /loaded .*sine_forecaster\.h5 in [\d.]+ ms/);
      assert.match(r.stderr, /read 1,000 samples of shape \(50, 1\)/);
      assert.match(r.stderr, /samples\/s/);
      assert.not.match(r.stderr, /\u2588|\u2591/, 'no progress bar when stderr is not a terminal');
    }
    // Printing a large result shows the first samples and says how to get all of them.
    const printed = runCli(['predict', EXAMPLE, '-i', t.file('x.npy')]);
    assert.is(printed.code, 0);
    assert.match(printed.stdout, /first 10 of 1000 samples shown; write them all with --output y\.npy/);
  } finally {
    t.remove();
  }
});

test('progress bar on a terminal (run under script(1)), quiet with --quiet', () => {
  if (!fs.existsSync('/usr/bin/script')) {
    console.log('skipped: script(1) not found (progress bar on a terminal)');
    return;
  }
  const t = tempDir();
  try {
    const n = 400;
    fs.writeFileSync(t.file('x.npy'), encodeNpy({ data: new Float32Array(n * 50).fill(0.25), shape: [n, 50, 1] }));
    const cmd = (extra) => `${JSON.stringify(process.execPath)} ${JSON.stringify(path.resolve('dist/cli/main.js'))} predict ${JSON.stringify(EXAMPLE)} -i ${JSON.stringify(t.file('x.npy'))} -o ${JSON.stringify(t.file('y.npy'))} --batch-size 10 ${extra}`;
    // script(1) gives the command a pseudo-terminal, as an interactive shell would.
    const run = (extra) => {
      const r = spawnSync('/bin/sh', ['-c', `script -qec ${JSON.stringify(cmd(extra))} /dev/null`], { encoding: 'utf8', timeout: 60000 });
      return `${r.stdout}${r.stderr}`;
    };
    const shown = run('');
    assert.match(shown, /predict \[/);
    assert.match(shown, /samples/);
    const quiet = run('--quiet');
    assert.not.match(quiet, /predict \[/);
    assert.is(readNpy(t.file('y.npy')).shape[0], n);
  } finally {
    t.remove();
  }
});

test('.csv input: one sample per line (header skipped), or --csv-rows steps for one sequence', async () => {
  const t = tempDir();
  try {
    const rows = [0, 1].map((s) => Array.from(exampleX.data.subarray(s * 50, s * 50 + 50)));
    fs.writeFileSync(t.file('x.csv'), `${rows[0].map((_, i) => `t${i}`).join(',')}\n${rows.map((r) => r.join(', ')).join('\n')}\n\n`);
    const r = runCli(['predict', EXAMPLE, '-i', t.file('x.csv'), '--json']);
    assert.is(r.code, 0, r.stderr);
    const ref = await libraryPredict(EXAMPLE, exampleX);
    assert.equal(JSON.parse(r.stdout).flat().map(Math.fround), Array.from(ref.data));

    fs.writeFileSync(t.file('steps.csv'), `value\n${rows[1].join('\n')}\n`);
    const s = runCli(['predict', EXAMPLE, '-i', t.file('steps.csv'), '--csv-rows', 'steps', '--json']);
    assert.is(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).flat().map(Math.fround), [ref.data[1]]);
  } finally {
    t.remove();
  }
});

test('.json input (nested arrays, or {data, shape}); one sample without the batch dimension; float64 .npy', async () => {
  const t = tempDir();
  try {
    const nested = [0, 1].map((s) => Array.from({ length: 50 }, (_, k) => [exampleX.data[s * 50 + k]]));
    const ref = await libraryPredict(EXAMPLE, exampleX);
    const cases = {
      'nested.json': JSON.stringify(nested),
      'flat.json': JSON.stringify({ data: Array.from(exampleX.data), shape: [2, 50, 1] }),
    };
    for (const [name, text] of Object.entries(cases)) {
      fs.writeFileSync(t.file(name), text);
      const r = runCli(['predict', EXAMPLE, '-i', t.file(name), '--json']);
      assert.is(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).flat().map(Math.fround), Array.from(ref.data), name);
    }
    fs.writeFileSync(t.file('one.json'), JSON.stringify(nested[1]));
    const one = runCli(['predict', EXAMPLE, '-i', t.file('one.json'), '--json']);
    assert.equal(JSON.parse(one.stdout).flat().map(Math.fround), [ref.data[1]]);

    // float64 .npy (what np.save writes for a float array by default), hand-built header.
    const f64 = Float64Array.from(exampleX.data);
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 50, 1), }";
    const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
    const bytes = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 255, padded.length >> 8]), Buffer.from(padded, 'latin1'), Buffer.from(f64.buffer)]);
    fs.writeFileSync(t.file('x64.npy'), bytes);
    const r64 = runCli(['predict', EXAMPLE, '-i', t.file('x64.npy'), '--json']);
    assert.is(r64.code, 0, r64.stderr);
    assert.equal(JSON.parse(r64.stdout).flat().map(Math.fround), Array.from(ref.data));
  } finally {
    t.remove();
  }
});

test('several outputs: one .npy per output (y.<name>.npy), one JSON object keyed by output name', async () => {
  const t = tempDir();
  try {
    const model = path.join(FIXTURES, 'return_state_encoder.h5');
    const data = Float32Array.from({ length: 3 * 5 * 3 }, (_, i) => Math.fround(Math.cos(i * 0.7)));
    fs.writeFileSync(t.file('x.npy'), encodeNpy({ data, shape: [3, 5, 3] }));
    const ref = await libraryPredict(model, { data, shape: [3, 5, 3] });
    assert.is(ref.length, 5);
    const r = runCli(['predict', model, '-i', t.file('x.npy'), '-o', t.file('y.npy'), '--batch-size', '2']);
    assert.is(r.code, 0, r.stderr);
    const names = ['encoder_lstm', 'encoder_lstm_1', 'encoder_lstm_2', 'encoder_gru', 'encoder_gru_1'];
    names.forEach((n, i) => {
      const y = parseNpy(new Uint8Array(fs.readFileSync(t.file(`y.${n}.npy`))));
      assert.equal(y.shape, ref[i].shape, n);
      assert.equal(Array.from(y.data), Array.from(ref[i].data), n);
    });
    const j = runCli(['predict', model, '-i', t.file('x.npy'), '--json']);
    const obj = JSON.parse(j.stdout);
    assert.equal(Object.keys(obj), names);
    assert.equal(obj.encoder_gru.flat().map(Math.fround), Array.from(ref[3].data));
  } finally {
    t.remove();
  }
});

test('several inputs: one --input per model input, in order; a missing one is explained', async () => {
  const t = tempDir();
  try {
    const model = path.join(FIXTURES, 'decoder_initial_state_inputs.h5');
    const x = { data: Float32Array.from({ length: 2 * 4 * 2 }, (_, i) => Math.fround(Math.sin(i))), shape: [2, 4, 2] };
    const h = { data: Float32Array.from({ length: 10 }, (_, i) => Math.fround(i / 10 - 0.5)), shape: [2, 5] };
    const c = { data: Float32Array.from({ length: 10 }, (_, i) => Math.fround(0.3 - i / 20)), shape: [2, 5] };
    fs.writeFileSync(t.file('x.npy'), encodeNpy(x));
    fs.writeFileSync(t.file('h.npy'), encodeNpy(h));
    fs.writeFileSync(t.file('c.npy'), encodeNpy(c));
    const ref = await libraryPredict(model, [x, h, c]);
    const r = runCli(['predict', model, '-i', t.file('x.npy'), '-i', t.file('h.npy'), '-i', t.file('c.npy'), '--json', '--batch-size', '1']);
    assert.is(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).flat(2).map(Math.fround), Array.from(ref.data));
    const bad = runCli(['predict', model, '-i', t.file('x.npy')]);
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /the model has 3 inputs \(decoder_inputs \(None, None, 2\), state_h \(None, 5\), state_c \(None, 5\)\), 1 --input file was given/);
    assert.match(bad.stderr, /hint: give one --input per model input, in this order/);
  } finally {
    t.remove();
  }
});

test.run();
