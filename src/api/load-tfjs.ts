import { InvalidKerasConfigurationError, ModelFileError } from '../errors.js';
import { refuseLfsPointer } from '../formats/lfs-pointer.js';
import { decodeUtf8, parseJsonConfig } from '../formats/json-config.js';
import { readTrainingConfig, type FileTrainingConfig } from '../training/training-config.js';
import { isTfjsModelJson, readTfjsModelJson, tfjsWeights, type TfjsModelJson } from '../formats/tfjs-model.js';
import { tfjsGeneration, type KerasGeneration } from '../keras/generation.js';
import { tfjsWeightSource } from '../keras/tfjs-weights.js';
import type { WeightSource } from '../keras/weights.js';
import { limitError, type ResolvedLimits } from './limits.js';
import { readSourceBytes } from './read-source.js';

type Bytes = Uint8Array | ArrayBuffer | Blob;

/** The TF.js source forms besides a model.json path / URL: `{ modelJson, weights }` or a `File[]`. */
export interface TfjsSource {
  /** The model.json: parsed object, its text, its bytes, or its path / URL. */
  modelJson: object | string | Uint8Array | ArrayBuffer | Blob | URL;
  /** The weight files by the names the manifest's `paths` give (or their last path segment). */
  weights?: Record<string, Bytes>;
}

/** What a TF.js model reads into for loadModel. */
export interface LoadedTfjs {
  json: unknown;
  generation: KerasGeneration;
  weights: WeightSource | null;
  fileName: string;
  format: string;
  formatDetails: string;
  trainingConfig?: FileTrainingConfig | null;
}

/** Where the weight files of a model.json are: beside its path / URL, or in a name map. */
type FileResolver = (path: string) => Promise<Uint8Array>;

interface BlobLike {
  arrayBuffer(): Promise<ArrayBuffer>;
  name?: string;
}

function isBlobLike(v: unknown): v is BlobLike {
  return typeof v === 'object' && v !== null && typeof (v as BlobLike).arrayBuffer === 'function';
}

/** True for `{ modelJson, ... }` and for a list of files holding a `model.json`. */
export function isTfjsSource(source: unknown): boolean {
  if (source === null || typeof source !== 'object') return false;
  if ('modelJson' in source) return true;
  const list = fileList(source);
  return list !== null && list.some((f) => f.name?.endsWith('.json'));
}

/** A FileList / File[] (browsers) as an array, or null. */
function fileList(source: object): BlobLike[] | null {
  const items = Array.isArray(source) ? source : typeof (source as { length?: unknown }).length === 'number' && typeof (source as { item?: unknown }).item === 'function' ? Array.from(source as ArrayLike<unknown>) : null;
  return items && items.length > 0 && items.every(isBlobLike) ? (items as BlobLike[]) : null;
}

/**
 * Manifest paths are relative file names; a path that is absolute, has a scheme or climbs out of
 * the model's folder with `..` is refused rather than read (a model.json is untrusted).
 */
function checkedPath(path: string, file: string): string {
  if (/^([a-z][a-z0-9+.-]*:|[\\/])/i.test(path) || path.split(/[\\/]/).includes('..')) {
    throw new ModelFileError('a weightsManifest path must be a relative file name inside the model folder', { file, field: 'weightsManifest.paths', value: path });
  }
  return path;
}

function lastSegment(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

async function bytesOf(value: Bytes, name: string): Promise<Uint8Array> {
  return (await readSourceBytes(value, name)).bytes;
}

/** Files beside a model.json read from a path (Node) or URL. */
function besideResolver(location: string): FileResolver {
  const isUrl = /^[a-z][a-z0-9+.-]*:/i.test(location) && !/^[a-z]:[\\/]/i.test(location);
  return async (path) => {
    if (isUrl) return (await readSourceBytes(new URL(path, location), path)).bytes;
    const slash = Math.max(location.lastIndexOf('/'), location.lastIndexOf('\\'));
    return (await readSourceBytes(slash >= 0 ? `${location.slice(0, slash + 1)}${path}` : path, path)).bytes;
  };
}

/** Files given by name: the manifest path, else its last segment (what a file picker names them). */
function mapResolver(files: ReadonlyMap<string, Bytes>, file: string): FileResolver {
  return async (path) => {
    const found = files.get(path) ?? files.get(lastSegment(path));
    if (found === undefined) {
      throw new ModelFileError(`the weight file "${path}" was not given (given: ${[...files.keys()].join(', ') || 'none'})`, { file, field: 'weightsManifest.paths', value: path });
    }
    return bytesOf(found, path);
  };
}

function noFiles(file: string): FileResolver {
  return async (path) => {
    throw new ModelFileError(
      `model.json came as bytes, so its weight file "${path}" cannot be found beside it: pass a path or URL, or { modelJson, weights: { "${path}": bytes } }`,
      { file, field: 'weightsManifest.paths', value: path },
    );
  };
}

/** Reads every group's files in `paths` order and concatenates them, counting bytes against the cap. */
async function groupBytes(model: TfjsModelJson, resolve: FileResolver, file: string, limits: ResolvedLimits): Promise<Uint8Array[]> {
  let total = 0;
  const out: Uint8Array[] = [];
  for (const group of model.groups) {
    const parts: Uint8Array[] = [];
    for (const p of group.paths) {
      let bytes: Uint8Array;
      try {
        bytes = await resolve(checkedPath(p, file));
      } catch (e) {
        if (!(e instanceof ModelFileError) || e.context.field !== undefined) throw e;
        throw new ModelFileError(`cannot read the weight file "${p}" that model.json's weightsManifest lists (${e.message})`, { file, field: 'weightsManifest.paths', value: p }, { cause: e });
      }
      refuseLfsPointer(bytes, p);
      total += bytes.length;
      if (total > limits.maxWeightBytes) throw limitError(`the weight files hold more than ${limits.maxWeightBytes} bytes`, 'maxWeightBytes', limits.maxWeightBytes, { file, value: p });
      parts.push(bytes);
    }
    const joined = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of parts) {
      joined.set(b, at);
      at += b.length;
    }
    out.push(joined);
  }
  return out;
}

