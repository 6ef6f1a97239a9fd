/**
 * LevelDB's immutable table format (SSTable; leveldb/doc/table_format.md), which TensorFlow uses
 * for a tensor bundle's `variables.index`:
 *
 * - a 48-byte footer at the end: the metaindex and index block handles (varint offset, varint
 *   size), zero padding, then the magic number 0xdb4775248b80fb57 (little-endian);
 * - every block is followed by a 5-byte trailer: a compression type byte (0 none, 1 snappy) and
 *   the masked CRC-32C of the block contents plus that type byte;
 * - a block holds entries `shared key length, unshared key length, value length (varints),
 *   unshared key bytes, value`, each key sharing a prefix with the previous one except at the
 *   restart points, whose offsets (uint32) and count (uint32) end the block;
 * - the index block maps, for each data block, a key >= its last key to its handle.
 *
 * Every CRC is verified and every offset and length is checked against the bytes present.
 * @packageDocumentation
 */
import { ModelFileError } from '../errors.js';
import { crc32cExtend, unmaskCrc } from './crc32c.js';
import { readVarint } from './protobuf-wire.js';

/** Size of the footer: two block handles padded to 40 bytes, then the 8-byte magic. */
export const SSTABLE_FOOTER_BYTES = 48;
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;
const TRAILER_BYTES = 5;

/** Offset and size of a block (its trailer follows it). */
export interface BlockHandle {
  offset: number;
  size: number;
}

/** One key/value pair of a table, in key order. */
export interface TableEntry {
  /** The key's bytes decoded as UTF-8 (TensorFlow's keys are tensor names). */
  key: string;
  value: Uint8Array;
}

function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

class TableReader {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {}

  fail(what: string): never {
    throw new ModelFileError(`corrupt SSTable index: ${what}`, { file: this.file });
  }

  handle(bytes: Uint8Array, pos: number, end: number, what: string): { handle: BlockHandle; next: number } {
    const off = readVarint(bytes, pos, end);
    if (!off || !Number.isFinite(off.value)) this.fail(`${what}: unreadable block offset`);
    const size = readVarint(bytes, off.next, end);
    if (!size || !Number.isFinite(size.value)) this.fail(`${what}: unreadable block size`);
    const handle = { offset: off.value, size: size.value };
    const limit = this.bytes.length - SSTABLE_FOOTER_BYTES;
    if (!(handle.offset + handle.size + TRAILER_BYTES <= limit)) {
      this.fail(`${what} claims bytes ${handle.offset}..${handle.offset + handle.size + TRAILER_BYTES}, past the ${limit} bytes before the footer`);
    }
    return { handle, next: size.next };
  }

  footer(): { metaindex: BlockHandle; index: BlockHandle } {
    const b = this.bytes;
    if (b.length < SSTABLE_FOOTER_BYTES) this.fail(`${b.length} bytes, shorter than the ${SSTABLE_FOOTER_BYTES}-byte footer (truncated file)`);
    const at = b.length - SSTABLE_FOOTER_BYTES;
    if (u32(b, b.length - 8) !== MAGIC_LO || u32(b, b.length - 4) !== MAGIC_HI) {
      this.fail('the footer has no table magic number (truncated or not an SSTable)');
    }
    const meta = this.handle(b, at, at + 40, 'footer metaindex handle');
    const index = this.handle(b, meta.next, at + 40, 'footer index handle');
    return { metaindex: meta.handle, index: index.handle };
  }

  /** A block's contents after checking its trailer's CRC and compression type. */
  block(h: BlockHandle, what: string): Uint8Array {
    const b = this.bytes;
    const type = b[h.offset + h.size];
    const stored = u32(b, h.offset + h.size + 1);
    const actual = crc32cExtend(crc32cExtend(0, b.subarray(h.offset, h.offset + h.size)), b.subarray(h.offset + h.size, h.offset + h.size + 1));
    if (unmaskCrc(stored) !== actual) {
      this.fail(`${what} at byte ${h.offset} fails its CRC-32C check (stored ${unmaskCrc(stored).toString(16)}, computed ${actual.toString(16)}): the file is damaged`);
    }
    if (type === 1) {
      throw new ModelFileError(
        `${what} at byte ${h.offset} is snappy-compressed; TensorFlow writes tensor bundle indexes uncompressed and kerasrnn does not decompress snappy`,
        { file: this.file, value: type },
      );
    }
    if (type !== 0) this.fail(`${what} at byte ${h.offset} has unknown compression type ${type}`);
    return b.subarray(h.offset, h.offset + h.size);
  }

