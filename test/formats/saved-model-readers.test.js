// Unit tests of the SavedModel readers: CRC-32C (published vectors), the protobuf wire reader
// (encodings from the protobuf spec), the SSTable reader (tables built here by the rules of
// LevelDB's table_format.md) and the tensor bundle reader on the corpus' real indexes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';

import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from '../../dist/formats/crc32c.js';
import { readProtoMessage, readVarint } from '../../dist/formats/protobuf-wire.js';
import { readSsTable } from '../../dist/formats/sstable.js';
import { readBundleIndex, readFloatTensor, readStringTensor } from '../../dist/formats/tensor-bundle.js';
import { readSavedModelProto, readTrackableObjectGraph, diagnoseLineEndings } from '../../dist/formats/saved-model.js';
import { ModelFileError } from '../../dist/errors.js';
import { corpusManifest, corpusPath } from '../support/corpus.js';

const enc = (s) => new TextEncoder().encode(s);
const bytes = (...xs) => Uint8Array.from(xs.flat());

function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.unreachable('expected an error');
}

// ----- CRC-32C -------------------------------------------------------------------------------

test('crc32c: RFC 3720 (iSCSI) B.4 vectors and the "123456789" check value', () => {
  assert.is(crc32c(enc('123456789')), 0xe3069283);
  assert.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.is(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.is(crc32c(new Uint8Array(0)), 0);
});

test('crc32c: extending over pieces equals the CRC of the whole, at every split (slicing-by-8 tail paths)', () => {
  const data = Uint8Array.from({ length: 61 }, (_, i) => (i * 37 + 11) & 0xff);
  const whole = crc32c(data);
  for (let k = 0; k <= data.length; k++) assert.is(crc32cExtend(crc32c(data.subarray(0, k)), data.subarray(k)), whole, `split at ${k}`);
});

test('crc32c: masking (LevelDB crc32c::Mask) differs from the CRC and unmasks back', () => {
  for (const c of [0, 1, 0xe3069283, 0xffffffff, 0x80000000]) {
    assert.is.not(maskCrc(c), c);
    assert.is(unmaskCrc(maskCrc(c)), c);
  }
  // Mask(c) = rotr15(c) + 0xa282ead8
  assert.is(maskCrc(0), 0xa282ead8);
  assert.is(maskCrc(1 << 15), (1 + 0xa282ead8) >>> 0);
});

// ----- protobuf wire reader ------------------------------------------------------------------

test('wire: the protobuf spec examples (field 1 = 150; field 2 = "testing"; nested message)', () => {
  const m = readProtoMessage(bytes(0x08, 0x96, 0x01), 'x.pb', 'Test1');
  assert.is(m.uint(1, 'a'), 150);
  const s = readProtoMessage(bytes(0x12, 0x07, [...enc('testing')]), 'x.pb', 'Test2');
  assert.is(s.string(2, 'b'), 'testing');
  const n = readProtoMessage(bytes(0x1a, 0x03, 0x08, 0x96, 0x01), 'x.pb', 'Test3');
  assert.is(n.message(3, 'c', 'Test1').uint(1, 'a'), 150);
  assert.is(n.message(4, 'absent', 'Test1'), undefined);
  assert.is(n.uint(9, 'absent'), 0);
});

test('wire: repeated fields, fixed32 / fixed64, last value wins for scalars', () => {
  const m = readProtoMessage(bytes(0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62, 0x15, 0x78, 0x56, 0x34, 0x12, 0x18, 0x01, 0x18, 0x02, 0x21, 1, 0, 0, 0, 1, 0, 0, 0), 'x.pb', 'M');
  assert.equal(m.strings(1, 'names'), ['a', 'b']);
  assert.is(m.fixed32(2, 'crc'), 0x12345678);
  assert.is(m.uint(3, 'n'), 2);
  assert.is(m.count(4), 1);
});

test('wire: negative int64 (ten-byte two\'s complement) decodes exactly', () => {
  // -1 and -2 as int64
  const m1 = readProtoMessage(bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 'x.pb', 'M');
  assert.is(m1.int(1, 'size'), -1);
  const m2 = readProtoMessage(bytes(0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 'x.pb', 'M');
  assert.is(m2.int(1, 'size'), -2);
  assert.throws(() => m1.uint(1, 'size'), (e) => e instanceof ModelFileError && /2\^53/.test(e.message));
});

test('wire: varints beyond 2^53 come back NaN, truncated ones null', () => {
  assert.is(readVarint(bytes(0x80, 0x80), 0), null);
  assert.ok(Number.isNaN(readVarint(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 0).value));
  assert.equal(readVarint(bytes(0xac, 0x02), 0), { value: 300, next: 2 });
});

test('wire: truncation, lengths past the end, groups and wrong wire types are ModelFileErrors naming the file and message', () => {
  const cases = [
    [bytes(0x08), /truncated varint/],
    [bytes(0x12, 0x05, 0x61), /claims 5 bytes, only 1 remain/],
    [bytes(0x0b, 0x0c), /wire type 3/],
    [bytes(0x00, 0x01), /field number 0/],
    [bytes(0x15, 0x01), /4-byte value runs past the end/],
  ];
  for (const [b, re] of cases) {
    const e = thrown(() => readProtoMessage(b, 'dir/saved_model.pb', 'SavedModel'));
    assert.instance(e, ModelFileError);
    assert.match(e.message, re);
    assert.match(e.message, /SavedModel/);
    assert.match(e.message, /dir\/saved_model\.pb/);
  }
  const wrongType = readProtoMessage(bytes(0x08, 0x01), 'x.pb', 'M');
  assert.match(thrown(() => wrongType.string(1, 'name')).message, /wire type 0, expected 2/);
  assert.match(thrown(() => readProtoMessage(bytes(0x0a, 0x01, 0xff), 'x.pb', 'M').string(1, 'name')).message, /not valid UTF-8/);
});

// ----- SSTable -------------------------------------------------------------------------------

const varint = (n) => {
  const out = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const u32le = (n) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** A block by table_format.md: prefix-compressed entries, a restart every `interval` entries. */
function block(entries, interval = 2) {
  const out = [];
  const restarts = [];
  let prev = new Uint8Array(0);
  entries.forEach(([k, v], i) => {
    const key = enc(k);
    let shared = 0;
    if (i % interval === 0) restarts.push(out.length);
    else while (shared < prev.length && shared < key.length && prev[shared] === key[shared]) shared++;
    out.push(...varint(shared), ...varint(key.length - shared), ...varint(v.length), ...key.subarray(shared), ...v);
    prev = key;
  });
  for (const r of restarts) out.push(...u32le(r));
  out.push(...u32le(restarts.length));
  return Uint8Array.from(out);
}

/** Blocks with trailers (type, masked CRC of contents + type), index block and footer. */
function table(dataBlocks, { type = 0 } = {}) {
  const out = [];
  const withTrailer = (b) => {
    const at = out.length;
    const t = Uint8Array.of(type);
    out.push(...b, type, ...u32le(maskCrc(crc32cExtend(crc32c(b), t))));
    return [at, b.length];
  };
  const handles = dataBlocks.map((entries) => [entries[entries.length - 1][0], withTrailer(block(entries))]);
  const meta = withTrailer(block([]));
  const index = withTrailer(block(handles.map(([k, [o, s]]) => [k, Uint8Array.from([...varint(o), ...varint(s)])]), 1));
  const footer = [...varint(meta[0]), ...varint(meta[1]), ...varint(index[0]), ...varint(index[1])];
  while (footer.length < 40) footer.push(0);
  footer.push(...u32le(0x8b80fb57), ...u32le(0xdb477524));
  out.push(...footer);
  return Uint8Array.from(out);
}

const ENTRIES = [
  ['', enc('header')],
  ['layer_with_weights-0/bias', enc('b0')],
  ['layer_with_weights-0/kernel', enc('k0')],
  ['layer_with_weights-0/kernel/m', enc('m0')],
  ['layer_with_weights-1/bias', enc('b1')],
];

test('sstable: entries of every data block in order, shared key prefixes restored', () => {
  const t = table([ENTRIES.slice(0, 3), ENTRIES.slice(3)]);
  const got = readSsTable(t, 'variables.index');
  assert.equal(got.map((e) => e.key), ENTRIES.map((e) => e[0]));
  assert.equal(got.map((e) => new TextDecoder().decode(e.value)), ENTRIES.map((e) => new TextDecoder().decode(e[1])));
});

test('sstable: every damage is a ModelFileError naming the file and the fault', () => {
  const good = table([ENTRIES]);
  const cases = [
    ['truncated', good.subarray(0, 30), /shorter than the 48-byte footer/],
    ['no magic', Uint8Array.from([...good.subarray(0, good.length - 1), 0]), /magic/],
    ['flipped data byte', Uint8Array.from(good, (b, i) => (i === 3 ? b ^ 1 : b)), /CRC-32C/],
    ['snappy', table([ENTRIES], { type: 1 }), /snappy/],
    ['unknown compression', table([ENTRIES], { type: 7 }), /compression type 7/],
    ['out of order', table([[ENTRIES[2], ENTRIES[1]]]), /out of order/],
  ];
  for (const [what, b, re] of cases) {
    const e = thrown(() => readSsTable(b, 'dir/variables/variables.index'));
    assert.instance(e, ModelFileError, what);
    assert.match(e.message, re, what);
    assert.match(e.message, /dir\/variables\/variables\.index/, what);
  }
  // an index handle pointing past the file
  const lying = good.slice();
  const footerAt = lying.length - 48;
  // the footer's second handle (index) offset is rewritten to a huge varint of the same length
  const meta = readVarint(lying, footerAt);
  const metaSize = readVarint(lying, meta.next);
  const idxOff = readVarint(lying, metaSize.next);
  for (let i = metaSize.next; i < idxOff.next - 1; i++) lying[i] = 0xff;
  lying[idxOff.next - 1] = 0x7f;
  assert.match(thrown(() => readSsTable(lying, 'x.index')).message, /past the .* bytes before the footer/);
});

// ----- tensor bundle and object graphs on the corpus -----------------------------------------

const manifest = corpusManifest();
const dirs = manifest ? manifest.cases.filter((c) => c.savedmodel).map((c) => corpusPath(c.savedmodel)) : [];
if (!manifest) console.log('skipped: ../shared/corpus absent (tensor bundle tests on real SavedModels)');

test('bundle: every corpus index reads, every float tensor passes its CRC, the object graph parses', () => {
  for (const dir of dirs) {
    const index = readBundleIndex(readFileSync(`${dir}/variables/variables.index`), 'variables.index');
    assert.is(index.numShards, 1);
    const shard = readFileSync(`${dir}/variables/variables.data-00000-of-00001`);
    let floats = 0;
    for (const e of index.entries.values()) {
      if (e.dtype === 1) {
        const a = readFloatTensor(e, shard, 'shard');
        assert.is(a.length, e.shape.reduce((x, y) => x * y, 1));
        floats++;
      }
    }
    assert.ok(floats > 0, dir);
    const [g] = readStringTensor(index.entries.get('_CHECKPOINTABLE_OBJECT_GRAPH'), shard, 'shard');
    const nodes = readTrackableObjectGraph(g, 'graph');
    const keys = nodes.flatMap((n) => n.attributes.map((a) => a.checkpointKey));
    for (const k of keys) assert.ok(index.entries.has(k), `${dir}: ${k} named by the object graph is in the index`);
    const saved = readSavedModelProto(readFileSync(`${dir}/saved_model.pb`), 'saved_model.pb');
    assert.equal(saved.tags, ['serve']);
    assert.match(saved.tensorflowVersion, /^2\.\d+\.\d+/);
  }
});

test('bundle: a flipped tensor byte fails that tensor\'s CRC; a short shard is refused before reading', () => {
  if (!dirs.length) return;
  const dir = dirs[0];
  const index = readBundleIndex(readFileSync(`${dir}/variables/variables.index`), 'variables.index');
  const shard = new Uint8Array(readFileSync(`${dir}/variables/variables.data-00000-of-00001`));
  const e = [...index.entries.values()].find((x) => x.dtype === 1 && x.size > 16);
  shard[e.offset + 5] ^= 0x10;
  assert.match(thrown(() => readFloatTensor(e, shard, 'shard')).message, new RegExp(`"${e.key}" fails its CRC-32C`));
  assert.match(thrown(() => readFloatTensor(e, shard.subarray(0, e.offset + 4), 'shard')).message, /past the shard/);
  assert.match(thrown(() => readFloatTensor({ ...e, size: e.size + 4 }, shard, 'shard')).message, /needs \d+ bytes, the index says/);
});

test('line endings: a CRLF-converted protobuf is diagnosed as such, other damage is not', () => {
  if (!dirs.length) return;
  const dir = dirs.find((d) => existsSync(`${d}/keras_metadata.pb`));
  const good = readFileSync(`${dir}/saved_model.pb`);
  const crlf = [];
  for (const b of good) b === 0x0a ? crlf.push(0x0d, 0x0a) : crlf.push(b);
  const e = thrown(() => diagnoseLineEndings(Uint8Array.from(crlf), 'saved_model.pb', (b) => readSavedModelProto(b, 'saved_model.pb')));
  assert.instance(e, ModelFileError);
  assert.match(e.message, /line-ending conversion/);
  const cut = good.subarray(0, good.length - 100);
  const e2 = thrown(() => diagnoseLineEndings(cut, 'saved_model.pb', (b) => readSavedModelProto(b, 'saved_model.pb')));
  assert.not.match(e2.message, /line-ending/);
});

test.run();
