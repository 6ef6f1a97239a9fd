/**
 * A minimal HDF5 writer for what Keras' files hold: groups, contiguous float32 datasets and
 * attributes (variable-length strings, lists of them, empty float64 lists).
 *
 * Layout choices (HDF5 file format specification 3.0):
 * - superblock version 0 and version-1 object headers, as h5py writes by default, so every HDF5
 *   library since 1.8 and jsfive read the file;
 * - groups keep their members as link messages in their own object header ("compact" new-style
 *   groups, which the library itself writes with superblock 0 when link creation order is
 *   tracked). That needs no B-tree, local heap or symbol-table nodes and has no member limit per
 *   node; h5py lists the members sorted by name, as for symbol-table groups;
 * - variable-length strings live in global heap collections, as h5py stores `str` / `bytes`
 *   attributes.
 * The file is built in memory and returned as bytes (Node writes them to disk, browsers get a Blob).
 */

/** A value stored as an HDF5 attribute. */
export type H5AttributeValue =
  | { kind: 'string'; value: string; charset: 'ascii' | 'utf8' }
  | { kind: 'strings'; values: readonly string[]; charset: 'ascii' | 'utf8' }
  /** `np.asarray([])`: what Keras stores for an empty name list. */
  | { kind: 'empty-float64' };

/**
 * A dataset in C order: float32 values, or int64 ones (`BigInt64Array`, e.g. an optimizer's
 * iteration counter, which Keras stores as an int64 scalar). `shape` `[]` is a scalar.
 */
export interface H5DatasetNode {
  kind: 'dataset';
  shape: readonly number[];
  data: Float32Array | BigInt64Array;
  attributes?: Record<string, H5AttributeValue>;
}

/** A group: members in creation order (readers list them sorted by name). */
export interface H5GroupNode {
  kind: 'group';
  members: [string, H5GroupNode | H5DatasetNode][];
  attributes?: Record<string, H5AttributeValue>;
}

/** A new empty group. */
export function h5Group(attributes?: Record<string, H5AttributeValue>): H5GroupNode {
  return { kind: 'group', members: [], ...(attributes ? { attributes } : {}) };
}

/** A variable-length string attribute (h5py's `str` is UTF-8, `bytes` ASCII). */
export function h5String(value: string, charset: 'ascii' | 'utf8' = 'utf8'): H5AttributeValue {
  return { kind: 'string', value, charset };
}

/** A list of names as h5py 3 stores a Python list of `bytes` (variable-length ASCII strings). */
export function h5StringList(values: readonly string[]): H5AttributeValue {
  return values.length === 0 ? { kind: 'empty-float64' } : { kind: 'strings', values, charset: 'ascii' };
}

const UNDEFINED_ADDRESS = 0xffffffffffffffffn;
const SUPERBLOCK_SIZE = 96;
/** The library refuses global heap collections smaller than this. */
const MIN_COLLECTION_SIZE = 4096;
/** Heap object indices are 16-bit; start a new collection before running out. */
const OBJECTS_PER_COLLECTION = 60000;

const MSG_DATASPACE = 0x01;
const MSG_LINK_INFO = 0x02;
const MSG_DATATYPE = 0x03;
const MSG_FILL_VALUE = 0x05;
const MSG_LINK = 0x06;
const MSG_LAYOUT = 0x08;
const MSG_GROUP_INFO = 0x0a;
const MSG_ATTRIBUTE = 0x0c;

const encoder = new TextEncoder();

/** A growable little-endian byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  padTo(multiple: number): void {
    const r = this.length % multiple;
    if (r) this.zeros(multiple - r);
  }
  patchU64(at: number, v: number | bigint): void {
    this.view.setBigUint64(at, BigInt(v), true);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Where one variable-length string was put: its collection and object index. */
