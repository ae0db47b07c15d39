import { generatePrime } from 'node:crypto';
import { promisify } from 'node:util';
import { PrivateKey as LibPrivateKey, PublicKey as LibPublicKey } from 'paillier-bigint';
import { bitLength, modInv, modPow } from './bigint-math.js';
import { MIN_SECURE_KEY_BITS, checkKeySize } from './key-size.js';

const generatePrimeAsync = promisify(generatePrime) as unknown as (bits: number, options: { bigint: true; safe?: boolean }) => Promise<bigint>;

export { MIN_INSECURE_KEY_BITS, MIN_SECURE_KEY_BITS, checkKeySize } from './key-size.js';

/**
 * A Paillier public key with generator g = n + 1 (so g^m = 1 + m n mod n^2). Plain data: it
 * crosses worker boundaries by structured clone. This is all the server ever holds.
 */
export interface PaillierPublicKey {
  readonly bits: number;
  readonly n: bigint;
  readonly n2: bigint;
  /** Bytes of one ciphertext on the wire (an element of Z_{n^2}). */
  readonly ciphertextBytes: number;
}

/** The key holder's (client's) secret: the factors and the CRT constants for fast decryption. */
export interface PaillierPrivateKey {
  readonly publicKey: PaillierPublicKey;
  readonly p: bigint;
  readonly q: bigint;
  readonly p2: bigint;
  readonly q2: bigint;
  /** L_p(g^(p-1) mod p^2)^-1 mod p, and the same for q. */
  readonly hp: bigint;
  readonly hq: bigint;
  /** q^-1 mod p (combines m mod p and m mod q). */
  readonly qInvP: bigint;
  /** (q^2)^-1 mod p^2 (combines residues mod p^2 and q^2 into one mod n^2). */
  readonly q2InvP2: bigint;
  /** Whether p and q are safe primes (p = 2p' + 1), which the fixed-base randomness needs. */
  readonly safePrimes: boolean;
}

/** Both halves. */
export interface PaillierKeyPair {
  readonly publicKey: PaillierPublicKey;
  readonly privateKey: PaillierPrivateKey;
}

/** Key-size policy and generation options. */
export interface KeyOptions {
  readonly bits: number;
  /** Allows keys below {@link MIN_SECURE_KEY_BITS} (CI smoke runs and tests only). */
  readonly insecureKeySize?: boolean;
  /** Generate safe primes (default true): enables the fixed-base randomness precomputation. */
  readonly safePrimes?: boolean;
  /** Config key path named by a refusal, e.g. `experiments.he-baseline.paillier.keyBits`. */
  readonly keyPath?: string;
}

/** Public key of a modulus n (g = n + 1). */
export function publicKeyOf(n: bigint): PaillierPublicKey {
  const bits = bitLength(n);
  return { bits, n, n2: n * n, ciphertextBytes: Math.ceil((2 * bits) / 8) };
}

/** The private key of primes p and q, with every CRT constant precomputed. */
export function privateKeyOf(p: bigint, q: bigint, safePrimes: boolean): PaillierPrivateKey {
  const n = p * q;
  const publicKey = publicKeyOf(n);
  const p2 = p * p;
  const q2 = q * q;
  const h = (prime: bigint, square: bigint) => modInv((modPow(n + 1n, prime - 1n, square) - 1n) / prime, prime);
  return { publicKey, p, q, p2, q2, hp: h(p, p2), hq: h(q, q2), qInvP: modInv(q, p), q2InvP2: modInv(q2, p2), safePrimes };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * Generates a Paillier key pair after checking the size policy. Primes come from OpenSSL
 * (node:crypto `generatePrime`, off the main thread): about 0.1 s for two 1024-bit primes, 1 to
 * 10 s for two safe ones (paillier-bigint's own generator tests primality in JavaScript).
 * Regenerates until n has exactly `bits` bits, p != q and gcd(n, (p-1)(q-1)) = 1.
 */
export async function generateKeyPair(options: KeyOptions): Promise<PaillierKeyPair> {
  checkKeySize(options.bits, options.insecureKeySize, options.keyPath);
  const safe = options.safePrimes ?? true;
  const half = options.bits / 2;
  for (;;) {
    const [p, q] = await Promise.all([generatePrimeAsync(half, { bigint: true, safe }), generatePrimeAsync(half, { bigint: true, safe })]);
    const n = p * q;
    if (p === q || bitLength(n) !== options.bits || gcd(n, (p - 1n) * (q - 1n)) !== 1n) continue;
    const privateKey = privateKeyOf(p, q, safe);
    return { publicKey: privateKey.publicKey, privateKey };
  }
}

/** The same key as paillier-bigint objects (the naive implementation uses the library as is). */
export function libraryKeys(key: PaillierPrivateKey): { publicKey: LibPublicKey; privateKey: LibPrivateKey } {
  const { n } = key.publicKey;
  const publicKey = new LibPublicKey(n, n + 1n);
  const lambda = (key.p - 1n) * (key.q - 1n);
  const privateKey = new LibPrivateKey(lambda, modInv(lambda, n), publicKey, key.p, key.q);
  return { publicKey, privateKey };
}