  /** The entries of one block, keys restored from their shared prefixes. */
  entries(block: Uint8Array, what: string): (TableEntry & { keyBytes: Uint8Array })[] {
    if (block.length < 4) this.fail(`${what} is ${block.length} bytes, too short for its restart count`);
    const restarts = u32(block, block.length - 4);
    if (!(restarts >= 1 && restarts * 4 + 4 <= block.length)) this.fail(`${what} claims ${restarts} restart points in ${block.length} bytes`);
    const dataEnd = block.length - 4 - restarts * 4;
    const restartOffsets = new Set<number>();
    for (let i = 0; i < restarts; i++) {
      const r = u32(block, dataEnd + 4 * i);
      if (r >= dataEnd && !(r === 0 && dataEnd === 0)) this.fail(`${what}: restart point ${i} at ${r} lies outside the ${dataEnd} entry bytes`);
      restartOffsets.add(r);
    }
    const out: (TableEntry & { keyBytes: Uint8Array })[] = [];
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let prev = new Uint8Array(0);
    let pos = 0;
    while (pos < dataEnd) {
      const shared = readVarint(block, pos, dataEnd);
      const unshared = shared && readVarint(block, shared.next, dataEnd);
      const valueLen = unshared && readVarint(block, unshared.next, dataEnd);
      if (!shared || !unshared || !valueLen) this.fail(`${what}: truncated entry header at byte ${pos}`);
      if (restartOffsets.has(pos) && shared.value !== 0) this.fail(`${what}: the entry at restart point ${pos} shares a key prefix`);
      if (!(shared.value <= prev.length)) this.fail(`${what}: entry at byte ${pos} shares ${shared.value} key bytes with a ${prev.length}-byte key`);
      const keyStart = valueLen.next;
      if (!(unshared.value <= dataEnd - keyStart && valueLen.value <= dataEnd - keyStart - unshared.value)) {
        this.fail(`${what}: entry at byte ${pos} claims ${unshared.value} key and ${valueLen.value} value bytes, past the block's end`);
      }
      const key = new Uint8Array(shared.value + unshared.value);
      key.set(prev.subarray(0, shared.value));
      key.set(block.subarray(keyStart, keyStart + unshared.value), shared.value);
      const valueStart = keyStart + unshared.value;
      let keyText: string;
      try {
        keyText = decoder.decode(key);
      } catch {
        this.fail(`${what}: a key at byte ${pos} is not UTF-8`);
      }
      out.push({ key: keyText, keyBytes: key, value: block.subarray(valueStart, valueStart + valueLen.value) });
      prev = key;
      pos = valueStart + valueLen.value;
    }
    return out;
  }
}

/** LevelDB's default comparator: bytewise. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Reads every entry of an SSTable, data blocks in index order.
 * @param file Named in error messages.
 * @throws ModelFileError for a bad footer, a CRC mismatch, a compressed block, an entry or
 *   handle past the bytes present, or keys out of order.
 */
export function readSsTable(bytes: Uint8Array, file: string): TableEntry[] {
  const r = new TableReader(bytes, file);
  const { metaindex, index } = r.footer();
  // TensorFlow writes an empty metaindex; it is read only so that its CRC is checked too.
  r.block(metaindex, 'the metaindex block');
  const indexEntries = r.entries(r.block(index, 'the index block'), 'the index block');
  const out: TableEntry[] = [];
  let last: Uint8Array | null = null;
  indexEntries.forEach((e, i) => {
    const { handle } = r.handle(e.value, 0, e.value.length, `index entry ${i}`);
    for (const entry of r.entries(r.block(handle, `data block ${i}`), `data block ${i}`)) {
      if (last && compareBytes(last, entry.keyBytes) >= 0) r.fail(`keys out of order ("${out[out.length - 1].key}" then "${entry.key}")`);
      last = entry.keyBytes;
      out.push({ key: entry.key, value: entry.value });
    }
  });
  return out;
}