interface HeapRef {
  collection: number;
  index: number;
  length: number;
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

function datatypeFloat(bytes: 4 | 8): Uint8Array {
  const w = new ByteWriter();
  w.u8(0x11); // version 1, class 1 (floating point)
  // little endian, IEEE padding, implied mantissa msb; sign bit position
  w.u8(0x20);
  w.u8(bytes * 8 - 1);
  w.u8(0);
  w.u32(bytes);
  w.u16(0); // bit offset
  w.u16(bytes * 8); // precision
  w.u8(bytes === 4 ? 23 : 52); // exponent location
  w.u8(bytes === 4 ? 8 : 11); // exponent size
  w.u8(0); // mantissa location
  w.u8(bytes === 4 ? 23 : 52); // mantissa size
  w.u32(bytes === 4 ? 127 : 1023); // exponent bias
  return w.result();
}

/** A little-endian signed 64-bit integer type (numpy's `<i8`). */
function datatypeInt64(): Uint8Array {
  const w = new ByteWriter();
  w.u8(0x10); // version 1, class 0 (fixed point)
  w.u8(0x08); // little endian, zero padding, signed
  w.u8(0);
  w.u8(0);
  w.u32(8);
  w.u16(0); // bit offset
  w.u16(64); // precision
  return w.result();
}

/** A variable-length string type: 4-byte length + 8-byte collection address + 4-byte index. */
function datatypeVlenString(charset: 'ascii' | 'utf8'): Uint8Array {
  const w = new ByteWriter();
  w.u8(0x19); // version 1, class 9 (variable-length)
  w.u8(0x01); // type: string, null-terminated padding
  w.u8(charset === 'utf8' ? 1 : 0);
  w.u8(0);
  w.u32(16);
  // base type: one unsigned byte (fixed-point, version 1)
  w.u8(0x10);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  w.u32(1);
  w.u16(0);
  w.u16(8);
  return w.result();
}

/** A simple dataspace (version 1); rank 0 is a scalar. */
function dataspace(dims: readonly number[]): Uint8Array {
  const w = new ByteWriter();
  w.u8(1);
  w.u8(dims.length);
  w.u8(0); // no maximum dimensions
  w.zeros(5);
  for (const d of dims) w.u64(d);
  return w.result();
}

class Hdf5Builder {
  private readonly w = new ByteWriter();
  private readonly heapRefs = new Map<string, HeapRef>();
  private readonly heapText: { key: string; bytes: Uint8Array }[] = [];

  build(root: H5GroupNode): Uint8Array {
    this.collectStrings(root);
    this.w.zeros(SUPERBLOCK_SIZE);
    this.writeGlobalHeaps();
    const rootAddress = this.writeGroup(root);
    this.writeSuperblock(rootAddress);
    return this.w.result();
  }

  private heapKey(value: string, charset: string): string {
    return `${charset}\u0000${value}`;
  }

  private collectAttributeStrings(attrs: Record<string, H5AttributeValue> | undefined): void {
    for (const a of Object.values(attrs ?? {})) {
      const values = a.kind === 'string' ? [a.value] : a.kind === 'strings' ? a.values : [];
      for (const v of values) {
        const key = this.heapKey(v, a.kind === 'empty-float64' ? '' : a.charset);
        if (!this.heapRefs.has(key)) {
          this.heapRefs.set(key, { collection: 0, index: 0, length: 0 });
          this.heapText.push({ key, bytes: encoder.encode(v) });
        }
      }
    }
  }

  private collectStrings(node: H5GroupNode | H5DatasetNode): void {
    this.collectAttributeStrings(node.attributes);
    if (node.kind === 'group') for (const [, child] of node.members) this.collectStrings(child);
  }

