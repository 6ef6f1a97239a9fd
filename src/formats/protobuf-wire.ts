/**
 * A reader for the protocol buffers wire format (https://protobuf.dev/programming-guides/encoding/),
 * just enough for the few TensorFlow messages a SavedModel needs. The schema lives with each
 * caller as field numbers taken from TensorFlow's `.proto` files; this module only splits a
 * message into its fields, refusing anything that does not fit in the bytes present.
 *
 * Why not a protobuf library: the messages read are a dozen fields of seven types, the
 * generated code for TensorFlow's full `.proto` set (GraphDef, FunctionDef, ...) would be far
 * larger than this reader, and a library would decode the whole 1-3 MB `saved_model.pb` graph
 * that kerasrnn never looks at. Here unread fields stay unparsed byte ranges.
 * @packageDocumentation
 */
import { ModelFileError } from '../errors.js';

/** Wire types (the low three bits of a tag). */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** One field occurrence: a number for varint / fixed fields, a byte range for length-delimited ones. */
interface WireField {
  wireType: number;
  /** Varint and fixed values (exact up to 2^53). */
  value: number;
  /** Length-delimited payload (a view into the message bytes). */
  bytes: Uint8Array | null;
  /** Offset of the field's payload in the outermost buffer, for error messages. */
  at: number;
}

/** Where a message sits, for error messages: the file and the message's type name. */
export interface ProtoContext {
  file: string;
  message: string;
}

/** A decoded varint and the offset after it. */
export interface Varint {
  value: number;
  next: number;
}

/**
 * Reads a base-128 varint at `pos`. Values above 2^53 are refused rather than rounded: every
 * varint kerasrnn uses is a size, offset, id or enum. Returns null when the bytes end first.
 */
export function readVarint(bytes: Uint8Array, pos: number, end = bytes.length): Varint | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return null;
    const b = bytes[pos + i];
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (value > Number.MAX_SAFE_INTEGER) return { value: Number.NaN, next: pos + i + 1 };
      return { value, next: pos + i + 1 };
    }
    scale *= 128;
  }
  return { value: Number.NaN, next: pos + 10 };
}

/** A parsed message: its fields by number, read on demand by the typed getters. */
export class ProtoMessage {
  private readonly fields = new Map<number, WireField[]>();

  /**
   * Splits `bytes` into fields.
   * @param base Offset of `bytes` in the file (for messages).
   * @throws ModelFileError for a truncated field, a length past the end, a group or unknown wire type.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly ctx: ProtoContext,
    private readonly base = 0,
  ) {
    let pos = 0;
    const end = bytes.length;
    while (pos < end) {
      const tag = readVarint(bytes, pos, end);
      if (!tag || !Number.isFinite(tag.value)) this.fail(`truncated or overlong field tag`, pos);
      const field = Math.floor(tag.value / 8);
      const wireType = tag.value % 8;
      if (field === 0 || field > 0x1fffffff) this.fail(`field number ${field} is not valid`, pos);
      pos = tag.next;
      let entry: WireField;
      if (wireType === VARINT) {
        const v = readVarint(bytes, pos, end);
        if (!v) this.fail(`field ${field}: truncated varint`, pos);
        entry = { wireType, value: v.value, bytes: null, at: base + pos };
        pos = v.next;
      } else if (wireType === FIXED64) {
        if (pos + 8 > end) this.fail(`field ${field}: 8-byte value runs past the end`, pos);
        const lo = readU32(bytes, pos);
        const hi = readU32(bytes, pos + 4);
        entry = { wireType, value: hi * 2 ** 32 + lo, bytes: null, at: base + pos };
        pos += 8;
      } else if (wireType === FIXED32) {
        if (pos + 4 > end) this.fail(`field ${field}: 4-byte value runs past the end`, pos);
        entry = { wireType, value: readU32(bytes, pos), bytes: null, at: base + pos };
        pos += 4;
      } else if (wireType === LENGTH_DELIMITED) {
        const len = readVarint(bytes, pos, end);
        if (!len) this.fail(`field ${field}: truncated length`, pos);
        if (!(len.value <= end - len.next)) {
          this.fail(`field ${field} claims ${len.value} bytes, only ${end - len.next} remain in the message`, pos);
        }
        entry = { wireType, value: len.value, bytes: bytes.subarray(len.next, len.next + len.value), at: base + len.next };
        pos = len.next + len.value;
      } else {
        this.fail(`field ${field} has wire type ${wireType} (groups and unknown types are not used by these messages)`, pos);
      }
      const list = this.fields.get(field);
      if (list) list.push(entry);
      else this.fields.set(field, [entry]);
    }
  }

  private fail(what: string, pos: number): never {
    throw new ModelFileError(`corrupt protobuf ${this.ctx.message} at byte ${this.base + pos}: ${what}`, { file: this.ctx.file });
  }

  private typed(field: number, wireType: number, name: string): WireField[] {
    const list = this.fields.get(field) ?? [];
    for (const f of list) {
      if (f.wireType !== wireType) {
        throw new ModelFileError(`corrupt protobuf ${this.ctx.message}: field ${field} (${name}) has wire type ${f.wireType}, expected ${wireType}`, {
          file: this.ctx.file,
          field: name,
        });
      }
    }
    return list;
  }

  /** True if the field occurs at least once. */
  has(field: number): boolean {
    return this.fields.has(field);
  }

