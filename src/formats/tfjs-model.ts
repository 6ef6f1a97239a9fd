/**
 * TensorFlow.js layers models: a `model.json` (`modelTopology` = the Keras model config, maybe
 * wrapped in `model_config`; `weightsManifest` = groups of weight entries whose binary files are
 * read in `paths` order and concatenated) and its weight files. The manifest is untrusted: every
 * entry is checked (name, shape, dtype, quantization) and the bytes it claims are counted before
 * any file is read; a group whose files hold fewer bytes than its entries claim is refused.
 * Decoding follows tfjs-core's `io.decodeWeights`: entries are consecutive in their group's
 * bytes; `quantization` `uint8` / `uint16` values become `float32(v * scale + min)` (computed in
 * double precision, as JavaScript does), `float16` values are widened exactly.
 * @packageDocumentation
 */
import { InvalidKerasConfigurationError, ModelFileError, ResourceLimitError, UnsupportedKerasConfigurationError } from '../errors.js';

/** `quantization` of a manifest entry. */
export interface TfjsQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
}

/** One weight of a `weightsManifest` group. */
export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: TfjsQuantization;
  /** `'optimizer'` for optimizer state, which a layers model does not use. */
  group?: string;
  /** Bytes the entry takes in its group's concatenated files. */
  byteLength: number;
  /** Byte offset in the group's concatenated files. */
  offset: number;
}

/** One `weightsManifest` group: its files (read in order and concatenated) and entries. */
export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightEntry[];
  /** Bytes the entries take in total. */
  byteLength: number;
}

/** What a TF.js `model.json` holds, checked. */
export interface TfjsModelJson {
  /** `format` as stated (`layers-model`), or null for older converter output without one. */
  format: string | null;
  generatedBy: string | null;
  convertedBy: string | null;
  /** The Keras model config (`modelTopology`, unwrapped from `model_config` if wrapped). */
  modelConfig: unknown;
  /** `keras_version` of the topology (`2.6.0`, `3.5.0`, `tfjs-layers 4.22.0`), if stated. */
  kerasVersion?: string;
  /** `backend` of the topology (`tensorflow`, `tensor_flow.js`), if stated. */
  backend?: string;
  /** The weight groups; empty for a topology-only model.json. */
  groups: TfjsWeightGroup[];
}