  /** Global heap collections ("GCOL"), each holding up to OBJECTS_PER_COLLECTION strings. */
  private writeGlobalHeaps(): void {
    for (let first = 0; first < this.heapText.length; first += OBJECTS_PER_COLLECTION) {
      const items = this.heapText.slice(first, first + OBJECTS_PER_COLLECTION);
      const start = this.w.length;
      let used = 16 + items.reduce((n, it) => n + 16 + pad8(it.bytes.length), 0);
      // The collection ends either exactly after the last object or with a free-space object
      // (index 0) of at least its own 16-byte header.
      let size = Math.max(MIN_COLLECTION_SIZE, used);
      if (size > used && size - used < 16) size = used + 16;
      size = pad8(size);
      this.w.bytes(encoder.encode('GCOL'));
      this.w.u8(1);
      this.w.zeros(3);
      this.w.u64(size);
      items.forEach((it, i) => {
        const ref = this.heapRefs.get(it.key) as HeapRef;
        ref.collection = start;
        ref.index = i + 1;
        ref.length = it.bytes.length;
        this.w.u16(i + 1);
        this.w.u16(1); // reference count
        this.w.zeros(4);
        this.w.u64(it.bytes.length);
        this.w.bytes(it.bytes);
        this.w.padTo(8);
      });
      used = this.w.length - start;
      if (size > used) {
        this.w.u16(0);
        this.w.zeros(6);
        this.w.u64(size - used);
        this.w.zeros(size - used - 16);
      }
    }
  }

  private attributeMessage(name: string, value: H5AttributeValue): Uint8Array {
    const nameBytes = encoder.encode(name);
    let type: Uint8Array;
    let space: Uint8Array;
    const data = new ByteWriter();
    if (value.kind === 'empty-float64') {
      type = datatypeFloat(8);
      space = dataspace([0]);
    } else {
      type = datatypeVlenString(value.charset);
      const values = value.kind === 'string' ? [value.value] : value.values;
      space = dataspace(value.kind === 'string' ? [] : [values.length]);
      for (const v of values) {
        const ref = this.heapRefs.get(this.heapKey(v, value.charset)) as HeapRef;
        data.u32(ref.length);
        data.u64(ref.collection);
        data.u32(ref.index);
      }
    }
    const w = new ByteWriter();
    w.u8(1); // version 1
    w.u8(0);
    w.u16(nameBytes.length + 1);
    w.u16(type.length);
    w.u16(space.length);
    w.bytes(nameBytes);
    w.u8(0);
    w.padTo(8);
    w.bytes(type);
    w.padTo(8);
    w.bytes(space);
    w.padTo(8);
    w.bytes(data.result());
    return w.result();
  }

  /** A version-1 object header holding `messages`; returns its address. */
  private writeObjectHeader(messages: [number, Uint8Array][]): number {
    this.w.padTo(8);
    const address = this.w.length;
    const bodySize = messages.reduce((n, [, m]) => n + 8 + pad8(m.length), 0);
    this.w.u8(1);
    this.w.u8(0);
    this.w.u16(messages.length);
    this.w.u32(1); // reference count
    this.w.u32(bodySize);
    this.w.zeros(4); // messages start 8-byte aligned
    for (const [type, m] of messages) {
      if (pad8(m.length) > 0xffff) throw new RangeError(`an HDF5 header message of ${m.length} bytes is too large`);
      this.w.u16(type);
      this.w.u16(pad8(m.length));
      this.w.u8(0); // flags
      this.w.zeros(3);
      this.w.bytes(m);
      this.w.padTo(8);
    }
    return address;
  }

  private attributeMessages(attrs: Record<string, H5AttributeValue> | undefined): [number, Uint8Array][] {
    return Object.entries(attrs ?? {}).map(([k, v]) => [MSG_ATTRIBUTE, this.attributeMessage(k, v)]);
  }

  private writeDataset(node: H5DatasetNode): number {
    const count = node.shape.reduce((a, b) => a * b, 1);
    if (count !== node.data.length) throw new RangeError(`dataset shape ${JSON.stringify(node.shape)} needs ${count} values, got ${node.data.length}`);
    this.w.padTo(8);
    const dataAddress = count === 0 ? UNDEFINED_ADDRESS : BigInt(this.w.length);
    const int64 = node.data instanceof BigInt64Array;
    const size = int64 ? 8 : 4;
    const bytes = new Uint8Array(count * size);
    const dv = new DataView(bytes.buffer);
    if (node.data instanceof BigInt64Array) for (let i = 0; i < count; i++) dv.setBigInt64(i * 8, node.data[i], true);
    else for (let i = 0; i < count; i++) dv.setFloat32(i * 4, node.data[i], true);
    this.w.bytes(bytes);
    const fill = new ByteWriter();
    fill.u8(2); // version 2
    fill.u8(2); // space allocated late (the library's default for contiguous data)
    fill.u8(2); // fill value written if set by the user
    fill.u8(0); // no fill value defined
    const layout = new ByteWriter();
    layout.u8(3); // version 3
    layout.u8(1); // contiguous
    layout.u64(dataAddress);
    layout.u64(count * size);
    return this.writeObjectHeader([
      [MSG_DATASPACE, dataspace(node.shape)],
      [MSG_DATATYPE, int64 ? datatypeInt64() : datatypeFloat(4)],
      [MSG_FILL_VALUE, fill.result()],
      [MSG_LAYOUT, layout.result()],
      ...this.attributeMessages(node.attributes),
    ]);
  }

