// The CLI on a tf.keras SavedModel directory: inspect, predict (against the corpus reference
// outputs) and bench all take the folder path. Skipped when ../shared/corpus is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';

import { encodeNpy, parseNpy } from '../../dist/index.js';
import { corpusManifest, corpusPath } from '../support/corpus.js';
import { assertClose } from '../support/tolerance.js';
import { runCli, tempDir } from './helpers.js';

const manifest = corpusManifest();
const c = manifest?.cases.find((x) => x.savedmodel && x.id.includes('Jiahui-Gu'));

if (!c) {
  console.log('skipped: ../shared/corpus absent (CLI on a SavedModel directory)');
} else {
  const dir = corpusPath(c.savedmodel);
  const ref = JSON.parse(fs.readFileSync(corpusPath(c.reference), 'utf8'));

  test('inspect <SavedModel dir>: the summary names the format', () => {
    const r = runCli(['inspect', dir]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /Format: tf\.keras SavedModel \(TF 2\.2\.0, Keras metadata in saved_model\.pb\)/);
    assert.match(r.stdout, /lstm \(LSTM\)\s+\(None, 200\)\s+161,600/);
  });

  test('predict <SavedModel dir> -i x.npy -o y.npy matches the reference outputs', () => {
    const t = tempDir();
    try {
      const input = ref.inputs[0];
      fs.writeFileSync(t.file('x.npy'), encodeNpy({ data: Float32Array.from(input.data.flat(Infinity)), shape: input.shape }));
      const r = runCli(['predict', dir, '-i', t.file('x.npy'), '-o', t.file('y.npy'), '-q']);
      assert.is(r.code, 0, r.stderr);
      const y = parseNpy(fs.readFileSync(t.file('y.npy')));
      assert.equal(y.shape, ref.outputs[0].shape);
      assertClose(y.data, Float64Array.from(ref.outputs[0].data.flat(Infinity)), 'cli predict');
    } finally {
      t.remove();
    }
  });

  test('bench <SavedModel dir> --json', () => {
    const r = runCli(['bench', dir, '--batch-sizes', '1', '--seconds', '0.2', '--json']);
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(JSON.stringify(out).includes('"batch'), r.stdout);
  });

  test('a broken SavedModel directory: exit 1 with the typed error on stderr', () => {
    const t = tempDir();
    try {
      fs.cpSync(dir, t.dir, { recursive: true });
      fs.rmSync(t.file('variables'), { recursive: true });
      const r = runCli(['inspect', t.dir]);
      assert.is(r.code, 1);
      assert.match(r.stderr, /variables\/variables\.index is missing/);
    } finally {
      t.remove();
    }
  });
}

test.run();
