import { createHash } from 'node:crypto';

/**
 * A seeded pseudo-random stream (xoshiro128**) with named child streams.
 *
 * One seed in the config is derived into independent streams by name (`data`, `partition`,
 * `init`, `dealer`, ...): `root.child('partition').child('user:s1')`. A child's state is the
 * SHA-256 of its parent's path and its own name, so adding a stream never shifts another.
 * Not for cryptography: the MPC dealer uses node:crypto.
 */
export class Rng {
  /** Slash-separated name path from the root, e.g. `42/partition/user:s1`. */
  readonly path: string;
  private readonly s: Uint32Array;

  private constructor(path: string) {
    this.path = path;
    const digest = createHash('sha256').update(path).digest();
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) this.s[i] = digest.readUInt32LE(i * 4);
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** The root stream of a seed. */
  static fromSeed(seed: number | string): Rng {
    return new Rng(`privedge-seed:${String(seed)}`);
  }

  /** An independent stream derived from this one by name. */
  child(name: string): Rng {
    return new Rng(`${this.path}/${name}`);
  }

  /** Next uniformly random unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw new RangeError(`nextInt(${n})`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal sample (Box-Muller). */
  nextNormal(): number {
    let u = 0;
    while (u === 0) u = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.nextFloat());
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
