/**
 * Tensor data of the Open Inference Protocol: JSON `data` (flat or nested, row-major) or raw
 * little-endian bytes (the binary tensor data extension), to and from float32.
 * @packageDocumentation
 */
import { badRequest } from './protocol-error.js';

/** Element size in bytes of each numeric datatype the protocol names. */
const ELEMENT_BYTES: Record<string, number> = {
  BOOL: 1, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, INT8: 1, INT16: 2, INT32: 4, INT64: 8, FP16: 2, FP32: 4, FP64: 8,
};

/** Every datatype the protocol defines (BYTES holds strings, which no Keras input takes). */
export const DATATYPES = [...Object.keys(ELEMENT_BYTES), 'BYTES'];

/**
 * Checks a tensor's `datatype` against what the model input takes: numbers (any numeric datatype,
 * converted to float32) or texts (BYTES, for models with string inputs).
 */
export function checkDatatype(datatype: unknown, tensor: string, takes: 'FP32' | 'BYTES'): string {
  if (typeof datatype !== 'string' || !DATATYPES.includes(datatype)) {
    throw badRequest(`input "${tensor}": unknown datatype ${JSON.stringify(datatype)} (the protocol's are ${DATATYPES.join(', ')})`);
  }
  if (takes === 'FP32' && datatype === 'BYTES') throw badRequest(`input "${tensor}": datatype BYTES (strings) does not fit, this input takes numbers (send FP32)`);
  if (takes === 'BYTES' && datatype !== 'BYTES') throw badRequest(`input "${tensor}": this input takes texts, send datatype BYTES (got ${datatype})`);
  return datatype;
}

/** JSON `data` of a BYTES tensor (flat or nested strings). */
export function decodeJsonStrings(data: unknown, count: number, tensor: string): string[] {
  if (!Array.isArray(data)) throw badRequest(`input "${tensor}": "data" must be an array (flat or nested), got ${typeof data}`);
  const flat = (data as unknown[]).flat(32);
  if (flat.length !== count) throw badRequest(`input "${tensor}": "data" has ${flat.length} elements, its shape needs ${count}`);
  flat.forEach((v, i) => {
    if (typeof v !== 'string') throw badRequest(`input "${tensor}": datatype BYTES needs strings, got ${JSON.stringify(v)} at element ${i}`);
  });
  return flat as string[];
}

/** Binary BYTES: each element a 4-byte little-endian length and that many UTF-8 bytes. */
export function decodeBinaryStrings(bytes: Uint8Array, count: number, tensor: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw badRequest(`input "${tensor}": binary BYTES data ends before element ${i} of ${count}`);
    const n = view.getUint32(at, true);
    if (at + 4 + n > bytes.length) throw badRequest(`input "${tensor}": element ${i} claims ${n} bytes, past the end of its binary data`);
    out.push(Buffer.from(bytes.buffer, bytes.byteOffset + at + 4, n).toString('utf8'));
    at += 4 + n;
  }
  if (at !== bytes.length) throw badRequest(`input "${tensor}": ${bytes.length - at} bytes of binary BYTES data after its ${count} elements`);
  return out;
}

function checkValue(v: unknown, datatype: string, tensor: string, index: number): number {
  if (datatype === 'BOOL') {
    if (typeof v === 'boolean') return v ? 1 : 0;
    throw badRequest(`input "${tensor}": datatype BOOL needs true / false, got ${JSON.stringify(v)} at element ${index}`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw badRequest(`input "${tensor}": datatype ${datatype} needs finite numbers, got ${JSON.stringify(v)} at element ${index}`);
  }
  if (datatype.startsWith('INT') || datatype.startsWith('UINT')) {
    if (!Number.isInteger(v) || (datatype.startsWith('UINT') && v < 0)) {
      throw badRequest(`input "${tensor}": datatype ${datatype} needs ${datatype.startsWith('U') ? 'non-negative ' : ''}integers, got ${v} at element ${index}`);
    }
  }
  return v;
}

/** JSON `data`, flat or nested to any depth, into float32 (row-major order is the nesting order). */
export function decodeJsonData(data: unknown, datatype: string, count: number, tensor: string): Float32Array {
  if (!Array.isArray(data)) throw badRequest(`input "${tensor}": "data" must be an array (flat or nested), got ${typeof data}`);
  const out = new Float32Array(count);
  let n = 0;
  const walk = (a: unknown[], depth: number): void => {
    if (depth > 32) throw badRequest(`input "${tensor}": "data" nests more than 32 levels`);
    for (const v of a) {
      if (Array.isArray(v)) walk(v, depth + 1);
      else {
        if (n >= count) throw badRequest(`input "${tensor}": "data" has more than the ${count} elements its shape needs`);
        out[n] = checkValue(v, datatype, tensor, n);
        n++;
      }
    }
  };
  walk(data, 0);
  if (n !== count) throw badRequest(`input "${tensor}": "data" has ${n} elements, its shape needs ${count}`);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Raw little-endian bytes of `count` elements of `datatype` into float32. */
export function decodeBinaryData(bytes: Uint8Array, datatype: string, count: number, tensor: string): Float32Array {
  const size = ELEMENT_BYTES[datatype];
  if (bytes.length !== count * size) {
    throw badRequest(`input "${tensor}": binary_data_size is ${bytes.length} bytes, shape and ${datatype} need ${count} x ${size} = ${count * size}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  const read: (i: number) => number = {
    BOOL: (i: number) => view.getUint8(i),
    UINT8: (i: number) => view.getUint8(i),
    INT8: (i: number) => view.getInt8(i),
    UINT16: (i: number) => view.getUint16(i * 2, true),
    INT16: (i: number) => view.getInt16(i * 2, true),
    UINT32: (i: number) => view.getUint32(i * 4, true),
    INT32: (i: number) => view.getInt32(i * 4, true),
    UINT64: (i: number) => Number(view.getBigUint64(i * 8, true)),
    INT64: (i: number) => Number(view.getBigInt64(i * 8, true)),
    FP16: (i: number) => halfToFloat(view.getUint16(i * 2, true)),
    FP32: (i: number) => view.getFloat32(i * 4, true),
    FP64: (i: number) => view.getFloat64(i * 8, true),
  }[datatype] as (i: number) => number;
  if (datatype === 'FP32' && (bytes.byteOffset & 3) === 0) {
    // The common case: the bytes already are float32 (little-endian on every host Node runs on).
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
  } else {
    for (let i = 0; i < count; i++) out[i] = read(i);
  }
  return out;
}

/** float32 values as little-endian bytes (a copy that shares nothing with `data`). */
export function encodeBinaryData(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}