  private linkMessage(name: string, address: number): Uint8Array {
    const nameBytes = encoder.encode(name);
    const ascii = nameBytes.length === name.length;
    const w = new ByteWriter();
    w.u8(1); // version
    // bits 0-1: size of the name length field; bit 4: a character set field follows
    const lengthField = nameBytes.length > 0xff ? 1 : 0;
    w.u8(lengthField | (ascii ? 0 : 0x10));
    if (!ascii) w.u8(1); // UTF-8
    if (lengthField) w.u16(nameBytes.length);
    else w.u8(nameBytes.length);
    w.bytes(nameBytes);
    w.u64(address);
    return w.result();
  }

  private writeGroup(node: H5GroupNode): number {
    const seen = new Set<string>();
    const links: [number, Uint8Array][] = [];
    for (const [name, child] of node.members) {
      if (name === '' || name.includes('/') || name === '.') throw new RangeError(`"${name}" cannot name an HDF5 group member`);
      if (seen.has(name)) throw new RangeError(`two group members are named "${name}"`);
      seen.add(name);
      const address = child.kind === 'group' ? this.writeGroup(child) : this.writeDataset(child);
      links.push([MSG_LINK, this.linkMessage(name, address)]);
    }
    const linkInfo = new ByteWriter();
    linkInfo.u8(0); // version
    linkInfo.u8(0); // creation order not tracked
    linkInfo.u64(UNDEFINED_ADDRESS); // no fractal heap: links are compact (in this header)
    linkInfo.u64(UNDEFINED_ADDRESS); // no name index
    const groupInfo = new Uint8Array([0, 0]);
    return this.writeObjectHeader([[MSG_LINK_INFO, linkInfo.result()], [MSG_GROUP_INFO, groupInfo], ...links, ...this.attributeMessages(node.attributes)]);
  }

  private writeSuperblock(rootAddress: number): void {
    const sb = new ByteWriter();
    sb.bytes(new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]));
    sb.u8(0); // superblock version
    sb.u8(0); // free-space storage version
    sb.u8(0); // root group symbol table entry version
    sb.u8(0);
    sb.u8(0); // shared header message format version
    sb.u8(8); // size of offsets
    sb.u8(8); // size of lengths
    sb.u8(0);
    sb.u16(4); // group leaf node K
    sb.u16(16); // group internal node K
    sb.u32(0); // file consistency flags
    sb.u64(0); // base address
    sb.u64(UNDEFINED_ADDRESS); // free-space info
    sb.u64(this.w.length); // end of file
    sb.u64(UNDEFINED_ADDRESS); // driver info
    // root group symbol table entry: no cached B-tree / heap (the root group holds link messages)
    sb.u64(0);
    sb.u64(rootAddress);
    sb.u32(0);
    sb.u32(0);
    sb.zeros(16);
    const bytes = sb.result();
    const out = this.w;
    // the superblock goes in the space reserved at offset 0
    for (let i = 0; i < bytes.length; i += 8) out.patchU64(i, new DataView(bytes.buffer).getBigUint64(i, true));
  }
}

/** Serialises a group tree as an HDF5 file. */
export function writeHdf5(root: H5GroupNode): Uint8Array {
  return new Hdf5Builder().build(root);
}
