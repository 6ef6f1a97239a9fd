import { ModelFileError } from '../errors.js';

/** Bytes of a model file and the name used in messages. */
export interface SourceBytes {
  bytes: Uint8Array;
  fileName: string;
}

/** A Blob / File (browsers, Node 20). */
interface BlobLike {
  arrayBuffer(): Promise<ArrayBuffer>;
  name?: string;
}

function isBlobLike(v: unknown): v is BlobLike {
  return typeof v === 'object' && v !== null && typeof (v as BlobLike).arrayBuffer === 'function';
}

function looksLikeUrl(s: string): boolean {
  return /^(https?|blob|data|file):/i.test(s);
}

/** Reads a path (Node), URL, Blob/File, ArrayBuffer or Uint8Array into bytes. */
export async function readSourceBytes(source: unknown, fallbackName: string): Promise<SourceBytes> {
  if (source instanceof Uint8Array) return { bytes: source, fileName: fallbackName };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), fileName: fallbackName };
  if (ArrayBuffer.isView(source)) {
    return { bytes: new Uint8Array(source.buffer, source.byteOffset, source.byteLength), fileName: fallbackName };
  }
  if (isBlobLike(source)) {
    return { bytes: new Uint8Array(await source.arrayBuffer()), fileName: source.name ?? fallbackName };
  }
  if (source instanceof URL || (typeof source === 'string' && looksLikeUrl(source))) {
    const url = source.toString();
    if (url.startsWith('file:') && typeof process !== 'undefined' && process.versions?.node) {
      const { fileURLToPath } = await import('node:url');
      return readSourceBytes(fileURLToPath(url), url);
    }
    let response: Response;
    try {
      response = await fetch(url);
    } catch (cause) {
      throw new ModelFileError('could not fetch the model', { file: url }, { cause });
    }
    if (!response.ok) throw new ModelFileError(`fetching the model failed with HTTP ${response.status}`, { file: url });
    return { bytes: new Uint8Array(await response.arrayBuffer()), fileName: url };
  }
  if (typeof source === 'string' && /^\s*[{[]/.test(source)) {
    // JSON text, not a path: the model's config given where a file was expected.
    throw new ModelFileError('this string is JSON text, not a path or URL; pass an architecture as loadModel({ config: text, weights })', { value: source });
  }
  if (typeof source === 'string') {
    if (typeof process === 'undefined' || !process.versions?.node) {
      // In a page a relative string is a URL relative to the document, as fetch() reads it.
      const base = (globalThis as { location?: { href: string } }).location?.href;
      if (base) return readSourceBytes(new URL(source, base), fallbackName);
      throw new ModelFileError('a file path can only be read in Node.js; pass a URL, File or ArrayBuffer here', { file: source });
    }
    const { readFile } = await import('node:fs/promises');
    try {
      return { bytes: new Uint8Array(await readFile(source)), fileName: source };
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      throw new ModelFileError(code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`, { file: source }, { cause });
    }
  }
  throw new ModelFileError('unsupported model source: pass a path, URL, File/Blob, ArrayBuffer, Uint8Array or { config, weights }', {
    value: source === null ? 'null' : Array.isArray(source) ? 'an array' : typeof source,
  });
}
