// A Git LFS pointer given in place of a model (a clone without LFS, a raw download) is named as
// such, with the real file's size, instead of "not a Keras model file". The pointers are written
// here from the Git LFS spec's three lines; nothing else about them matters to the reader.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, ModelFileError } from '../../dist/index.js';
import { readLfsPointer } from '../../dist/formats/lfs-pointer.js';
import { corpusManifest, corpusPath } from '../support/corpus.js';
import { expectError } from '../support/expect-error.js';

const OID = 'oid sha256:' + 'c8'.repeat(32);
const pointer = (lines, eol = '\n') => new TextEncoder().encode(lines.join(eol) + eol);
const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-lfs-'));

test('an LFS pointer named .h5 or .keras is refused as a pointer, naming the file and the size', async () => {
  for (const name of ['model.h5', 'model.keras']) {
    const file = join(dir, name);
    writeFileSync(file, pointer(['version https://git-lfs.github.com/spec/v1', OID, 'size 17039864']));
    try {
      await loadModel(file);
      assert.unreachable('loaded a pointer');
    } catch (e) {
      assert.instance(e, ModelFileError);
      assert.match(e.message, /Git LFS pointer/);
      assert.match(e.message, /17039864 bytes/);
      assert.match(e.message, /git lfs pull/);
      assert.match(e.message, new RegExp(name.replace('.', '\\.')));
    }
  }
});

test('pointer fields are read with CRLF line ends and the pre-release hawser version line', () => {
  const p = readLfsPointer(pointer(['version https://hawser.github.com/spec/v1', OID, 'size 12'], '\r\n'));
  assert.equal(p, { size: 12, oid: OID.slice(4) });
  assert.equal(readLfsPointer(pointer(['version https://git-lfs.github.com/spec/v1', OID])), { size: null, oid: OID.slice(4) });
});

test('other small text is not a pointer and keeps the generic refusal', async () => {
  assert.is(readLfsPointer(pointer(['version 1', 'size 3'])), null);
  assert.is(readLfsPointer(pointer(['version https://git-lfs.github.com/spec/v1', 'size 1' + '0'.repeat(2000)])), null);
  const file = join(dir, 'notes.h5');
  writeFileSync(file, pointer(['just some text']));
  try {
    await loadModel(file);
    assert.unreachable('loaded text');
  } catch (e) {
    assert.instance(e, ModelFileError);
    assert.match(e.message, /not a Keras model file/);
  }
});

const LFS = ['version https://git-lfs.github.com/spec/v1', OID, 'size 4096'];

test('a TF.js weight file and a { config, weights } weights file that are LFS pointers are named as such', async () => {
  const tfjs = join(dir, 'tfjs');
  cpSync(fileURLToPath(new URL('../fixtures/tfjs/converter_lstm_gru/', import.meta.url)), tfjs, { recursive: true });
  writeFileSync(join(tfjs, 'group1-shard2of2.bin'), pointer(LFS));
  const e = await expectError(() => loadModel(join(tfjs, 'model.json')), ModelFileError, /Git LFS pointer/, /4096 bytes/);
  assert.match(e.message, /group1-shard2of2\.bin/);
  const weights = join(dir, 'weights.h5');
  writeFileSync(weights, pointer(LFS));
  const config = fileURLToPath(new URL('../fixtures/bidir_lstm_concat.json', import.meta.url));
  await expectError(() => loadModel({ config, weights }), ModelFileError, /Git LFS pointer/, /weights\.h5/);
});

const manifest = corpusManifest();
if (!manifest) {
  console.log('skipped: ../shared/corpus absent (SavedModel files as LFS pointers)');
} else {
  test('a SavedModel whose variables index or data shard is an LFS pointer is named as such', async () => {
    const c = manifest.cases.find((x) => x.savedmodel);
    for (const victim of ['variables.index', 'variables.data-']) {
      const sm = mkdtempSync(join(tmpdir(), 'kerasrnn-lfs-sm-'));
      cpSync(corpusPath(c.savedmodel), sm, { recursive: true });
      const name = readdirSync(join(sm, 'variables')).find((f) => f.startsWith(victim));
      writeFileSync(join(sm, 'variables', name), pointer(LFS));
      const e = await expectError(() => loadModel(sm), ModelFileError, /Git LFS pointer/);
      assert.match(e.message, new RegExp(name.replace(/[.-]/g, '\\$&')));
    }
  });
}

test.run();
