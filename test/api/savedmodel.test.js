// SavedModel directories through loadModel: every source form gives the same model, and broken
// directories (copies of the corpus' real ones, damaged in a temp folder) are refused with typed
// errors naming the file and the fault.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, unlinkSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { zipSync } from 'fflate';

import { loadModel, InvalidKerasConfigurationError, ModelFileError, ResourceLimitError, UnsupportedKerasConfigurationError } from '../../dist/index.js';
import { crc32c, crc32cExtend, maskCrc } from '../../dist/formats/crc32c.js';
import { readBundleIndex } from '../../dist/formats/tensor-bundle.js';
import { corpusManifest, corpusPath } from '../support/corpus.js';
import { expectError } from '../support/expect-error.js';

const manifest = corpusManifest();
const cases = manifest ? manifest.cases.filter((c) => c.savedmodel) : [];
const byId = (part) => corpusPath(cases.find((c) => c.id.includes(part)).savedmodel);
const temps = [];

/** Copies a corpus SavedModel to a temp folder (the corpus is never modified). */
function copyDir(src) {
  const dir = mkdtempSync(join(tmpdir(), 'kerasrnn-sm-'));
  temps.push(dir);
  cpSync(src, dir, { recursive: true });
  return dir;
}

function files(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p).split('\\').join('/')] = new Uint8Array(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function referenceOf(c) {
  return JSON.parse(readFileSync(corpusPath(c.reference), 'utf8'));
}

async function firstOutput(model, c) {
  const ref = referenceOf(c);
  const inputs = ref.inputs.map((t) => ({ data: Float32Array.from(t.data.flat(Infinity)), shape: t.shape }));
  const ys = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  return (Array.isArray(ys) ? ys[0] : ys).data;
}

if (!manifest) {
  console.log('skipped: ../shared/corpus absent (SavedModel source and broken-directory tests)');
} else {
  const c = cases.find((x) => x.id.includes('NUMLDS')); // TF 2.5, keras_metadata.pb, Bidirectional
  const src = corpusPath(c.savedmodel);

  test('format and summary say what was read (keras_metadata.pb / metadata in saved_model.pb)', async () => {
    const m = await loadModel(src);
    assert.is(m.format, 'tf-savedmodel');
    assert.is(m.formatDetails, 'tf.keras SavedModel (TF 2.5.0, keras_metadata.pb)');
    assert.match(m.summary(), /^Format: tf\.keras SavedModel \(TF 2\.5\.0, keras_metadata\.pb\)$/m);
    const old = await loadModel(byId('Jiahui-Gu'));
    assert.is(old.formatDetails, 'tf.keras SavedModel (TF 2.2.0, Keras metadata in saved_model.pb)');
    m.dispose();
    old.dispose();
  });

  test('every source form gives the same outputs: path, path with slash, path of saved_model.pb, file: URL, map, File[], zip, http URL', async () => {
    const want = await firstOutput(await loadModel(src), c);
    const map = files(src);
    const prefixed = Object.fromEntries(Object.entries(map).map(([k, v]) => [`lstm_model/${k}`, v]));
    const fileList = Object.entries(prefixed).map(([k, v]) => Object.assign(new Blob([v]), { name: k.split('/').pop(), webkitRelativePath: k }));
    const zip = zipSync(prefixed);
    const server = createServer((req, res) => {
      const p = join(src, decodeURIComponent(new URL(req.url, 'http://x').pathname.replace(/^\/m\//, '')));
      if (!existsSync(p) || statSync(p).isDirectory()) return res.writeHead(404).end();
      res.writeHead(200).end(readFileSync(p));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${server.address().port}/m/`;
    try {
      const sources = { 'path/': `${src}/`, 'path of saved_model.pb': join(src, 'saved_model.pb'), 'file URL': pathToFileURL(src), map, 'File[]': fileList, zip, 'zip path': null, url, 'url of saved_model.pb': `${url}saved_model.pb` };
      const zipPath = join(copyDir(src), '..', `sm-${Date.now()}.zip`);
      writeFileSync(zipPath, zip);
      temps.push(zipPath);
      sources['zip path'] = zipPath;
      for (const [what, s] of Object.entries(sources)) {
        const m = await loadModel(s);
        assert.equal(Array.from(await firstOutput(m, c)), Array.from(want), what);
        assert.is(m.format, 'tf-savedmodel', what);
        m.dispose();
      }
    } finally {
      server.close();
    }
  });

  test('a folder that is not a SavedModel, and a missing folder, are refused', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'kerasrnn-sm-empty-'));
    temps.push(empty);
    await expectError(() => loadModel(empty), ModelFileError, /no saved_model\.pb/);
    await expectError(() => loadModel(join(empty, 'nope')), ModelFileError, /file not found/);
  });

  test('broken: no variables/ folder', async () => {
    const dir = copyDir(src);
    rmSync(join(dir, 'variables'), { recursive: true });
    await expectError(() => loadModel(dir), ModelFileError, /variables\/variables\.index is missing/, /no variables\/ folder/);
  });

  test('broken: a missing data shard', async () => {
    const dir = copyDir(src);
    unlinkSync(join(dir, 'variables/variables.data-00000-of-00001'));
    await expectError(() => loadModel(dir), ModelFileError, /data shard variables\/variables\.data-00000-of-00001 is missing/);
  });

  test('broken: a truncated data shard', async () => {
    const dir = copyDir(src);
    const p = join(dir, 'variables/variables.data-00000-of-00001');
    writeFileSync(p, readFileSync(p).subarray(0, 1000));
    await expectError(() => loadModel(dir), ModelFileError, /past the end of the shard|past the shard/);
  });

  test('broken: a flipped byte in a weight fails that tensor\'s CRC-32C, naming shard and tensor', async () => {
    const dir = copyDir(src);
    const index = readBundleIndex(readFileSync(join(dir, 'variables/variables.index')), 'i');
    const e = index.entries.get('layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE');
    const p = join(dir, 'variables/variables.data-00000-of-00001');
    const shard = readFileSync(p);
    shard[e.offset + 9] ^= 0x40;
    writeFileSync(p, shard);
    const err = await expectError(() => loadModel(dir), ModelFileError, /fails its CRC-32C check/, /layer_with_weights-2\/kernel/);
    assert.match(err.context.file, /variables\.data-00000-of-00001$/);
  });

  test('broken: a flipped byte in the index fails a block CRC', async () => {
    const dir = copyDir(src);
    const p = join(dir, 'variables/variables.index');
    const b = readFileSync(p);
    b[20] ^= 0x01;
    writeFileSync(p, b);
    await expectError(() => loadModel(dir), ModelFileError, /CRC-32C/, /variables\.index/);
  });

  test('broken: a snappy-compressed index block (trailer type 1, CRC made valid) is refused by name', async () => {
    const dir = copyDir(src);
    const p = join(dir, 'variables/variables.index');
    const b = new Uint8Array(readFileSync(p));
    // the first data block starts at 0; its size is in the index block, found through the footer
    const footer = b.length - 48;
    const varint = (pos) => {
      let v = 0, s = 1, i = pos;
      for (;;) { const x = b[i++]; v += (x & 0x7f) * s; s *= 128; if (!(x & 0x80)) return [v, i]; }
    };
    const [, a] = varint(footer);
    const [, a2] = varint(a);
    const [indexOff] = varint(a2);
    // first index entry: shared=0, unshared, valueLen, key, value = handle(offset, size)
    let [, q] = varint(indexOff);
    const [klen, q2] = varint(q);
    const [, q3] = varint(q2);
    const [off, q4] = varint(q3 + klen);
    const [size] = varint(q4);
    b[off + size] = 1;
    const crc = maskCrc(crc32cExtend(crc32c(b.subarray(off, off + size)), b.subarray(off + size, off + size + 1)));
    new DataView(b.buffer).setUint32(off + size + 1, crc, true);
    writeFileSync(p, b);
    await expectError(() => loadModel(dir), ModelFileError, /snappy-compressed/, /variables\.index/);
  });

  test('broken: keras_metadata.pb converted to CRLF line endings', async () => {
    const dir = copyDir(src);
    const p = join(dir, 'keras_metadata.pb');
    const out = [];
    for (const x of readFileSync(p)) x === 0x0a ? out.push(0x0d, 0x0a) : out.push(x);
    writeFileSync(p, Uint8Array.from(out));
    await expectError(() => loadModel(dir), ModelFileError, /line-ending conversion/, /keras_metadata\.pb/);
  });

  test('broken: keras_metadata.pb from a different save (node ids past the object graph / other objects)', async () => {
    const dir = copyDir(byId('EthanTCruz')); // 148 objects
    cpSync(join(byId('NUMLDS'), 'keras_metadata.pb'), join(dir, 'keras_metadata.pb'));
    await expectError(() => loadModel(dir), ModelFileError, /different saves/, /keras_metadata\.pb/);
    const small = copyDir(byId('Jiahui-Gu')); // 97 objects, no keras_metadata.pb of its own
    cpSync(join(byId('AIDI1002'), 'keras_metadata.pb'), join(small, 'keras_metadata.pb'));
    await expectError(() => loadModel(small), ModelFileError, /different saves/, /past the 97 objects/);
  });

  test('broken: keras_metadata.pb deleted from a TF >= 2.5 SavedModel whose saved_model.pb has no metadata', async () => {
    const dir = copyDir(byId('EthanTCruz'));
    unlinkSync(join(dir, 'keras_metadata.pb'));
    await expectError(() => loadModel(dir), ModelFileError, /keras_metadata\.pb is missing/);
  });

  test('no Keras config: a graph whose objects are not Keras objects (tf.function export) and a subclassed model', async () => {
    // TF 2.2 keeps the metadata in saved_model.pb; same-length edits keep every protobuf length valid
    const plain = copyDir(byId('Jiahui-Gu'));
    const p = join(plain, 'saved_model.pb');
    writeFileSync(p, Buffer.from(readFileSync(p).toString('latin1').replaceAll('_tf_keras_', '_tf_other_'), 'latin1'));
    await expectError(() => loadModel(plain), UnsupportedKerasConfigurationError, /holds no Keras model/, /tf\.function/);
    const sub = copyDir(byId('Jiahui-Gu'));
    const q = join(sub, 'saved_model.pb');
    const text = readFileSync(q).toString('latin1');
    assert.ok(text.includes('"is_graph_network": true,'));
    writeFileSync(q, Buffer.from(text.replace('"is_graph_network": true,', '"is_graph_network":false,'), 'latin1'));
    await expectError(() => loadModel(sub), UnsupportedKerasConfigurationError, /subclassed Keras model/);
  });

  test('limits: maxWeightBytes is checked before the shards are read', async () => {
    await expectError(() => loadModel(src, { limits: { maxWeightBytes: 1000 } }), ResourceLimitError, /maxWeightBytes/);
  });

  test('zip: the inflated-bytes cap applies to a zipped SavedModel', async () => {
    const zip = zipSync(files(src));
    await expectError(() => loadModel(zip, { limits: { maxInflatedBytes: 4096 } }), ResourceLimitError, /maxInflatedBytes/);
  });

  test('a weight of the wrong shape for the config is refused naming the layer', async () => {
    // the Dense kernel and bias entries swapped in the index would fail CRCs; instead change the config's units
    const dir = copyDir(byId('EthanTCruz'));
    const p = join(dir, 'keras_metadata.pb');
    const t = readFileSync(p).toString('latin1');
    assert.ok(t.includes('"units": 7'));
    writeFileSync(p, Buffer.from(t.replaceAll('"units": 7', '"units": 8'), 'latin1'));
    await expectError(() => loadModel(dir), InvalidKerasConfigurationError, /shape/, /dense/);
  });

  test.after(() => {
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });
}

test.run();
