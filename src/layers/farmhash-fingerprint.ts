/**
 * FarmHash Fingerprint64 (farmhashna::Hash64 of Google's FarmHash 1.1): the hash behind
 * TensorFlow's `tf.strings.to_hash_bucket_fast`, and so Keras' `Hashing` layer without a salt and
 * the lookup layers' extra OOV buckets. A fingerprint never changes across platforms or versions.
 * Strings are hashed as their UTF-8 bytes. 64-bit arithmetic in BigInt: this is string
 * processing (one hash per token), not per-element math of a tensor.
 */
const M = 0xffffffffffffffffn;
const k0 = 0xc3a5c85c97cb3127n;
const k1 = 0xb492b66fbe98f273n;
const k2 = 0x9ae16a3b2f90404fn;

const mul = (a: bigint, b: bigint): bigint => (a * b) & M;
const add = (...xs: bigint[]): bigint => xs.reduce((s, x) => s + x, 0n) & M;
const rot = (v: bigint, s: number): bigint => (s === 0 ? v : ((v >> BigInt(s)) | (v << BigInt(64 - s))) & M);
const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);

function fetch64(b: Uint8Array, i: number): bigint {
  let v = 0n;
  for (let j = 7; j >= 0; j--) v = (v << 8n) | BigInt(b[i + j]);
  return v;
}

