// SavedModel directory mutations. A seed is a map { relativePath: bytes } of a real directory
// (the corpus' savedmodel/ cases). Mutations know the formats well enough to get past the first
// check: protobuf fields are edited and every enclosing length re-encoded; SSTable blocks and
// bundle entries are edited in place (varints rewritten at the same width, which protobuf and
// LevelDB both accept) and the block's CRC recomputed, so the damage reaches the parsers behind
// the checksums; shards are cut, dropped or edited with or without fixing the tensor's CRC.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { mutateBytes } from './bytes.mjs';
import { mutateConfigText } from './config.mjs';
import { interestingUint } from './rng.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { crc32c, crc32cExtend, maskCrc } = await import(pathToFileURL(path.join(ROOT, 'dist/formats/crc32c.js')).href);

const enc = new TextEncoder();
const dec = new TextDecoder();

export const SAVED_MODEL_PATHS = { graph: 'saved_model.pb', metadata: 'keras_metadata.pb', index: 'variables/variables.index' };

function readVarint(b, pos, end = b.length) {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 10 && pos + i < end; i++) {
    v += (b[pos + i] & 0x7f) * scale;
    if (!(b[pos + i] & 0x80)) return { value: v, next: pos + i + 1 };
    scale *= 128;
  }
  return null;
}

