import { ModelFileError } from '../errors.js';

/**
 * Git LFS pointer files. A repository that tracks models with Git LFS holds, in place of each
 * model file, a small text file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md):
 * `version https://git-lfs.github.com/spec/v1`, `oid sha256:<hex>`, `size <bytes>`, one key per
 * line. Users who clone without LFS or download the raw file get this pointer, not the model.
 */

/** Pointers are under 1024 bytes by the spec. */
const MAX_POINTER_BYTES = 1024;
/** The spec's version line; `hawser` is the pre-release name that early pointers carry. */
const VERSION_LINE = /^version https:\/\/(git-lfs|hawser)\.github\.com\/spec\/v\d+$/;

/** What a Git LFS pointer says about the file it stands for. */
export interface LfsPointer {
  /** Size in bytes of the real file (the `size` line), or null if the line is absent or malformed. */
  size: number | null;
  /** The `oid` value (`sha256:<hex>`), or null if absent. */
  oid: string | null;
}

/** The pointer's fields if `bytes` is a Git LFS pointer file, null otherwise. */
export function readLfsPointer(bytes: Uint8Array): LfsPointer | null {
  if (bytes.length > MAX_POINTER_BYTES) return null;
  let text = '';
  for (const b of bytes) {
    if (b > 0x7e || (b < 0x20 && b !== 0x0a && b !== 0x0d)) return null;
    text += String.fromCharCode(b);
  }
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0 || !VERSION_LINE.test(lines[0])) return null;
  let size: number | null = null;
  let oid: string | null = null;
  for (const line of lines.slice(1)) {
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'size' && /^\d{1,15}$/.test(value)) size = Number(value);
    else if (key === 'oid') oid = value;
  }
  return { size, oid };
}

/**
 * Throws a ModelFileError that says what happened if `bytes` is a Git LFS pointer: any file of a
 * model (a weight shard, a tensor bundle, model.json's weight files) may be one when the
 * repository tracks it with LFS.
 */
export function refuseLfsPointer(bytes: Uint8Array, file: string): void {
  const pointer = readLfsPointer(bytes);
  if (!pointer) return;
  const real = pointer.size === null ? 'this file' : `this file (${pointer.size} bytes)`;
  throw new ModelFileError(
    `this is a Git LFS pointer file, not the model's data: the repository stores ${real} in Git LFS; fetch it with \`git lfs pull\` (or download the file through the LFS / media URL)`,
    { file },
  );
}
