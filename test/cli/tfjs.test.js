// The CLI on TF.js layers models: inspect / predict / bench take a model.json path, find the
// weight files beside it, and say what was read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';

import { encodeNpy, parseNpy } from '../../dist/index.js';
import { ioDataset } from '../support/manifest-cases.js';
import { assertClose } from '../support/tolerance.js';
import { runCli, tempDir, FIXTURES } from './helpers.js';

const DIR = path.join(FIXTURES, 'tfjs');
const MODEL = path.join(DIR, 'quantized/model.json');

test('inspect model.json: the TF.js format line, quantization, and the runtime in --json', () => {
  const r = runCli(['inspect', MODEL]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Format: +TF\.js layers model \(format layers-model; converted by TensorFlow\.js Converter v3\.8\.0/);
  assert.match(r.stdout, /quantized uint8, uint16, float16/);
  assert.match(r.stdout, /computed as TensorFlow\.js computes it/);
  const j = runCli(['inspect', MODEL, '--json']);
  assert.is(j.code, 0, j.stderr);
  const data = JSON.parse(j.stdout);
  assert.is(data.format, 'tfjs-layers');
  assert.is(data.keras.runtime, 'tfjs');
  assert.is(data.keras.version, '2.6.0');
});

test('predict model.json -i x.npy -o y.npy gives the NumPy reference of the TF.js model', () => {
  const t = tempDir();
  try {
    const x = ioDataset(DIR, 'quantized.io.h5', 'inputs/x');
    fs.writeFileSync(t.file('x.npy'), encodeNpy({ data: x.data, shape: x.shape, dtype: '<f4' }));
    const r = runCli(['predict', MODEL, '-i', t.file('x.npy'), '-o', t.file('y.npy')]);
    assert.is(r.code, 0, r.stderr);
    const y = parseNpy(fs.readFileSync(t.file('y.npy')));
    const ref = ioDataset(DIR, 'quantized.io.h5', 'predictions/y');
    assert.equal(y.shape, ref.shape);
    assertClose(y.data, ref.data, 'cli predict of the quantized TF.js model');
  } finally {
    t.remove();
  }
});

test('bench model.json; a missing weight file is a ModelFileError naming it (exit 1)', () => {
  const b = runCli(['bench', MODEL, '--batch-sizes', '1', '--seconds', '0.05', '--json']);
  assert.is(b.code, 0, b.stderr);
  assert.is(JSON.parse(b.stdout).results[0].steps, 5);
  const t = tempDir();
  try {
    fs.copyFileSync(MODEL, t.file('model.json'));
    const r = runCli(['inspect', t.file('model.json')]);
    assert.is(r.code, 1);
    assert.match(r.stderr, /ModelFileError/);
    assert.match(r.stderr, /group1-shard1of1\.bin/);
  } finally {
    t.remove();
  }
});

test.run();
