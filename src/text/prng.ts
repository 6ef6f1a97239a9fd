/**
 * The sampling generator: xoshiro128** 1.1 (Blackman & Vigna), its 128-bit state filled by
 * SplitMix64 from the seed (the seeding Vigna recommends; each 64-bit output gives two words, low
 * word first). Pure 32-bit integer arithmetic, so a seed gives the same numbers on every platform;
 * docs/text.md states the rules for other implementations.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed`: an integer in [0, 2^53). */
  constructor(seed: number) {
    let x = BigInt(seed) & 0xffffffffffffffffn;
    const words: number[] = [];
    for (let i = 0; i < 2; i++) {
      x = (x + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
      z ^= z >> 31n;
      words.push(Number(z & 0xffffffffn), Number(z >> 32n));
    }
    [this.s0, this.s1, this.s2, this.s3] = words;
    // an all-zero state would stay zero; SplitMix64 never gives four zero words, but be explicit
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit output (unsigned). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A double in [0, 1) from the high 53 bits of two outputs (first 27 bits, then 26). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