function fetch32(b: Uint8Array, i: number): bigint {
  return BigInt((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0);
}

function hashLen16(u: bigint, v: bigint, m: bigint): bigint {
  let a = mul(u ^ v, m);
  a ^= a >> 47n;
  let b = mul(v ^ a, m);
  b ^= b >> 47n;
  return mul(b, m);
}

function hashLen0to16(s: Uint8Array, len: number): bigint {
  if (len >= 8) {
    const m = add(k2, BigInt(len * 2));
    const a = add(fetch64(s, 0), k2);
    const b = fetch64(s, len - 8);
    const c = add(mul(rot(b, 37), m), a);
    const d = mul(add(rot(a, 25), b), m);
    return hashLen16(c, d, m);
  }
  if (len >= 4) {
    const m = add(k2, BigInt(len * 2));
    const a = fetch32(s, 0);
    return hashLen16(add(BigInt(len), (a << 3n) & M), fetch32(s, len - 4), m);
  }
  if (len > 0) {
    const y = BigInt((s[0] + (s[len >> 1] << 8)) >>> 0);
    const z = BigInt((len + (s[len - 1] << 2)) >>> 0);
    return mul(shiftMix(mul(y, k2) ^ mul(z, k0)), k2);
  }
  return k2;
}

function hashLen17to32(s: Uint8Array, len: number): bigint {
  const m = add(k2, BigInt(len * 2));
  const a = mul(fetch64(s, 0), k1);
  const b = fetch64(s, 8);
  const c = mul(fetch64(s, len - 8), m);
  const d = mul(fetch64(s, len - 16), k2);
  return hashLen16(add(rot(add(a, b), 43), rot(c, 30), d), add(a, rot(add(b, k2), 18), c), m);
}

function weak32(s: Uint8Array, i: number, a: bigint, b: bigint): [bigint, bigint] {
  const w = fetch64(s, i);
  const x = fetch64(s, i + 8);
  const y = fetch64(s, i + 16);
  const z = fetch64(s, i + 24);
  a = add(a, w);
  b = rot(add(b, a, z), 21);
  const c = a;
  a = add(a, x, y);
  b = add(b, rot(a, 44));
  return [add(a, z), add(b, c)];
}

function hashLen33to64(s: Uint8Array, len: number): bigint {
  const m = add(k2, BigInt(len * 2));
  const a = mul(fetch64(s, 0), k2);
  const b = fetch64(s, 8);
  const c = mul(fetch64(s, len - 8), m);
  const d = mul(fetch64(s, len - 16), k2);
  const y = add(rot(add(a, b), 43), rot(c, 30), d);
  const z = hashLen16(y, add(a, rot(add(b, k2), 18), c), m);
  const e = mul(fetch64(s, 16), m);
  const f = fetch64(s, 24);
  const g = mul(add(y, fetch64(s, len - 32)), m);
  const h = mul(add(z, fetch64(s, len - 24)), m);
  return hashLen16(add(rot(add(e, f), 43), rot(g, 30), h), add(e, rot(add(f, a), 18), g), m);
}

/** FarmHash Fingerprint64 of bytes, as an unsigned 64-bit BigInt. */
export function fingerprint64(s: Uint8Array): bigint {
  const len = s.length;
  if (len <= 16) return hashLen0to16(s, len);
  if (len <= 32) return hashLen17to32(s, len);
  if (len <= 64) return hashLen33to64(s, len);
  const seed = 81n;
  let x = seed;
  let y = add(mul(seed, k1), 113n);
  let z = mul(shiftMix(add(mul(y, k2), 113n)), k2);
  let v: [bigint, bigint] = [0n, 0n];
  let w: [bigint, bigint] = [0n, 0n];
  x = add(mul(x, k2), fetch64(s, 0));
  const end = Math.floor((len - 1) / 64) * 64;
  const last64 = len - 64;
  let p = 0;
  do {
    x = mul(rot(add(x, y, v[0], fetch64(s, p + 8)), 37), k1);
    y = mul(rot(add(y, v[1], fetch64(s, p + 48)), 42), k1);
    x ^= w[1];
    y = add(y, v[0], fetch64(s, p + 40));
    z = mul(rot(add(z, w[0]), 33), k1);
    v = weak32(s, p, mul(v[1], k1), add(x, w[0]));
    w = weak32(s, p + 32, add(z, w[1]), add(y, fetch64(s, p + 16)));
    [z, x] = [x, z];
    p += 64;
  } while (p !== end);
  const m = add(k1, (z & 0xffn) << 1n);
  p = last64;
  w[0] = add(w[0], BigInt((len - 1) & 63));
  v[0] = add(v[0], w[0]);
  w[0] = add(w[0], v[0]);
  x = mul(rot(add(x, y, v[0], fetch64(s, p + 8)), 37), m);
  y = mul(rot(add(y, v[1], fetch64(s, p + 48)), 42), m);
  x ^= mul(w[1], 9n);
  y = add(y, mul(v[0], 9n), fetch64(s, p + 40));
  z = mul(rot(add(z, w[0]), 33), m);
  v = weak32(s, p, mul(v[1], m), add(x, w[0]));
  w = weak32(s, p + 32, add(z, w[1]), add(y, fetch64(s, p + 16)));
  [z, x] = [x, z];
  return hashLen16(add(hashLen16(v[0], w[0], m), mul(shiftMix(y), k0), z), add(hashLen16(v[1], w[1], m), x), m);
}

/**
 * SipHash-2-4 (Aumasson & Bernstein) with the 128-bit key `[k0, k1]`: the keyed hash of
 * `tf.strings.to_hash_bucket_strong`, which Keras' `Hashing(salt=...)` uses.
 */
export function sipHash24(data: Uint8Array, key0: bigint, key1: bigint): bigint {
  let v0 = 0x736f6d6570736575n ^ key0;
  let v1 = 0x646f72616e646f6dn ^ key1;
  let v2 = 0x6c7967656e657261n ^ key0;
  let v3 = 0x7465646279746573n ^ key1;
  const round = (): void => {
    v0 = add(v0, v1);
    v1 = rot(v1, 64 - 13);
    v1 ^= v0;
    v0 = rot(v0, 64 - 32);
    v2 = add(v2, v3);
    v3 = rot(v3, 64 - 16);
    v3 ^= v2;
    v0 = add(v0, v3);
    v3 = rot(v3, 64 - 21);
    v3 ^= v0;
    v2 = add(v2, v1);
    v1 = rot(v1, 64 - 17);
    v1 ^= v2;
    v2 = rot(v2, 64 - 32);
  };
  const len = data.length;
  const full = len - (len % 8);
  for (let i = 0; i < full; i += 8) {
    const m = fetch64(data, i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(len & 0xff) << 56n;
  for (let j = 0; j < len % 8; j++) last |= BigInt(data[full + j]) << BigInt(8 * j);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const utf8 = new TextEncoder();

/** `tf.strings.to_hash_bucket_fast(s, n)`: Fingerprint64(UTF-8 bytes) mod n. */
export function hashBucketFast(s: string, buckets: number): number {
  return Number(fingerprint64(utf8.encode(s)) % BigInt(buckets));
}

/** `tf.strings.to_hash_bucket_strong(s, n, key)`: SipHash-2-4(UTF-8 bytes) mod n. */
export function hashBucketStrong(s: string, buckets: number, key: readonly [bigint, bigint]): number {
  return Number(sipHash24(utf8.encode(s), key[0], key[1]) % BigInt(buckets));
}
