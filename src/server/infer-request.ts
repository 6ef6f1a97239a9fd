/**
 * The inference request and response bodies of the Open Inference Protocol (REST), with the
 * binary tensor data extension: a JSON header of `Inference-Header-Content-Length` bytes followed
 * by the tensors whose `parameters.binary_data_size` says so, in input order.
 * @packageDocumentation
 */
import { badRequest } from './protocol-error.js';
import { checkDatatype, decodeBinaryData, decodeBinaryStrings, decodeJsonData, decodeJsonStrings, encodeBinaryData } from './tensor-codec.js';

/** What a model takes and returns, as the server's metadata endpoint shows it. */
export interface TensorSpec {
  name: string;
  /** FP32 for numbers, BYTES for an input that takes texts. */
  datatype: 'FP32' | 'BYTES';
  /** Dimensions batch first; -1 for any size. */
  shape: number[];
}

/** One decoded input tensor. */
export interface InputTensor {
  name: string;
  shape: number[];
  /** Numbers as float32, or the texts of a BYTES input. */
  data: Float32Array | string[];
}

/** Triton's sequence extension parameters, checked. */
export interface SequenceFlags {
  id: number | string;
  start: boolean;
  end: boolean;
}

/** A decoded, checked inference request. */
export interface InferRequest {
  id?: string;
  /** In the model's input order. */
  inputs: InputTensor[];
  /** Output names to return, each with whether it goes as binary data. */
  outputs: { name: string; binary: boolean }[];
  sequence: SequenceFlags | null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw badRequest(`malformed JSON in the ${what}: ${(e as Error).message}`);
  }
  if (!isObject(value)) throw badRequest(`the ${what} must be a JSON object`);
  return value;
}

function sequenceFlags(params: Record<string, unknown>): SequenceFlags | null {
  const { sequence_id: id, sequence_start: start = false, sequence_end: end = false } = params;
  if (typeof start !== 'boolean') throw badRequest(`parameters.sequence_start must be true or false, got ${JSON.stringify(start)}`);
  if (typeof end !== 'boolean') throw badRequest(`parameters.sequence_end must be true or false, got ${JSON.stringify(end)}`);
  if (id !== undefined && !(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0))) {
    throw badRequest(`parameters.sequence_id must be a non-negative integer or a string, got ${JSON.stringify(id)}`);
  }
  const none = id === undefined || id === 0 || id === '';
  if (none) {
    if (start || end) throw badRequest('sequence_start / sequence_end need a non-zero, non-empty parameters.sequence_id');
    return null;
  }
  return { id: id as number | string, start, end };
}

