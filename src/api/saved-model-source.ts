/**
 * Where a SavedModel directory can come from: a folder path (Node), a URL of the folder, a
 * browser FileList / File[] from a directory picker or drop (`webkitRelativePath`), a
 * `{ relativePath: bytes }` map, or a zip of the folder. Each becomes a {@link SavedModelFiles}.
 * Kept apart from read-source.ts (single files) so the two dispatches stay independent.
 * @packageDocumentation
 */
import { ModelFileError, ResourceLimitError } from '../errors.js';
import type { SavedModelFiles } from '../formats/saved-model.js';
import { extractZipEntry, readZipDirectory, ZipLimitError, type ZipEntry } from '../formats/zip.js';

/** The file that makes a folder a SavedModel. */
const MARKER = 'saved_model.pb';

interface BlobLike {
  arrayBuffer(): Promise<ArrayBuffer>;
  slice?(start: number, end: number): BlobLike;
  name?: string;
  webkitRelativePath?: string;
}

function isBlobLike(v: unknown): v is BlobLike {
  return typeof v === 'object' && v !== null && typeof (v as BlobLike).arrayBuffer === 'function';
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

function normalise(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.?\//, '');
}

/**
 * Files given by their relative paths; the SavedModel is the folder of the shallowest
 * `saved_model.pb` (a picked folder's files all start with the folder's own name).
 */
function fromPathList(name: string, paths: string[], read: (path: string) => Promise<Uint8Array>): SavedModelFiles {
  const markers = paths.filter((p) => p === MARKER || p.endsWith(`/${MARKER}`));
  const depth = (p: string) => p.split('/').length;
  const shallowest = Math.min(...markers.map(depth));
  const top = markers.filter((p) => depth(p) === shallowest);
  if (top.length > 1) {
    throw new ModelFileError(`these files hold ${top.length} SavedModel directories (${top.join(', ')}); pass one`, { file: name });
  }
  const prefix = top[0].slice(0, top[0].length - MARKER.length);
  const known = new Set(paths);
  const cache = new Map<string, Promise<Uint8Array>>();
  const get = (path: string): Promise<Uint8Array> | null => {
    const full = prefix + path;
    if (!known.has(full)) return null;
    let p = cache.get(full);
    if (!p) cache.set(full, (p = read(full)));
    return p;
  };
  const label = prefix ? `${name}/${prefix.replace(/\/$/, '')}` : name;
  return {
    name: label,
    read: async (path) => get(path),
    readRange: async (path, offset, length) => {
      const bytes = await get(path);
      return bytes ? bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)) : null;
    },
  };
}