  /** An unsigned varint field (uint32 / uint64 / int32 >= 0 / enum / bool); the last occurrence wins, 0 if absent. */
  uint(field: number, name: string): number {
    const list = this.typed(field, VARINT, name);
    if (list.length === 0) return 0;
    const v = list[list.length - 1].value;
    if (!Number.isFinite(v)) {
      throw new ModelFileError(`protobuf ${this.ctx.message}: ${name} is larger than 2^53`, { file: this.ctx.file, field: name });
    }
    return v;
  }

  /**
   * A signed int32 / int64 varint field. Negative values are 10-byte two's complement varints;
   * they are decoded exactly, and anything else beyond 2^53 is refused.
   */
  int(field: number, name: string): number {
    const list = this.typed(field, VARINT, name);
    if (list.length === 0) return 0;
    const f = list[list.length - 1];
    if (Number.isFinite(f.value)) return f.value;
    let v = 0n;
    for (let i = 0, p = f.at - this.base; i < 10; i++, p++) {
      v |= BigInt(this.bytes[p] & 0x7f) << BigInt(7 * i);
      if ((this.bytes[p] & 0x80) === 0) break;
    }
    const signed = BigInt.asIntN(64, v);
    if (signed < BigInt(Number.MIN_SAFE_INTEGER) || signed > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ModelFileError(`protobuf ${this.ctx.message}: ${name} = ${signed} is out of range`, { file: this.ctx.file, field: name });
    }
    return Number(signed);
  }

  /** A fixed32 field (unsigned), 0 if absent. */
  fixed32(field: number, name: string): number {
    const list = this.typed(field, FIXED32, name);
    return list.length ? list[list.length - 1].value : 0;
  }

  /** A bytes field (the last occurrence), or undefined. */
  bytesField(field: number, name: string): Uint8Array | undefined {
    const list = this.typed(field, LENGTH_DELIMITED, name);
    return list.length ? (list[list.length - 1].bytes as Uint8Array) : undefined;
  }

  /** A string field, '' if absent. */
  string(field: number, name: string): string {
    const b = this.bytesField(field, name);
    return b ? utf8(b, this.ctx, name) : '';
  }

  /** Every occurrence of a repeated string field. */
  strings(field: number, name: string): string[] {
    return this.typed(field, LENGTH_DELIMITED, name).map((f) => utf8(f.bytes as Uint8Array, this.ctx, name));
  }

  /** An embedded message field (the last occurrence), or undefined. */
  message(field: number, name: string, type: string): ProtoMessage | undefined {
    const list = this.typed(field, LENGTH_DELIMITED, name);
    if (!list.length) return undefined;
    const f = list[list.length - 1];
    return new ProtoMessage(f.bytes as Uint8Array, { file: this.ctx.file, message: type }, f.at);
  }

  /** Every occurrence of a repeated embedded message field, parsed. */
  messages(field: number, name: string, type: string): ProtoMessage[] {
    return this.typed(field, LENGTH_DELIMITED, name).map((f) => new ProtoMessage(f.bytes as Uint8Array, { file: this.ctx.file, message: type }, f.at));
  }

  /** How many times a field occurs (any wire type). */
  count(field: number): number {
    return this.fields.get(field)?.length ?? 0;
  }
}

function readU32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8(bytes: Uint8Array, ctx: ProtoContext, name: string): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new ModelFileError(`protobuf ${ctx.message}: ${name} is not valid UTF-8`, { file: ctx.file, field: name }, { cause });
  }
}

/** Parses `bytes` as the top-level message `type` of `file`. */
export function readProtoMessage(bytes: Uint8Array, file: string, type: string): ProtoMessage {
  return new ProtoMessage(bytes, { file, message: type });
}
