import { mod, modPow, randomBelow } from './bigint-math.js';
import type { PaillierPrivateKey, PaillierPublicKey } from './keys.js';

/**
 * Sources of encryption randomness: n-th residues R = r^n mod n^2 with r uniform in Z_n^*.
 * Every source here yields exactly that distribution; they differ in cost only. The key holder
 * (the client, who encrypts) knows p and q, so it can work modulo p^2 and q^2 and combine:
 *
 * - `textbook`: r uniform, r^n mod n^2 (a 2048-bit exponent modulo n^2: about 59 ms at 2048 bits).
 * - `crt`: R mod p^2 = s^p mod p^2 with s uniform in Z_p^* (x -> x^p maps Z_{p^2}^* onto its
 *   subgroup H_p of order p - 1, uniformly, and depends on x mod p only), the same mod q^2, then
 *   the CRT. Since r^n mod p^2 = (r^p)^q and raising to q permutes H_p (gcd(q, p - 1) = 1, implied
 *   by gcd(n, phi(n)) = 1), this is the textbook distribution. Two 1024-bit exponents modulo
 *   2048-bit moduli: about 10 ms.
 * - `fixed-base`: with safe primes p = 2p' + 1, H_p is cyclic of order 2p'; a generator gamma_p
 *   is found once, and R mod p^2 = gamma_p^alpha with alpha uniform in [0, p - 1) is uniform on H_p.
 *   gamma_p's powers gamma_p^(d 2^(8i)) (d < 256) are tabulated once (8 MB per prime at 2048 bits,
 *   about 0.3 s), after which one residue costs 128 + 128 products modulo 2048-bit squares: about
 *   1.1 ms. This is the offline precomputation of the optimised client.
 */
export type RandomnessMethod = 'textbook' | 'crt' | 'fixed-base';

/** A stream of fresh n-th residues. */
export interface ResidueSource {
  readonly method: RandomnessMethod;
  next(): bigint;
}

/** r^n mod n^2 for r uniform in Z_n^* (public-key only). */
export function textbookResidue(pk: PaillierPublicKey): bigint {
  for (;;) {
    const r = randomBelow(pk.n);
    if (r > 1n && gcdIsOne(r, pk.n)) return modPow(r, pk.n, pk.n2);
  }
}

function gcdIsOne(a: bigint, b: bigint): boolean {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 1n;
}

/** x mod n^2 from x mod p^2 and x mod q^2. */
function combine(sk: PaillierPrivateKey, xp: bigint, xq: bigint): bigint {
  return xq + sk.q2 * mod((xp - xq) * sk.q2InvP2, sk.p2);
}

/** Uniform element of the order-(prime - 1) subgroup of Z_{prime^2}^*: s^prime, s uniform in Z_prime^*. */
function subgroupElement(prime: bigint, square: bigint): bigint {
  return modPow(1n + randomBelow(prime - 1n), prime, square);
}

/** Table of gamma^(d 2^(8 i)) mod square, d = 1..255, for 8-bit digits of exponents below `limit`. */
class FixedBaseTable {
  private readonly rows: bigint[][] = [];

  constructor(
    gamma: bigint,
    private readonly square: bigint,
    limit: bigint,
  ) {
    const digits = Math.ceil(limit.toString(16).length / 2);
    let base = gamma;
    for (let i = 0; i < digits; i++) {
      const row: bigint[] = [base];
      for (let d = 1; d < 255; d++) row.push((row[d - 1]! * base) % square);
      this.rows.push(row);
      base = (row[254]! * base) % square;
    }
  }

  /** gamma^alpha. */
  pow(alpha: bigint): bigint {
    const hex = alpha.toString(16);
    let r = 1n;
    let first = true;
    for (let i = 0, end = hex.length; end > 0; i++, end -= 2) {
      const d = parseInt(hex.slice(Math.max(0, end - 2), end), 16);
      if (d === 0) continue;
      const t = this.rows[i]![d - 1]!;
      r = first ? t : (r * t) % this.square;
      first = false;
    }
    return r;
  }
}

/** A generator of the order-(p - 1) = 2p' subgroup of Z_{p^2}^* for a safe prime p. */
function subgroupGenerator(prime: bigint, square: bigint): bigint {
  const half = (prime - 1n) / 2n;
  for (;;) {
    const g = subgroupElement(prime, square);
    if ((g * g) % square !== 1n && modPow(g, half, square) !== 1n) return g;
  }
}

/**
 * A residue source of the given method for the key holder. `fixed-base` needs safe primes (it
 * throws otherwise) and builds its tables on construction.
 */
export function residueSource(sk: PaillierPrivateKey, method: RandomnessMethod): ResidueSource {
  if (method === 'textbook') return { method, next: () => textbookResidue(sk.publicKey) };
  if (method === 'crt') {
    return { method, next: () => combine(sk, subgroupElement(sk.p, sk.p2), subgroupElement(sk.q, sk.q2)) };
  }
  if (!sk.safePrimes) throw new RangeError('fixed-base randomness needs a key of safe primes');
  const tp = new FixedBaseTable(subgroupGenerator(sk.p, sk.p2), sk.p2, sk.p - 1n);
  const tq = new FixedBaseTable(subgroupGenerator(sk.q, sk.q2), sk.q2, sk.q - 1n);
  return { method, next: () => combine(sk, tp.pow(randomBelow(sk.p - 1n)), tq.pow(randomBelow(sk.q - 1n))) };
}
