/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of LevelDB table blocks and
 * TensorFlow tensor bundles, and the "masked" form both store (a CRC of data that itself holds
 * CRCs is weak, so LevelDB rotates the value and adds a constant before storing it).
 * @packageDocumentation
 */

/** Slicing-by-8 tables: eight 256-entry tables, so the main loop eats 8 bytes per step. */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) t[s * 256 + n] = (t[(s - 1) * 256 + n] >>> 8) ^ t[t[(s - 1) * 256 + n] & 0xff];
  }
  return t;
})();

/**
 * Extends `crc` (a finished CRC-32C of earlier bytes, 0 for none) over `bytes`.
 * @returns The CRC-32C of the concatenation, as an unsigned 32-bit number.
 */
export function crc32cExtend(crc: number, bytes: Uint8Array): number {
  const t = TABLES;
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const lo = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    c =
      t[7 * 256 + (lo & 0xff)] ^
      t[6 * 256 + ((lo >>> 8) & 0xff)] ^
      t[5 * 256 + ((lo >>> 16) & 0xff)] ^
      t[4 * 256 + (lo >>> 24)] ^
      t[3 * 256 + bytes[i + 4]] ^
      t[2 * 256 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  return crc32cExtend(0, bytes);
}

const MASK_DELTA = 0xa282ead8;

/** The stored form of a CRC (LevelDB's `crc32c::Mask`): rotate right by 15, add a constant. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** Inverse of {@link maskCrc}. */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