function varint(n) {
  const out = [];
  let v = BigInt.asUintN(64, BigInt(n));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** Rewrites the varint at [at, next) with `value`, keeping its width (padding continuation bytes). */
function rewriteVarint(b, at, next, value) {
  const width = next - at;
  let v = BigInt.asUintN(64, BigInt(Math.round(value)));
  if (width < 10) v &= (1n << BigInt(7 * width)) - 1n;
  for (let i = 0; i < width; i++) {
    b[at + i] = Number(v & 0x7fn) | (i < width - 1 ? 0x80 : 0);
    v >>= 7n;
  }
}

/** Top-level fields of a protobuf message, or null if the bytes do not parse as one. */
function scanProto(b) {
  const fields = [];
  let pos = 0;
  while (pos < b.length) {
    const tag = readVarint(b, pos);
    if (!tag || tag.value === 0) return null;
    const wire = tag.value % 8;
    const start = pos;
    pos = tag.next;
    let payloadAt = pos;
    if (wire === 0) {
      const v = readVarint(b, pos);
      if (!v) return null;
      pos = v.next;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = readVarint(b, pos);
      if (!len || len.value > b.length - len.next) return null;
      payloadAt = len.next;
      pos = len.next + len.value;
    } else return null;
    if (pos > b.length) return null;
    fields.push({ field: Math.floor(tag.value / 8), wire, start, tagEnd: tag.next, payloadAt, end: pos });
  }
  return fields;
}

/** One protobuf-aware edit somewhere down a random path of nested messages; lengths re-encoded. */
function mutateProto(rng, b, what, trail = '', depth = 0) {
  const fields = scanProto(b);
  if (!fields || !fields.length) return mutateBytes(rng, b).bytes;
  // big messages (the GraphDef) are rarely worth descending into; prefer small fields
  const f = rng.chance(0.7) ? rng.pick(fields.filter((x) => x.end - x.start < 1 << 16).concat(fields.slice(0, 1))) : rng.pick(fields);
  const name = `${trail}${f.field}`;
  const head = b.subarray(0, f.start);
  const tail = b.subarray(f.end);
  const join = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const payload = b.subarray(f.payloadAt, f.end);
  if (f.wire === 2 && depth < 8 && rng.chance(0.6) && scanProto(payload)?.length) {
    const inner = mutateProto(rng, payload, what, `${name}.`, depth + 1);
    return join(head, b.subarray(f.start, f.tagEnd), varint(inner.length), inner, tail);
  }
  const op = rng.int(6);
  if (op === 0) {
    what.push(`protobuf field ${name} dropped`);
    return join(head, tail);
  }
  if (op === 1) {
    what.push(`protobuf field ${name} duplicated`);
    return join(head, b.subarray(f.start, f.end), b.subarray(f.start, f.end), tail);
  }
  if (op === 2) {
    const wire = rng.pick([0, 1, 2, 3, 5, 7]);
    what.push(`protobuf field ${name} wire type ${f.wire} -> ${wire}`);
    return join(head, varint(f.field * 8 + wire), b.subarray(f.tagEnd, f.end), tail);
  }
  if (f.wire === 0) {
    const v = rng.pick([interestingUint(rng, 8), -1, -(2 ** 31), 2 ** 31, 2 ** 53 + 2, rng.int(300)]);
    what.push(`protobuf varint ${name} -> ${v}`);
    return join(head, b.subarray(f.start, f.tagEnd), varint(v), tail);
  }
  if (f.wire === 2) {
    let inner;
    const text = payload.length && payload[0] === 0x7b ? dec.decode(payload) : null;
    if (text && rng.chance(0.6)) {
      const m = mutateConfigText(rng, text);
      what.push(...m.what.map((w) => `protobuf JSON ${name}: ${w}`));
      inner = enc.encode(m.text);
    } else if (rng.chance(0.3)) {
      // the declared length lies (bytes after it are then misread)
      const lie = rng.pick([payload.length + 1, payload.length + 1000, 2 ** 31, 2 ** 53, Math.max(0, payload.length - 1)]);
      what.push(`protobuf length of ${name} -> ${lie} (payload ${payload.length})`);
      return join(head, b.subarray(f.start, f.tagEnd), varint(lie), payload, tail);
    } else {
      const r = mutateBytes(rng, payload);
      what.push(`protobuf bytes ${name}: ${r.what}`);
      inner = r.bytes;
    }
    return join(head, b.subarray(f.start, f.tagEnd), varint(inner.length), inner, tail);
  }
  const out = new Uint8Array(b);
  out[f.payloadAt + rng.int(f.end - f.payloadAt)] ^= 1 << rng.int(8);
  what.push(`protobuf fixed ${name} bit flip`);
  return out;
}

/** Blocks of an SSTable: { offset, size } of the index block and every data block (null if the footer is unreadable). */
function scanTable(b) {
  if (b.length < 48) return null;
  const footer = b.length - 48;
  const m1 = readVarint(b, footer);
  const m2 = m1 && readVarint(b, m1.next);
  const i1 = m2 && readVarint(b, m2.next);
  const i2 = i1 && readVarint(b, i1.next);
  if (!i2 || i1.value + i2.value + 5 > b.length) return null;
  const index = { offset: i1.value, size: i2.value };
  const handles = { footer, fields: [m1, m2, i1, i2].map((v, k) => ({ at: k === 0 ? footer : [m1, m2, i1][k - 1].next, next: v.next, value: v.value })) };
  const blocks = [index];
  for (const e of blockEntries(b, index)) {
    const o = readVarint(b, e.valueAt);
    const s = o && readVarint(b, o.next);
    if (s && o.value + s.value + 5 <= b.length) blocks.push({ offset: o.value, size: s.value, handleAt: e.valueAt });
  }
  return { index, blocks, handles };
}

/** Entries of a block with the positions of their header varints and value. */
function blockEntries(b, { offset, size }) {
  const out = [];
  if (size < 4) return out;
  const n = b[offset + size - 4] | (b[offset + size - 3] << 8) | (b[offset + size - 2] << 16) | (b[offset + size - 1] << 24);
  const end = offset + size - 4 - 4 * n;
  let pos = offset;
  while (pos < end && out.length < 100000) {
    const a = readVarint(b, pos, end);
    const k = a && readVarint(b, a.next, end);
    const v = k && readVarint(b, k.next, end);
    if (!v) break;
    out.push({ at: pos, lengths: [[pos, a.next], [a.next, k.next], [k.next, v.next]], valueAt: v.next + k.value, valueEnd: v.next + k.value + v.value });
    pos = v.next + k.value + v.value;
  }
  return out;
}

function fixBlockCrc(b, { offset, size }) {
  const crc = crc32cExtend(crc32c(b.subarray(offset, offset + size)), b.subarray(offset + size, offset + size + 1));
  new DataView(b.buffer, b.byteOffset).setUint32(offset + size + 1, maskCrc(crc), true);
}

/** In-place edits of variables.index, CRCs fixed unless the edit is about the CRC. */
function mutateIndex(rng, bytes, what) {
  const b = new Uint8Array(bytes);
  const t = scanTable(b);
  if (!t) {
    what.push('index: unreadable footer; bytes mutation');
    return mutateBytes(rng, b).bytes;
  }
  const kind = rng.pick(['footer', 'trailer', 'restarts', 'entry-lengths', 'bundle-entry', 'bundle-entry', 'bundle-entry', 'header']);
  const block = rng.pick(t.blocks);
  if (kind === 'footer') {
    const f = rng.pick(t.handles.fields);
    const v = interestingUint(rng, 8, { fileSize: b.length, current: f.value });
    rewriteVarint(b, f.at, f.next, v);
    what.push(`index footer handle varint ${f.value} -> ${v}`);
    return b;
  }
  if (kind === 'trailer') {
    const type = rng.pick([1, 1, 2, 255]);
    b[block.offset + block.size] = type;
    const fixed = rng.chance(0.7);
    if (fixed) fixBlockCrc(b, block);
    what.push(`index block at ${block.offset}: compression type ${type}${fixed ? ' (CRC fixed)' : ''}`);
    return b;
  }
  if (kind === 'restarts') {
    const at = block.offset + block.size - 4 * rng.range(1, 2);
    const v = interestingUint(rng, 4, { fileSize: block.size });
    new DataView(b.buffer).setUint32(at, v >>> 0, true);
    fixBlockCrc(b, block);
    what.push(`index block at ${block.offset}: restart word at ${at} -> ${v} (CRC fixed)`);
    return b;
  }
  const entries = blockEntries(b, block);
  if (!entries.length) return b;
  const e = rng.pick(entries);
  if (kind === 'entry-lengths') {
    const [from, to] = rng.pick(e.lengths);
    const v = interestingUint(rng, 4, { fileSize: block.size });
    rewriteVarint(b, from, to, v);
    fixBlockCrc(b, block);
    what.push(`index block at ${block.offset}: entry at ${e.at} length varint -> ${v} (CRC fixed)`);
    return b;
  }
  // a BundleEntryProto / BundleHeaderProto field, rewritten in place
  const target = kind === 'header' ? blockEntries(b, t.blocks[1] ?? block)[0] ?? e : e;
  const fields = scanProto(b.subarray(target.valueAt, target.valueEnd));
  if (!fields?.length) return b;
  const f = rng.pick(fields);
  const at = target.valueAt + f.payloadAt;
  const owner = kind === 'header' ? t.blocks[1] ?? block : block;
  if (f.wire === 0) {
    const cur = readVarint(b, at);
    const v = rng.pick([interestingUint(rng, 8, { current: cur.value }), cur.value + 1, 0]);
    rewriteVarint(b, at, cur.next, v);
    what.push(`bundle ${kind} field ${f.field} ${cur.value} -> ${v} (CRC fixed)`);
  } else if (f.wire === 5) {
    new DataView(b.buffer).setUint32(at, rng.int(2 ** 32), true);
    what.push(`bundle ${kind} field ${f.field} (crc32c) randomised`);
  } else if (f.wire === 2 && f.end > f.payloadAt) {
    // the shape: a dimension's size
    const dims = scanProto(b.subarray(at, target.valueAt + f.end));
    const d = dims && rng.pick(dims);
    if (d && d.wire === 2) {
      const sizeField = scanProto(b.subarray(at + d.payloadAt, at + d.end))?.find((x) => x.wire === 0);
      if (sizeField) {
        const p = at + d.payloadAt + sizeField.payloadAt;
        const cur = readVarint(b, p);
        const v = rng.pick([0, cur.value + 1, interestingUint(rng, 8, { current: cur.value })]);
        rewriteVarint(b, p, cur.next, v);
        what.push(`bundle entry shape dim ${cur.value} -> ${v} (CRC fixed)`);
      }
    }
  }
  fixBlockCrc(b, owner);
  return b;
}

/** Shard edits: truncation, flipped tensor bytes (CRC caught), or a byte range copied elsewhere. */
function mutateShard(rng, bytes, what) {
  const op = rng.int(3);
  if (op === 0) {
    const n = rng.pick([0, 1, rng.int(bytes.length), bytes.length - 1]);
    what.push(`shard truncated to ${n} of ${bytes.length} bytes`);
    return bytes.slice(0, n);
  }
  const r = mutateBytes(rng, bytes);
  what.push(`shard: ${r.what}`);
  return r.bytes;
}

/** One mutation of a SavedModel directory map (a new map; the seed is left alone). */
export function mutateSavedModel(rng, files, what) {
  const out = { ...files };
  const shards = Object.keys(out).filter((p) => p.startsWith('variables/variables.data-'));
  if (!Object.keys(out).length) return out;
  let kind = rng.weighted([
    [3, 'graph'],
    [3, 'metadata'],
    [4, 'index'],
    [2, 'shard'],
    [1, 'drop'],
    [0.5, 'crlf'],
    [1, 'bytes'],
  ]);
  // an earlier step may have removed the file this kind edits
  if ((kind === 'graph' && !out[SAVED_MODEL_PATHS.graph]) || (kind === 'index' && !out[SAVED_MODEL_PATHS.index])) kind = 'bytes';
  if (kind === 'metadata' && !out[SAVED_MODEL_PATHS.metadata] && !out[SAVED_MODEL_PATHS.graph]) kind = 'bytes';
  if (kind === 'graph' || (kind === 'metadata' && !out[SAVED_MODEL_PATHS.metadata])) {
    // the metadata of TF 2.0-2.4 files lives in saved_model.pb
    out[SAVED_MODEL_PATHS.graph] = mutateProto(rng, out[SAVED_MODEL_PATHS.graph], what, 'saved_model.pb:');
  } else if (kind === 'metadata') {
    out[SAVED_MODEL_PATHS.metadata] = mutateProto(rng, out[SAVED_MODEL_PATHS.metadata], what, 'keras_metadata.pb:');
  } else if (kind === 'index') {
    out[SAVED_MODEL_PATHS.index] = mutateIndex(rng, out[SAVED_MODEL_PATHS.index], what);
  } else if (kind === 'shard' && shards.length) {
    const s = rng.pick(shards);
    out[s] = mutateShard(rng, out[s], what);
  } else if (kind === 'drop') {
    const p = rng.pick(Object.keys(out));
    delete out[p];
    what.push(`file ${p} removed`);
  } else if (kind === 'crlf') {
    const p = rng.pick(Object.keys(out));
    const conv = [];
    for (const x of out[p]) x === 0x0a ? conv.push(0x0d, 0x0a) : conv.push(x);
    out[p] = Uint8Array.from(conv);
    what.push(`file ${p} converted to CRLF line endings`);
  } else {
    const p = rng.pick(Object.keys(out));
    const r = mutateBytes(rng, out[p]);
    out[p] = r.bytes;
    what.push(`${p}: ${r.what}`);
  }
  return out;
}