/** A folder in Node: files are read when asked for, shards by byte range. */
async function nodeDirectory(dir: string): Promise<SavedModelFiles> {
  const fs = await import('node:fs/promises');
  const join = (p: string) => `${dir.replace(/[\\/]+$/, '')}/${p}`;
  const missing = (e: unknown) => (e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR';
  const fail = (p: string, e: unknown): never => {
    throw new ModelFileError(`cannot read the file (${(e as { code?: string }).code ?? 'error'})`, { file: join(p) }, { cause: e });
  };
  return {
    name: dir.replace(/[\\/]+$/, ''),
    async read(path) {
      try {
        return new Uint8Array(await fs.readFile(join(path)));
      } catch (e) {
        return missing(e) ? null : fail(path, e);
      }
    },
    async readRange(path, offset, length) {
      let handle;
      try {
        handle = await fs.open(join(path), 'r');
      } catch (e) {
        return missing(e) ? null : fail(path, e);
      }
      try {
        const size = (await handle.stat()).size;
        const n = Math.max(0, Math.min(length, size - offset));
        const out = new Uint8Array(n);
        let done = 0;
        while (done < n) {
          const { bytesRead } = await handle.read(out, done, n - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return out.subarray(0, done);
      } catch (e) {
        return fail(path, e);
      } finally {
        await handle.close();
      }
    },
  };
}

/** A folder on a web server: `base` ends with `/`; files are fetched when asked for. */
function urlDirectory(base: string): SavedModelFiles {
  const cache = new Map<string, Promise<Uint8Array | null>>();
  const get = (path: string): Promise<Uint8Array | null> => {
    let p = cache.get(path);
    if (!p) {
      const url = new URL(path, base).toString();
      p = (async () => {
        let response: Response;
        try {
          response = await fetch(url);
        } catch (cause) {
          throw new ModelFileError('could not fetch the file', { file: url }, { cause });
        }
        if (response.status === 404) return null;
        if (!response.ok) throw new ModelFileError(`fetching the file failed with HTTP ${response.status}`, { file: url });
        return new Uint8Array(await response.arrayBuffer());
      })();
      cache.set(path, p);
    }
    return p;
  };
  return {
    name: base.replace(/\/$/, ''),
    read: get,
    readRange: async (path, offset, length) => {
      const bytes = await get(path);
      return bytes ? bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length)) : null;
    },
  };
}

function bytesOf(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

/** Files only a SavedModel directory holds besides its marker. */
function isSavedModelPart(path: string): boolean {
  return /(^|\/)(keras_metadata\.pb|variables\/variables\.(index|data-\d{5}-of-\d{5}))$/.test(path);
}

function noMarker(name: string, paths: string[]): ModelFileError {
  const shown = paths.slice(0, 8).join(', ') + (paths.length > 8 ? ', ...' : '');
  return new ModelFileError(`these files hold no ${MARKER}, so they are not a whole SavedModel directory (files: ${shown || 'none'})`, { file: name });
}

function hasMarker(paths: string[]): boolean {
  return paths.some((p) => p === MARKER || p.endsWith(`/${MARKER}`));
}

/**
 * The SavedModel files of `source` when it is a directory form, null when it is something else
 * (a single model file, `{ config, weights }`), so the caller falls through to the file readers.
 */
export async function savedModelFilesFor(source: unknown, fallbackName: string): Promise<SavedModelFiles | null> {
  if (typeof source === 'string' || source instanceof URL) {
    const text = source.toString();
    const isUrl = source instanceof URL || /^(https?|blob|data|file):/i.test(text);
    if (isUrl && text.startsWith('file:') && isNode()) {
      const { fileURLToPath } = await import('node:url');
      return savedModelFilesFor(fileURLToPath(text), fallbackName);
    }
    if (isUrl || !isNode()) {
      const base = (globalThis as { location?: { href: string } }).location?.href;
      const url = isUrl ? text : base ? new URL(text, base).toString() : null;
      if (!url) return null;
      const path = new URL(url).pathname;
      if (path.endsWith('/')) return urlDirectory(url);
      if (path.endsWith(`/${MARKER}`)) return urlDirectory(url.slice(0, url.lastIndexOf('/') + 1));
      return null;
    }
    const { stat } = await import('node:fs/promises');
    try {
      if (!(await stat(text)).isDirectory()) {
        // the folder's saved_model.pb itself stands for the folder
        const base = text.split(/[\\/]/).pop();
        return base === MARKER && text.length > MARKER.length ? nodeDirectory(text.slice(0, text.length - MARKER.length - 1)) : base === MARKER ? nodeDirectory('.') : null;
      }
    } catch {
      return null; // read-source.ts reports a missing path
    }
    const dir = await nodeDirectory(text);
    if ((await dir.readRange(MARKER, 0, 0)) === null) {
      throw new ModelFileError(`this folder has no ${MARKER}: not a SavedModel directory (pass a .h5 / .keras file, or the folder model.save() wrote)`, { file: text });
    }
    return dir;
  }
  if (typeof source !== 'object' || source === null || source instanceof Uint8Array || source instanceof ArrayBuffer || ArrayBuffer.isView(source) || isBlobLike(source)) {
    return null;
  }
  // FileList or File[] (a directory picker / drop): paths from webkitRelativePath, else the name.
  const list = source as ArrayLike<unknown>;
  if (typeof list.length === 'number' && (Array.isArray(source) || typeof (source as { item?: unknown }).item === 'function')) {
    const files = Array.from(list);
    if (!files.length || !files.every(isBlobLike)) return null;
    const byPath = new Map<string, BlobLike>();
    for (const f of files) byPath.set(normalise(f.webkitRelativePath || f.name || ''), f);
    const paths = [...byPath.keys()];
    if (!hasMarker(paths)) {
      if (paths.some(isSavedModelPart)) throw noMarker(fallbackName, paths);
      return null;
    }
    const root = paths.find((p) => p.endsWith(MARKER)) as string;
    const name = root.includes('/') ? root.split('/')[0] : fallbackName;
    return fromPathList(name, paths, async (p) => new Uint8Array(await (byPath.get(p) as BlobLike).arrayBuffer()));
  }
  // { relativePath: bytes }
  if ('config' in source) return null;
  const entries = Object.entries(source as Record<string, unknown>);
  if (!entries.length) return null;
  if (!hasMarker(entries.map(([k]) => normalise(k)))) {
    if (entries.every(([, v]) => bytesOf(v) !== null)) throw noMarker(fallbackName, entries.map(([k]) => normalise(k)));
    return null;
  }
  const map = new Map<string, Uint8Array>();
  for (const [k, v] of entries) {
    const b = bytesOf(v);
    if (!b) throw new ModelFileError('a SavedModel file map must hold bytes (Uint8Array / ArrayBuffer) for every path', { file: fallbackName, field: k });
    map.set(normalise(k), b);
  }
  return fromPathList(fallbackName, [...map.keys()], async (p) => map.get(p) as Uint8Array);
}

/**
 * A zip of a SavedModel directory, or null when the zip holds no `saved_model.pb` (a `.keras`
 * archive). Members are inflated when asked for, within the `maxInflatedBytes` budget.
 */
export function savedModelFilesInZip(bytes: Uint8Array, fileName: string, maxInflatedBytes: number): SavedModelFiles | null {
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(bytes);
  } catch {
    return null; // the .keras reader reports a damaged zip
  }
  const byPath = new Map<string, ZipEntry>();
  for (const e of entries) if (!e.name.endsWith('/')) byPath.set(normalise(e.name), e);
  if (!hasMarker([...byPath.keys()])) {
    if ([...byPath.keys()].some(isSavedModelPart)) throw noMarker(fileName, [...byPath.keys()]);
    return null;
  }
  let budget = maxInflatedBytes;
  return fromPathList(fileName, [...byPath.keys()], async (p) => {
    const entry = byPath.get(p) as ZipEntry;
    try {
      const data = extractZipEntry(bytes, entry, budget);
      budget -= data.length;
      return data;
    } catch (cause) {
      if (cause instanceof ZipLimitError && !cause.lying) {
        throw new ResourceLimitError(`${cause.message}, more than the cap limits.maxInflatedBytes = ${maxInflatedBytes} for the members read`, { file: `${fileName}!/${entry.name}` });
      }
      throw new ModelFileError(
        `cannot read zip member "${entry.name}": ${cause instanceof Error ? cause.message : String(cause)} (the members read may inflate to at most limits.maxInflatedBytes = ${maxInflatedBytes} bytes in total)`,
        { file: fileName },
        { cause },
      );
    }
  });
}
