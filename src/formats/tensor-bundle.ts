/**
 * TensorFlow tensor bundles (tensorflow/core/util/tensor_bundle): the `variables/` folder of a
 * SavedModel and the V2 checkpoint format. `variables.index` is an SSTable whose entry "" is a
 * BundleHeaderProto and whose other entries map tensor names (checkpoint keys) to
 * BundleEntryProtos; the tensors' bytes sit in `variables.data-NNNNN-of-MMMMM` shards.
 *
 * Field numbers (tensorflow/core/protobuf/tensor_bundle.proto, framework/tensor_shape.proto):
 * BundleHeaderProto { num_shards 1, endianness 2, version 3 }; BundleEntryProto { dtype 1,
 * shape 2, shard_id 3, offset 4, size 5, crc32c 6 (fixed32, masked), slices 7 };
 * TensorShapeProto { dim 2 { size 1 }, unknown_rank 3 }.
 * @packageDocumentation
 */
import { ModelFileError } from '../errors.js';
import { crc32c, crc32cExtend, unmaskCrc } from './crc32c.js';
import { ProtoMessage, readProtoMessage, readVarint } from './protobuf-wire.js';
import { readSsTable } from './sstable.js';

/** TensorFlow DataType enum values (framework/types.proto) kerasrnn reads. */
export const TF_DTYPES = { float: 1, double: 2, int32: 3, string: 7, int64: 9, bool: 10, half: 19 } as const;

const DTYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'float64', 3: 'int32', 4: 'uint8', 5: 'int16', 6: 'int8', 7: 'string', 9: 'int64', 10: 'bool', 14: 'bfloat16', 19: 'float16', 20: 'resource',
};

/** Bytes per element of the numeric dtypes read as float32. */
const FLOAT_BYTES: Record<number, number> = { 1: 4, 2: 8, 19: 2 };

/** Name of a DataType enum value, for messages. */
export function tfDtypeName(dtype: number): string {
  return DTYPE_NAMES[dtype] ?? `DataType ${dtype}`;
}

/** One tensor's index entry. */
export interface BundleEntry {
  /** The tensor's name (its checkpoint key). */
  key: string;
  dtype: number;
  shape: number[];
  shardId: number;
  offset: number;
  size: number;
  /** Masked CRC-32C of the tensor's bytes as stored. */
  crc32c: number;
  /** True for a partitioned variable's slices (not used by Keras models; refused when read). */
  sliced: boolean;
}

/** A parsed `variables.index`. */
export interface BundleIndex {
  numShards: number;
  entries: Map<string, BundleEntry>;
  /** The index's name, for messages. */
  file: string;
}

/** Shards a bundle may name: TensorFlow writes one per device; this bounds a lying header. */
export const MAX_BUNDLE_SHARDS = 4096;

/** The file name of shard `id` of `numShards` (TensorFlow's `%05d-of-%05d`). */
export function shardFileName(prefix: string, id: number, numShards: number): string {
  return `${prefix}.data-${String(id).padStart(5, '0')}-of-${String(numShards).padStart(5, '0')}`;
}

function readShape(m: ProtoMessage | undefined, key: string, file: string): number[] {
  if (!m) return [];
  if (m.uint(3, 'unknown_rank')) throw new ModelFileError(`tensor "${key}" has an unknown rank`, { file, field: key });
  return m.messages(2, 'dim', 'TensorShapeProto.Dim').map((d) => {
    const size = d.int(1, 'size');
    if (!(size >= 0)) throw new ModelFileError(`tensor "${key}" has dimension ${size}`, { file, field: key, value: size });
    return size;
  });
}

/**
 * Reads a bundle's index (every block CRC checked).
 * @throws ModelFileError for a damaged or big-endian index, or an entry that names a shard
 *   beyond the header's count.
 */
export function readBundleIndex(bytes: Uint8Array, file: string): BundleIndex {
  const table = readSsTable(bytes, file);
  if (table.length === 0 || table[0].key !== '') throw new ModelFileError('the tensor bundle index has no header entry', { file });
  const header = readProtoMessage(table[0].value, file, 'BundleHeaderProto');
  const numShards = header.int(1, 'num_shards');
  if (header.uint(2, 'endianness') !== 0) throw new ModelFileError('the tensor bundle was written big-endian, which kerasrnn does not read', { file, field: 'endianness' });
  if (!(numShards >= 1 && numShards <= MAX_BUNDLE_SHARDS)) {
    throw new ModelFileError(`the tensor bundle header claims ${numShards} data shards`, { file, field: 'num_shards', value: numShards });
  }
  const entries = new Map<string, BundleEntry>();
  for (const { key, value } of table.slice(1)) {
    const m = readProtoMessage(value, file, 'BundleEntryProto');
    const entry: BundleEntry = {
      key,
      dtype: m.uint(1, 'dtype'),
      shape: readShape(m.message(2, 'shape', 'TensorShapeProto'), key, file),
      shardId: m.int(3, 'shard_id'),
      offset: m.int(4, 'offset'),
      size: m.int(5, 'size'),
      crc32c: m.fixed32(6, 'crc32c'),
      sliced: m.count(7) > 0,
    };
    if (!(entry.shardId >= 0 && entry.shardId < numShards)) {
      throw new ModelFileError(`tensor "${key}" is in shard ${entry.shardId}, but the bundle has ${numShards}`, { file, field: key, value: entry.shardId });
    }
    if (!(entry.offset >= 0 && entry.size >= 0)) {
      throw new ModelFileError(`tensor "${key}" has offset ${entry.offset} and size ${entry.size}`, { file, field: key });
    }
    entries.set(key, entry);
  }
  return { numShards, entries, file };
}