function elementCount(shape: unknown, tensor: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badRequest(`input "${tensor}": "shape" must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/**
 * Decodes a request body against the model's inputs and outputs.
 * @param headerLength The `Inference-Header-Content-Length` header, when the body carries binary tensors.
 */
export function decodeInferRequest(body: Uint8Array, headerLength: string | undefined, inputs: TensorSpec[], outputs: TensorSpec[]): InferRequest {
  let jsonBytes = body;
  let binary: Uint8Array = new Uint8Array(0);
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!/^\d+$/.test(headerLength) || n > body.length) {
      throw badRequest(`Inference-Header-Content-Length ${JSON.stringify(headerLength)} must be an integer no larger than the body (${body.length} bytes)`);
    }
    jsonBytes = body.subarray(0, n);
    binary = body.subarray(n);
  }
  const req = parseJson(jsonBytes, 'request body');
  const params = req.parameters === undefined ? {} : req.parameters;
  if (!isObject(params)) throw badRequest('"parameters" must be an object');
  if (req.id !== undefined && typeof req.id !== 'string') throw badRequest(`"id" must be a string, got ${JSON.stringify(req.id)}`);
  if (!Array.isArray(req.inputs) || req.inputs.length === 0) throw badRequest('"inputs" must be a non-empty list of tensors');
  const sequence = sequenceFlags(params);

  const byName = new Map<string, InputTensor>();
  let offset = 0;
  for (const raw of req.inputs) {
    if (!isObject(raw) || typeof raw.name !== 'string') throw badRequest('every input needs a string "name"');
    const name = raw.name;
    const spec = inputs.find((i) => i.name === name);
    if (!spec) throw badRequest(`unknown input "${name}" (the model's inputs: ${inputs.map((i) => i.name).join(', ')})`);
    if (byName.has(name)) throw badRequest(`input "${name}" is given twice`);
    const datatype = checkDatatype(raw.datatype, name, spec.datatype);
    const shape = elementCount(raw.shape, name);
    checkShape(shape, spec, sequence !== null);
    const count = shape.reduce((a, b) => a * b, 1);
    const p = raw.parameters === undefined ? {} : raw.parameters;
    if (!isObject(p)) throw badRequest(`input "${name}": "parameters" must be an object`);
    let data: Float32Array | string[];
    if (p.binary_data_size !== undefined) {
      const size = p.binary_data_size;
      if (!Number.isSafeInteger(size) || (size as number) < 0) throw badRequest(`input "${name}": binary_data_size must be a non-negative integer`);
      if (raw.data !== undefined) throw badRequest(`input "${name}": give either "data" or binary_data_size, not both`);
      if (offset + (size as number) > binary.length) {
        throw badRequest(`input "${name}": binary_data_size ${size} runs past the ${binary.length} bytes of binary data after the JSON header`);
      }
      const bytes = binary.subarray(offset, offset + (size as number));
      data = datatype === 'BYTES' ? decodeBinaryStrings(bytes, count, name) : decodeBinaryData(bytes, datatype, count, name);
      offset += size as number;
    } else {
      data = datatype === 'BYTES' ? decodeJsonStrings(raw.data, count, name) : decodeJsonData(raw.data, datatype, count, name);
    }
    byName.set(name, { name, shape, data });
  }
  if (offset !== binary.length) throw badRequest(`${binary.length - offset} bytes of binary data after the JSON header belong to no input`);
  const missing = inputs.filter((i) => !byName.has(i.name));
  if (missing.length) throw badRequest(`missing input ${missing.map((i) => `"${i.name}"`).join(', ')}`);
  const ordered = inputs.map((i) => byName.get(i.name) as InputTensor);
  const batch = ordered[0].shape[0];
  for (const t of ordered) if (t.shape[0] !== batch) throw badRequest(`all inputs need the same batch size (first dimension): "${ordered[0].name}" has ${batch}, "${t.name}" has ${t.shape[0]}`);

  if (params.binary_data_output !== undefined && typeof params.binary_data_output !== 'boolean') {
    throw badRequest('parameters.binary_data_output must be true or false');
  }
  const allBinary = params.binary_data_output === true;
  let wanted: { name: string; binary: boolean }[];
  if (req.outputs === undefined) {
    wanted = outputs.map((o) => ({ name: o.name, binary: allBinary }));
  } else {
    if (!Array.isArray(req.outputs)) throw badRequest('"outputs" must be a list');
    wanted = req.outputs.map((o) => {
      if (!isObject(o) || typeof o.name !== 'string') throw badRequest('every requested output needs a string "name"');
      if (!outputs.some((m) => m.name === o.name)) throw badRequest(`unknown output "${o.name}" (the model's outputs: ${outputs.map((m) => m.name).join(', ')})`);
      const op = o.parameters === undefined ? {} : o.parameters;
      if (!isObject(op) || (op.binary_data !== undefined && typeof op.binary_data !== 'boolean')) throw badRequest(`output "${o.name}": parameters.binary_data must be true or false`);
      return { name: o.name, binary: op.binary_data === undefined ? allBinary : op.binary_data === true };
    });
  }
  return { id: req.id as string | undefined, inputs: ordered, outputs: wanted, sequence };
}

/** A sequence's steps may arrive in pieces of any length, even when the model fixes the time axis. */
function checkShape(shape: number[], spec: TensorSpec, piece: boolean): void {
  const ok = shape.length === spec.shape.length && spec.shape.every((d, i) => (i === 0 || d === -1 || (piece && i === 1) ? shape[i] >= 1 : shape[i] === d));
  if (!ok || shape[0] < 1) {
    throw badRequest(`input "${spec.name}": shape ${JSON.stringify(shape)} does not fit the model's ${JSON.stringify(spec.shape)} (-1: any size >= 1${piece ? '; a sequence request may carry any number of time steps' : ''})`);
  }
}

/** One output to send back. */
export interface OutputTensor {
  name: string;
  shape: number[];
  data: Float32Array;
  binary: boolean;
}

/** A response body: JSON, or JSON header + binary tensors (then `headerLength` is set). */
export interface EncodedResponse {
  body: Buffer;
  headerLength?: number;
}

/** Encodes an inference response (outputs are float32: the engine computes in float32). */
export function encodeInferResponse(modelName: string, id: string | undefined, outputs: OutputTensor[], parameters?: Record<string, unknown>): EncodedResponse {
  const blobs: Uint8Array[] = [];
  const head = {
    model_name: modelName,
    model_version: '1',
    ...(id !== undefined ? { id } : {}),
    ...(parameters ? { parameters } : {}),
    outputs: outputs.map((o) => {
      const base = { name: o.name, datatype: 'FP32', shape: o.shape };
      if (!o.binary) return { ...base, data: Array.from(o.data) };
      const bytes = encodeBinaryData(o.data);
      blobs.push(bytes);
      return { ...base, parameters: { binary_data_size: bytes.length } };
    }),
  };
  const json = Buffer.from(JSON.stringify(head));
  if (blobs.length === 0) return { body: json };
  return { body: Buffer.concat([json, ...blobs]), headerLength: json.length };
}
