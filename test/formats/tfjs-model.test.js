// The TF.js model.json reader: manifest checks, byte layout of groups, dequantization as tfjs-core
// does it, and the refusals (each naming the field), on copies of a fixture damaged in memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../dist/index.js';
import { readTfjsModelJson, tfjsWeights } from '../../dist/formats/tfjs-model.js';

const DIR = fileURLToPath(new URL('../fixtures/tfjs/converter_lstm_gru/', import.meta.url));
const json = () => JSON.parse(readFileSync(join(DIR, 'model.json'), 'utf8'));
const shards = () => ({
  'group1-shard1of2.bin': new Uint8Array(readFileSync(join(DIR, 'group1-shard1of2.bin'))),
  'group1-shard2of2.bin': new Uint8Array(readFileSync(join(DIR, 'group1-shard2of2.bin'))),
});

async function refused(modelJson, weights, cls, ...patterns) {
  try {
    await loadModel({ modelJson, weights });
  } catch (e) {
    assert.is(e.name, cls, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return;
  }
  assert.unreachable('loaded');
}

test('one group over two files: entries are consecutive across the file boundary', () => {
  const model = readTfjsModelJson(json(), 'model.json', 1e9);
  const s = shards();
  const bytes = new Uint8Array([...s['group1-shard1of2.bin'], ...s['group1-shard2of2.bin']]);
  const weights = tfjsWeights(model, [bytes], 'model.json');
  let at = 0;
  for (const w of weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const view = new DataView(bytes.buffer, at, 4 * n);
    const data = w.read();
    for (let i = 0; i < n; i++) assert.is(data[i], view.getFloat32(4 * i, true));
    at += 4 * n;
  }
  assert.is(at, bytes.length);
});

test('uint8 / uint16 codes become float32(code * scale + min); float16 is widened exactly', () => {
  const doc = {
    modelTopology: { class_name: 'Sequential', config: { layers: [] } },
    weightsManifest: [{ paths: ['w'], weights: [
      { name: 'a', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.1, min: -1 } },
      { name: 'b', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 1e-3, min: 0.5 } },
      { name: 'c', shape: [7], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'd', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.5, min: 0 } },
    ] }],
  };
  const model = readTfjsModelJson(doc, 'model.json', 1e9);
  // a: 3 bytes, b: 4 bytes (little-endian), c: 14 bytes, d: 2 bytes
  const half = [0x3c00, 0xc000, 0x7c00, 0xfc00, 0x0001, 0x7bff, 0x8000];
  const bytes = new Uint8Array([0, 7, 255, 0x10, 0x27, 0xff, 0xff, ...half.flatMap((h) => [h & 0xff, h >> 8]), 3, 4]);
  const [a, b, c, d] = tfjsWeights(model, [bytes], 'model.json').map((w) => w.read());
  assert.equal(Array.from(a), [0, 7, 255].map((v) => Math.fround(v * 0.1 + -1)));
  assert.equal(Array.from(b), [10000, 65535].map((v) => Math.fround(v * 1e-3 + 0.5)));
  // IEEE half: 1, -2, +inf, -inf, the smallest subnormal 2^-24, the largest finite 65504, -0
  assert.equal(Array.from(c), [1, -2, Infinity, -Infinity, 2 ** -24, 65504, -0]);
  assert.ok(Object.is(c[6], -0));
  assert.equal(Array.from(d), [Math.round(1.5), Math.round(2)]);
});

test('a group shorter than its entries claim is refused naming its files and both sizes; extra bytes are ignored', async () => {
  const s = shards();
  s['group1-shard2of2.bin'] = s['group1-shard2of2.bin'].subarray(0, 10);
  await refused(json(), s, 'ModelFileError', /weight group 0 \(group1-shard1of2\.bin, group1-shard2of2\.bin\) holds 160 bytes/, /need \d+/);
  const longer = shards();
  longer['group1-shard2of2.bin'] = new Uint8Array([...longer['group1-shard2of2.bin'], 1, 2, 3]);
  const model = await loadModel({ modelJson: json(), weights: longer });
  assert.ok(model.hasWeights);
  model.dispose();
});