/** A decoded weight. */
export interface TfjsWeight {
  name: string;
  shape: number[];
  group?: string;
  read(): Float32Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

/** Most dimensions / elements an entry may claim; checked before any multiplication overflows. */
const MAX_RANK = 16;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * True if a parsed JSON object is a TF.js model.json rather than a Keras config: it has a
 * `modelTopology` or a `weightsManifest`, or says `format: "layers-model"` / `"graph-model"`.
 */
export function isTfjsModelJson(json: unknown): boolean {
  if (!isObject(json)) return false;
  return 'modelTopology' in json || 'weightsManifest' in json || json.format === 'layers-model' || json.format === 'graph-model';
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function readShape(value: unknown, file: string, field: string): number[] {
  if (!Array.isArray(value) || value.length > MAX_RANK || !value.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InvalidKerasConfigurationError(`a weight shape must be a list of at most ${MAX_RANK} non-negative integers`, { file, field, value });
  }
  return value as number[];
}

function readQuantization(value: unknown, dtype: string, file: string, field: string): TfjsQuantization {
  if (!isObject(value)) throw new InvalidKerasConfigurationError('quantization must be an object', { file, field, value });
  const q = value.dtype;
  if (q === 'uint8' || q === 'uint16') {
    if (typeof value.scale !== 'number' || !Number.isFinite(value.scale) || typeof value.min !== 'number' || !Number.isFinite(value.min)) {
      throw new InvalidKerasConfigurationError(`${q} quantization needs finite numbers "scale" and "min"`, { file, field, value });
    }
    return { dtype: q, scale: value.scale, min: value.min };
  }
  if (q === 'float16') {
    if (dtype !== 'float32') {
      throw new InvalidKerasConfigurationError('float16 quantization applies only to float32 weights (as TF.js requires)', { file, field: `${field}.dtype`, value: dtype });
    }
    return { dtype: q };
  }
  throw new UnsupportedKerasConfigurationError('unknown quantization dtype (TF.js knows uint8, uint16 and float16)', { file, field: `${field}.dtype`, value: q });
}

function readManifest(value: unknown, file: string, maxBytes: number): TfjsWeightGroup[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidKerasConfigurationError('weightsManifest must be a list of groups', { file, field: 'weightsManifest', value });
  const names = new Set<string>();
  let total = 0;
  return value.map((g, gi): TfjsWeightGroup => {
    const where = `weightsManifest[${gi}]`;
    if (!isObject(g)) throw new InvalidKerasConfigurationError('a weightsManifest group must be an object', { file, field: where, value: g });
    const paths = g.paths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.length > 0)) {
      throw new InvalidKerasConfigurationError('a group needs "paths": a list of file names', { file, field: `${where}.paths`, value: paths });
    }
    if (!Array.isArray(g.weights)) throw new InvalidKerasConfigurationError('a group needs "weights": a list of entries', { file, field: `${where}.weights`, value: g.weights });
    if (paths.length === 0 && g.weights.length > 0) {
      throw new InvalidKerasConfigurationError('a group with weights needs at least one file in "paths"', { file, field: `${where}.paths`, value: paths });
    }
    let offset = 0;
    const weights = g.weights.map((w, wi): TfjsWeightEntry => {
      const field = `${where}.weights[${wi}]`;
      if (!isObject(w) || typeof w.name !== 'string' || w.name.length === 0) {
        throw new InvalidKerasConfigurationError('a weight entry needs a "name"', { file, field, value: isObject(w) ? w.name : w });
      }
      if (names.has(w.name)) throw new InvalidKerasConfigurationError('the manifest lists this weight twice', { file, field: `${field}.name`, value: w.name });
      names.add(w.name);
      const shape = readShape(w.shape, file, `${field}.shape`);
      const dtype = w.dtype;
      if (dtype !== 'float32' && dtype !== 'int32') {
        throw new UnsupportedKerasConfigurationError('only float32 and int32 weights can be read (a layers model has no other kind)', { file, field: `${field}.dtype`, value: dtype });
      }
      const quantization = w.quantization === undefined ? undefined : readQuantization(w.quantization, dtype, file, `${field}.quantization`);
      // Elements are counted in floating point: a product past 2^53 is refused by the cap below.
      const elements = shape.reduce((a, b) => a * b, 1);
      const byteLength = elements * BYTES[quantization?.dtype ?? dtype];
      total += elements * 4;
      if (!(total <= maxBytes)) {
        throw new ResourceLimitError(`the manifest's weights take more than ${maxBytes} bytes as float32 (raise it with the maxWeightBytes option)`, { file, field: `${field}.shape`, value: shape });
      }
      const entry: TfjsWeightEntry = { name: w.name, shape, dtype, quantization, byteLength, offset };
      if (typeof w.group === 'string') entry.group = w.group;
      offset += byteLength;
      return entry;
    });
    return { paths: paths as string[], weights, byteLength: offset };
  });
}

/**
 * Checks a parsed model.json. The manifest's claimed float32 size is checked against `maxBytes`
 * before anything else is read.
 * @throws UnsupportedKerasConfigurationError for a graph model (a TF.js graph has no Keras config).
 * @throws InvalidKerasConfigurationError for a missing topology or a malformed manifest.
 */
