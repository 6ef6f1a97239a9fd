/**
 * Keras 3 `.keras` archives: a zip holding `config.json` (the model's `serialize_keras_object`
 * output), `metadata.json` (`keras_version`, `date_saved`), `model.weights.h5` (the variables,
 * grouped by layer path) and maybe `assets/` (see keras/src/saving/saving_lib.py).
 *
 * Model files are untrusted: every member's declared size is checked against a total cap before
 * anything is inflated, and inflating stops as soon as a member's output passes its declared
 * size (headers can lie) or the cap.
 * @packageDocumentation
 */
import { InvalidKerasConfigurationError, KerasRnnError, ModelFileError, ResourceLimitError } from '../errors.js';
import { H5Group, H5Options, readHdf5 } from './h5.js';
import { decodeUtf8, JsonConfigOptions, parseJsonConfig } from './json-config.js';
import { extractZipEntry, hasZipSignature, readZipDirectory, ZipEntry, ZipLimitError } from './zip.js';

/** A `.keras` archive's contents. */
export interface KerasArchive {
  /** Parsed `config.json`. */
  config: unknown;
  /** Parsed `metadata.json` (`{}` if the archive has none). */
  metadata: Record<string, unknown>;
  /** Root group of `model.weights.h5`; `null` only when `requireWeights` is false and it is absent. */
  weights: H5Group | null;
  /** The archive's name as given to {@link readKerasArchive}. */
  fileName: string;
  /** Members under `assets/` (e.g. `layers/text_vectorization/vocabulary.txt`), keyed without the prefix. */
  assets: Map<string, Uint8Array>;
}

/** Limits and options for {@link readKerasArchive}. */
export interface KerasArchiveOptions extends JsonConfigOptions, H5Options {
  /** Total inflated bytes of the members read (default {@link DEFAULT_MAX_INFLATED_BYTES}). */
  maxInflatedBytes?: number;
  /** If false, a missing `model.weights.h5` gives `weights: null` instead of an error (default true). */
  requireWeights?: boolean;
}

/** Default of {@link KerasArchiveOptions.maxInflatedBytes}: 2 GiB. */
export const DEFAULT_MAX_INFLATED_BYTES = 2 * 1024 ** 3;

/** Member names defined by Keras' saving_lib. */
export const KERAS_ARCHIVE_MEMBERS = {
  config: 'config.json',
  metadata: 'metadata.json',
  weights: 'model.weights.h5',
} as const;

/** True if `bytes` starts with a zip signature (`PK\x03\x04`, or `PK\x05\x06` for an empty zip). */
export function isZip(bytes: Uint8Array): boolean {
  return hasZipSignature(bytes);
}

/**
 * Reads a `.keras` archive.
 * @param bytes The whole archive.
 * @param fileName Used in error messages; members are named `<fileName>!/<member>`.
 * @param limits `maxInflatedBytes` caps the total size of the members read; JSON depth and
 *   dataset element caps are passed on to {@link parseJsonConfig} and {@link readHdf5}.
 * @throws ModelFileError for a corrupt or truncated archive, or a member that is not JSON / HDF5.
 * @throws InvalidKerasConfigurationError if `config.json` or `model.weights.h5` is missing.
 * @throws ResourceLimitError if the members would inflate past `maxInflatedBytes`.
 */
export function readKerasArchive(bytes: Uint8Array, fileName: string, limits: KerasArchiveOptions = {}): KerasArchive {
  const cap = limits.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  const requireWeights = limits.requireWeights ?? true;
  const wrap = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof KerasRnnError) throw e;
      if (e instanceof ZipLimitError && !e.lying) {
        throw new ResourceLimitError(
          `${e.message}, more than the cap of ${cap} inflated bytes (raise it with the maxInflatedBytes option)`,
          { file: fileName },
        );
      }
      const detail = e instanceof Error ? e.message : String(e);
      const prefix = e instanceof ZipLimitError ? 'corrupt or malicious archive: ' : '';
      throw new ModelFileError(`cannot read ${what}: ${prefix}${detail}`, { file: fileName }, { cause: e });
    }
  };
  if (!isZip(bytes)) throw new ModelFileError('not a .keras archive (no zip signature)', { file: fileName });
  const entries = wrap('the zip directory', () => readZipDirectory(bytes));
  const byName = new Map<string, ZipEntry>();
  for (const entry of entries) byName.set(entry.name, entry); // like Python's zipfile, the last one wins
  const present = entries.map((e) => e.name).filter((n) => !n.startsWith('assets/'));
  const missing = (member: string): never => {
    throw new InvalidKerasConfigurationError(
      `the .keras archive has no "${member}" member (members: ${present.slice(0, 12).join(', ') || 'none'}${present.length > 12 ? ', ...' : ''})`,
      { file: fileName, field: member },
    );
  };
  const configEntry = byName.get(KERAS_ARCHIVE_MEMBERS.config) ?? missing(KERAS_ARCHIVE_MEMBERS.config);
  const metadataEntry = byName.get(KERAS_ARCHIVE_MEMBERS.metadata);
  const weightsEntry = byName.get(KERAS_ARCHIVE_MEMBERS.weights) ?? (requireWeights ? missing(KERAS_ARCHIVE_MEMBERS.weights) : undefined);

  // Every declared size is checked against the cap before anything is inflated.
  const assetEntries = entries.filter((e) => e.name.startsWith('assets/') && !e.name.endsWith('/'));
  const wanted = [configEntry, metadataEntry, weightsEntry, ...assetEntries].filter((e): e is ZipEntry => e !== undefined);
  const declared = wanted.reduce((sum, e) => sum + e.size, 0);
  if (declared > cap) {
    throw new ResourceLimitError(
      `the archive's members declare ${declared} bytes (${wanted.map((e) => `${e.name}: ${e.size}`).join(', ')}), more than the cap of ${cap} inflated bytes (raise it with the maxInflatedBytes option)`,
      { file: fileName },
    );
  }
  let budget = cap;
  const extract = (entry: ZipEntry): Uint8Array =>
    wrap(`member "${entry.name}"`, () => {
      const data = extractZipEntry(bytes, entry, budget);
      budget -= data.length;
      return data;
    });

  const memberName = (m: string) => `${fileName}!/${m}`;
  const config = parseJsonConfig(decodeUtf8(extract(configEntry)), memberName(configEntry.name), limits);
  let metadata: Record<string, unknown> = {};
  if (metadataEntry) {
    const parsed = parseJsonConfig(decodeUtf8(extract(metadataEntry)), memberName(metadataEntry.name), limits);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ModelFileError('metadata.json is not a JSON object', { file: memberName(metadataEntry.name) });
    }
    metadata = parsed as Record<string, unknown>;
  }
  const weights = weightsEntry ? readHdf5(extract(weightsEntry), memberName(weightsEntry.name), limits) : null;
  const assets = new Map<string, Uint8Array>();
  for (const e of assetEntries) assets.set(e.name.slice('assets/'.length), extract(e));
  return { config, metadata, weights, fileName, assets };
}