test('manifest faults are refused naming the field', async () => {
  const edit = (fn) => {
    const d = json();
    fn(d, d.weightsManifest[0].weights);
    return d;
  };
  await refused(edit((d, w) => (w[1].name = w[0].name)), shards(), 'InvalidKerasConfigurationError', /lists this weight twice/, /weightsManifest\[0\]\.weights\[1\]\.name/);
  await refused(edit((d, w) => (w[0].shape = [-1, 3])), shards(), 'InvalidKerasConfigurationError', /non-negative integers/, /weights\[0\]\.shape/);
  await refused(edit((d, w) => (w[0].dtype = 'string')), shards(), 'UnsupportedKerasConfigurationError', /only float32 and int32/);
  await refused(edit((d, w) => (w[0].quantization = { dtype: 'uint8', scale: 0.1 })), shards(), 'InvalidKerasConfigurationError', /needs finite numbers "scale" and "min"/);
  await refused(edit((d, w) => (w[0].quantization = { dtype: 'int4' })), shards(), 'UnsupportedKerasConfigurationError', /unknown quantization dtype/);
  await refused(edit((d) => (d.format = 'graph-model')), shards(), 'UnsupportedKerasConfigurationError', /graph model/);
  await refused(edit((d) => delete d.modelTopology), shards(), 'InvalidKerasConfigurationError', /no modelTopology/);
  await refused(edit((d, w) => (w[0].name = 'nolayer/kernel')), shards(), 'InvalidKerasConfigurationError', /"nolayer\/kernel" names no layer/);
  for (const p of ['../secret.bin', '/etc/passwd', 'http://127.0.0.1/x.bin']) {
    await refused(edit((d) => (d.weightsManifest[0].paths[0] = p)), shards(), 'ModelFileError', /relative file name inside the model folder/);
  }
});

test('claimed sizes are checked against maxWeightBytes before any weight file is read', async () => {
  const d = json();
  d.weightsManifest[0].weights[0].shape = [65536, 65536];
  try {
    await loadModel({ modelJson: d, weights: {} }, { limits: { maxWeightBytes: 1 << 20 } });
    assert.unreachable('loaded');
  } catch (e) {
    assert.is(e.name, 'ResourceLimitError');
    assert.match(e.message, /more than 1048576 bytes as float32/);
    assert.match(e.message, /limits\.maxWeightBytes/);
    assert.not.match(e.message, /was not given/);
  }
});


test('a manifest listing entries in another order (backward direction first, bias first) binds by name', async () => {
  const dir = fileURLToPath(new URL('../fixtures/tfjs/masked_bidirectional/', import.meta.url));
  const doc = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const bytes = new Uint8Array(readFileSync(join(dir, 'group1-shard1of1.bin')));
  let at = 0;
  const slices = doc.weightsManifest[0].weights.map((w) => {
    const n = 4 * w.shape.reduce((a, b) => a * b, 1);
    at += n;
    return { w, data: bytes.subarray(at - n, at) };
  });
  const reordered = [...slices].reverse();
  const original = await loadModel(join(dir, 'model.json'));
  const x = { data: Float32Array.from({ length: 36 }, (_, i) => Math.sin(i)), shape: [2, 6, 3] };
  const want = Array.from(original.predict(x).data);
  original.dispose();
  doc.weightsManifest[0].weights = reordered.map((s) => s.w);
  const model = await loadModel({ modelJson: doc, weights: { 'group1-shard1of1.bin': new Uint8Array(reordered.flatMap((s) => Array.from(s.data))) } });
  assert.equal(Array.from(model.predict(x).data), want);
  model.dispose();
});

test('{ config: <model.json path> } reads the TF.js model and its weight files beside it; { config, weights } is refused by field', async () => {
  const x = { data: Float32Array.from({ length: 30 }, (_, i) => Math.cos(i)), shape: [2, 5, 3] };
  const byPath = await loadModel(join(DIR, 'model.json'));
  const viaConfig = await loadModel({ config: join(DIR, 'model.json') });
  assert.is(viaConfig.format, 'tfjs-layers');
  assert.equal(Array.from(viaConfig.predict(x).data), Array.from(byPath.predict(x).data));
  byPath.dispose();
  viaConfig.dispose();
  try {
    await loadModel({ config: join(DIR, 'model.json'), weights: join(DIR, 'group1-shard1of2.bin') });
    assert.unreachable('a weights file beside a TF.js model.json must be refused');
  } catch (e) {
    assert.is(e.name, 'ModelFileError');
    assert.is(e.context.field, "weights");
    assert.match(e.message, /weightsManifest/);
  }
});

test.run();