export function readTfjsModelJson(json: unknown, file: string, maxBytes: number): TfjsModelJson {
  if (!isObject(json)) throw new ModelFileError('model.json is not a JSON object', { file });
  if (json.format === 'graph-model') {
    throw new UnsupportedKerasConfigurationError(
      'this is a TF.js graph model (a frozen TensorFlow graph, no Keras layers); kerasrnn reads TF.js layers models',
      { file, field: 'format', value: json.format },
    );
  }
  if (json.format !== undefined && json.format !== null && json.format !== 'layers-model') {
    throw new UnsupportedKerasConfigurationError('unknown model.json format', { file, field: 'format', value: json.format });
  }
  const topology = json.modelTopology;
  if (!isObject(topology)) {
    throw new InvalidKerasConfigurationError('model.json has no modelTopology object (the Keras model config)', { file, field: 'modelTopology', value: topology });
  }
  const kerasVersion = str(topology.keras_version) ?? undefined;
  const backend = str(topology.backend) ?? undefined;
  // The converter wraps the config as {keras_version, backend, model_config}; tf.LayersModel.save() does not.
  const modelConfig = 'model_config' in topology && topology.model_config !== null ? topology.model_config : topology;
  if (!isObject(modelConfig)) {
    throw new InvalidKerasConfigurationError('modelTopology.model_config must be an object', { file, field: 'modelTopology.model_config', value: modelConfig });
  }
  return {
    format: str(json.format),
    generatedBy: str(json.generatedBy),
    convertedBy: str(json.convertedBy),
    modelConfig,
    kerasVersion: kerasVersion ?? str(modelConfig.keras_version) ?? undefined,
    backend: backend ?? str(modelConfig.backend) ?? undefined,
    groups: readManifest(json.weightsManifest, file, maxBytes),
  };
}

/**
 * Exact float16 -> float32 widening (the same values as tfjs-core's table decoder).
 * Half values are all exactly representable in float32.
 */
function float16ToFloat32(src: Uint16Array, out: Float32Array): void {
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1024 + frac) * 2 ** (exp - 25);
  }
}

/** Copies `length` bytes at `offset` into a fresh, aligned buffer (entries are packed unaligned). */
function aligned(bytes: Uint8Array, offset: number, length: number): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(offset, offset + length));
  return out.buffer;
}

/** Decodes one entry from its group's bytes, as tfjs-core's `decodeWeight` does (little-endian). */
function decodeEntry(entry: TfjsWeightEntry, bytes: Uint8Array): Float32Array {
  const buffer = aligned(bytes, entry.offset, entry.byteLength);
  const q = entry.quantization;
  if (!q) return entry.dtype === 'int32' ? Float32Array.from(new Int32Array(buffer)) : new Float32Array(buffer);
  if (q.dtype === 'float16') {
    const out = new Float32Array(entry.byteLength / 2);
    float16ToFloat32(new Uint16Array(buffer), out);
    return out;
  }
  const codes = q.dtype === 'uint8' ? new Uint8Array(buffer) : new Uint16Array(buffer);
  const scale = q.scale as number;
  const min = q.min as number;
  const out = new Float32Array(codes.length);
  // TF.js rounds int32 weights to integers after dequantizing; float32 ones keep float32(v * scale + min).
  if (entry.dtype === 'int32') for (let i = 0; i < codes.length; i++) out[i] = Math.round(codes[i] * scale + min);
  else for (let i = 0; i < codes.length; i++) out[i] = codes[i] * scale + min;
  return out;
}

/**
 * The weights of every group, given each group's files' bytes concatenated in `paths` order.
 * A group whose bytes are fewer than its entries claim is refused (TF.js would read past the end);
 * extra trailing bytes are ignored, as TF.js ignores them.
 * @throws ModelFileError naming the group's files and both sizes.
 */
export function tfjsWeights(model: TfjsModelJson, groupBytes: Uint8Array[], file: string): TfjsWeight[] {
  const out: TfjsWeight[] = [];
  model.groups.forEach((group, gi) => {
    const bytes = groupBytes[gi];
    if (bytes.length < group.byteLength) {
      throw new ModelFileError(
        `weight group ${gi} (${group.paths.join(', ')}) holds ${bytes.length} bytes, its ${group.weights.length} manifest entries need ${group.byteLength}`,
        { file, field: `weightsManifest[${gi}].paths`, value: group.paths },
      );
    }
    for (const entry of group.weights) {
      out.push({ name: entry.name, shape: entry.shape, group: entry.group, read: () => decodeEntry(entry, bytes) });
    }
  });
  return out;
}