function describe(model: TfjsModelJson, generation: KerasGeneration): string {
  const parts = [`format ${model.format ?? 'none stated (older converter)'}`];
  if (model.convertedBy) parts.push(`converted by ${model.convertedBy}`);
  if (model.generatedBy) parts.push(`generated by ${model.generatedBy}`);
  else parts.push(`Keras ${generation.version}`);
  const entries = model.groups.flatMap((g) => g.weights);
  const files = model.groups.reduce((n, g) => n + g.paths.length, 0);
  parts.push(`${entries.length} weights in ${model.groups.length} group${model.groups.length === 1 ? '' : 's'} / ${files} file${files === 1 ? '' : 's'}`);
  const quantized = [...new Set(entries.map((e) => e.quantization?.dtype).filter((d) => d !== undefined))];
  if (quantized.length) parts.push(`quantized ${quantized.join(', ')}`);
  return `TF.js layers model (${parts.join('; ')})`;
}

/** A parsed model.json and where its weight files are, into what loadModel needs. */
export async function loadTfjsModelJson(json: unknown, fileName: string, resolve: FileResolver, limits: ResolvedLimits): Promise<LoadedTfjs> {
  const model = readTfjsModelJson(json, fileName, limits.maxWeightBytes);
  const generation = tfjsGeneration(model.modelConfig, model.kerasVersion, model.backend);
  const weights = model.groups.length > 0 ? tfjsWeightSource(tfjsWeights(model, await groupBytes(model, resolve, fileName, limits), fileName), fileName) : null;
  const rec = json as { trainingConfig?: unknown; modelTopology?: { training_config?: unknown } };
  // tf.LayersModel.save() writes trainingConfig beside modelTopology; the Python converter keeps
  // the .h5's training_config inside modelTopology
  const trainingConfig = readTrainingConfig(rec.trainingConfig ?? rec.modelTopology?.training_config, rec.trainingConfig ? 'trainingConfig' : 'training_config');
  return { json: model.modelConfig, generation, weights, fileName, format: 'tfjs-layers', formatDetails: describe(model, generation), trainingConfig };
}

/** model.json given as bytes read from `location` (a path or URL), or from nowhere (raw bytes). */
export function tfjsResolverFor(location: string | null, fileName: string): FileResolver {
  return location === null ? noFiles(fileName) : besideResolver(location);
}

/** `{ modelJson, weights }` or a `File[]` / `FileList` holding model.json and its weight files. */
export async function loadTfjsSource(source: object, fallbackName: string, limits: ResolvedLimits): Promise<LoadedTfjs> {
  const list = fileList(source);
  if (list) {
    const jsons = list.filter((f) => f.name?.endsWith('.json'));
    const main = jsons.find((f) => f.name === 'model.json') ?? (jsons.length === 1 ? jsons[0] : undefined);
    if (!main) {
      throw new InvalidKerasConfigurationError('the files hold no single model.json', { file: fallbackName, field: 'files', value: list.map((f) => f.name) });
    }
    const name = main.name ?? 'model.json';
    const json = parseJsonConfig(decodeUtf8(new Uint8Array(await main.arrayBuffer())), name, { maxDepth: limits.maxConfigDepth });
    const files = new Map(list.filter((f) => f !== main).map((f) => [f.name ?? '', f as unknown as Blob]));
    return loadTfjsModelJson(json, name, mapResolver(files, name), limits);
  }
  const { modelJson, weights } = source as TfjsSource;
  let json: unknown;
  let name = fallbackName === 'model' ? 'model.json' : fallbackName;
  let location: string | null = null;
  if (typeof modelJson === 'string' && /^\s*[{[]/.test(modelJson)) json = parseJsonConfig(modelJson, name, { maxDepth: limits.maxConfigDepth });
  else if (modelJson !== null && typeof modelJson === 'object' && !(modelJson instanceof Uint8Array) && !(modelJson instanceof ArrayBuffer) && !(modelJson instanceof URL) && !isBlobLike(modelJson)) {
    let text: string | undefined;
    try {
      text = JSON.stringify(modelJson);
    } catch (cause) {
      throw new InvalidKerasConfigurationError('modelJson is not JSON data (cyclic or too deep)', { file: name, field: 'modelJson' }, { cause });
    }
    json = parseJsonConfig(text ?? 'null', name, { maxDepth: limits.maxConfigDepth });
  } else {
    const read = await readSourceBytes(modelJson, name);
    name = read.fileName;
    if (typeof modelJson === 'string' || modelJson instanceof URL) location = modelJson.toString();
    json = parseJsonConfig(decodeUtf8(read.bytes), name, { maxDepth: limits.maxConfigDepth });
  }
  if (!isTfjsModelJson(json)) {
    throw new InvalidKerasConfigurationError('modelJson is not a TF.js model.json (no modelTopology / weightsManifest)', { file: name, field: 'modelJson' });
  }
  const resolve = weights !== undefined && weights !== null ? mapResolver(new Map(Object.entries(weights)), name) : tfjsResolverFor(location, name);
  return loadTfjsModelJson(json, name, resolve, limits);
}