/** The bytes of a tensor in its shard: range and CRC checked. */
function tensorBytes(entry: BundleEntry, shard: Uint8Array, shardName: string): Uint8Array {
  if (!(entry.offset + entry.size <= shard.length)) {
    throw new ModelFileError(
      `tensor "${entry.key}" claims bytes ${entry.offset}..${entry.offset + entry.size}, past the shard's ${shard.length} bytes (truncated shard?)`,
      { file: shardName, field: entry.key },
    );
  }
  const data = shard.subarray(entry.offset, entry.offset + entry.size);
  const actual = crc32c(data);
  if (actual !== unmaskCrc(entry.crc32c)) {
    throw new ModelFileError(
      `tensor "${entry.key}" fails its CRC-32C check (index says ${unmaskCrc(entry.crc32c).toString(16)}, data gives ${actual.toString(16)}): the shard or the index is damaged, or they come from different saves`,
      { file: shardName, field: entry.key },
    );
  }
  return data;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * A float tensor (float32, float64 or float16) as float32, little-endian.
 * @throws ModelFileError for another dtype, a sliced tensor, a size that does not match the
 *   shape, a range past the shard's end or a CRC mismatch.
 */
export function readFloatTensor(entry: BundleEntry, shard: Uint8Array, shardName: string): Float32Array {
  const ctx = { file: shardName, field: entry.key };
  if (entry.sliced) throw new ModelFileError(`tensor "${entry.key}" is a partitioned variable (slices), which Keras layers do not save`, ctx);
  const width = FLOAT_BYTES[entry.dtype];
  if (!width) throw new ModelFileError(`tensor "${entry.key}" has dtype ${tfDtypeName(entry.dtype)}, expected a float type`, { ...ctx, value: entry.dtype });
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (count * width !== entry.size) {
    throw new ModelFileError(`tensor "${entry.key}" of shape ${JSON.stringify(entry.shape)} (${tfDtypeName(entry.dtype)}) needs ${count * width} bytes, the index says ${entry.size}`, ctx);
  }
  const data = tensorBytes(entry, shard, shardName);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(count);
  if (entry.dtype === TF_DTYPES.float) {
    if (data.byteOffset % 4 === 0) out.set(new Float32Array(data.buffer, data.byteOffset, count));
    else for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (entry.dtype === TF_DTYPES.double) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  }
  return out;
}

/**
 * A string tensor's elements. TensorFlow stores them as the varint64 lengths, a masked CRC-32C
 * of the lengths (each as 4 little-endian bytes), then the bytes of every element; the entry's
 * CRC covers those 4-byte lengths, the length CRC and the element bytes.
 */
export function readStringTensor(entry: BundleEntry, shard: Uint8Array, shardName: string): Uint8Array[] {
  const ctx = { file: shardName, field: entry.key };
  if (entry.dtype !== TF_DTYPES.string) throw new ModelFileError(`tensor "${entry.key}" has dtype ${tfDtypeName(entry.dtype)}, expected string`, ctx);
  if (!(entry.offset + entry.size <= shard.length)) {
    throw new ModelFileError(`tensor "${entry.key}" claims bytes ${entry.offset}..${entry.offset + entry.size}, past the shard's ${shard.length} bytes`, ctx);
  }
  const data = shard.subarray(entry.offset, entry.offset + entry.size);
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (!(count <= data.length)) throw new ModelFileError(`string tensor "${entry.key}" claims ${count} elements in ${data.length} bytes`, ctx);
  const lengths: number[] = [];
  let pos = 0;
  let crc = 0;
  const le = new Uint8Array(8);
  for (let i = 0; i < count; i++) {
    const v = readVarint(data, pos);
    if (!v || !Number.isFinite(v.value)) throw new ModelFileError(`string tensor "${entry.key}": unreadable length of element ${i}`, ctx);
    lengths.push(v.value);
    pos = v.next;
    const wide = v.value > 0xffffffff;
    new DataView(le.buffer).setUint32(0, v.value % 2 ** 32, true);
    new DataView(le.buffer).setUint32(4, Math.floor(v.value / 2 ** 32), true);
    crc = crc32cExtend(crc, le.subarray(0, wide ? 8 : 4));
  }
  if (pos + 4 > data.length) throw new ModelFileError(`string tensor "${entry.key}" ends inside its length checksum`, ctx);
  const lengthCrc = data.subarray(pos, pos + 4);
  const storedLengthCrc = new DataView(lengthCrc.buffer, lengthCrc.byteOffset, 4).getUint32(0, true);
  if (unmaskCrc(storedLengthCrc) !== crc) throw new ModelFileError(`string tensor "${entry.key}": the checksum of its element lengths does not match`, ctx);
  crc = crc32cExtend(crc, lengthCrc);
  pos += 4;
  const out: Uint8Array[] = [];
  for (const n of lengths) {
    if (!(n <= data.length - pos)) throw new ModelFileError(`string tensor "${entry.key}" claims a ${n}-byte element past its ${entry.size} bytes`, ctx);
    const el = data.subarray(pos, pos + n);
    crc = crc32cExtend(crc, el);
    out.push(el);
    pos += n;
  }
  if (crc !== unmaskCrc(entry.crc32c)) {
    throw new ModelFileError(`string tensor "${entry.key}" fails its CRC-32C check: the shard or the index is damaged, or they come from different saves`, ctx);
  }
  return out;
}
