import { zipSync } from 'fflate';

/**
 * Writes a zip archive with stored (uncompressed) members, as Python's `zipfile.ZipFile(..., "w")`
 * does by default, which is how Keras 3 writes `.keras` archives. Members keep the given order.
 * `date` is every member's modification time (zip's DOS time: local, 2-second resolution,
 * years 1980-2099).
 */
export function writeZip(members: readonly [string, Uint8Array][], date: Date): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  for (const [name, bytes] of members) {
    if (Object.hasOwn(files, name)) throw new RangeError(`two zip members are named "${name}"`);
    files[name] = [bytes, { level: 0, mtime: date }];
  }
  return zipSync(files);
}
