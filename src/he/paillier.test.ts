import { checkPrimeSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { modPow } from './bigint-math.js';
import { checkKeySize, generateKeyPair, libraryKeys, MIN_SECURE_KEY_BITS, type PaillierKeyPair } from './keys.js';
import { addCiphertexts, addPlaintext, centred, decryptCrt, encryptWith, plaintextTerm, scaleCiphertext } from './paillier.js';
import { residueSource, textbookResidue } from './randomness.js';

const KEY = 'experiments.he-baseline.paillier.keyBits';

describe('Paillier key-size policy', () => {
  it('refuses keys below 2048 bits unless insecureKeySize is set, naming the config key', async () => {
    expect(() => checkKeySize(1024, false, KEY)).toThrow(ConfigError);
    expect(() => checkKeySize(1024, false, KEY)).toThrow(/experiments\.he-baseline\.paillier\.keyBits: 1024-bit Paillier keys are refused.*insecureKeySize: true/);
    await expect(generateKeyPair({ bits: 512, keyPath: KEY })).rejects.toThrow(ConfigError);
    expect(() => checkKeySize(MIN_SECURE_KEY_BITS, false, KEY)).not.toThrow();
    expect(() => checkKeySize(4096)).not.toThrow();
    expect(() => checkKeySize(512, true)).not.toThrow();
    // Never below 256 bits, never odd, even when insecure.
    expect(() => checkKeySize(128, true)).toThrow(/too small even for tests/);
    expect(() => checkKeySize(513, true)).toThrow(/even number of bits/);
  });
});

describe('Paillier with g = n + 1', () => {
  let keys: PaillierKeyPair;
  beforeAll(async () => {
    keys = await generateKeyPair({ bits: 512, insecureKeySize: true });
  });

  it('generates an n of exactly the requested size from two safe primes', () => {
    const { p, q, publicKey } = keys.privateKey;
    expect(publicKey.n.toString(2).length).toBe(512);
    expect(publicKey.ciphertextBytes).toBe(128);
    expect(p).not.toBe(q);
    for (const prime of [p, q]) {
      expect(checkPrimeSync(prime)).toBe(true);
      expect(checkPrimeSync((prime - 1n) / 2n)).toBe(true);
    }
  });

  it('decrypts by the CRT exactly as paillier-bigint does, and interoperates with it both ways', () => {
    const lib = libraryKeys(keys.privateKey);
    const { publicKey: pk, privateKey: sk } = keys;
    for (const m of [0n, 1n, 123456789n, pk.n - 1n, pk.n / 2n]) {
      const c = lib.publicKey.encrypt(m);
      expect(decryptCrt(sk, c)).toBe(m);
      expect(lib.privateKey.decrypt(encryptWith(pk, m, textbookResidue(pk)))).toBe(m);
    }
  });

  it('satisfies the homomorphic identities', () => {
    const { publicKey: pk, privateKey: sk } = keys;
    const source = residueSource(sk, 'fixed-base');
    const enc = (m: bigint) => encryptWith(pk, m, source.next());
    const a = 98765n;
    const b = pk.n - 1234n; // -1234 mod n
    expect(decryptCrt(sk, addCiphertexts(pk, enc(a), enc(b)))).toBe(a - 1234n);
    expect(decryptCrt(sk, scaleCiphertext(pk, enc(a), 77n))).toBe(a * 77n);
    expect(centred(pk, decryptCrt(sk, scaleCiphertext(pk, enc(a), -3n)))).toBe(-3n * a);
    expect(centred(pk, decryptCrt(sk, addPlaintext(pk, enc(a), -100000n)))).toBe(a - 100000n);
    // Sums wrap modulo n: (n - 1) + 2 = 1.
    expect(decryptCrt(sk, addCiphertexts(pk, enc(pk.n - 1n), enc(2n)))).toBe(1n);
    // g^m is the encryption of m with randomness 1; encryption is probabilistic.
    expect(decryptCrt(sk, plaintextTerm(pk, 42n))).toBe(42n);
    expect(enc(5n)).not.toBe(enc(5n));
  });

  it('draws n-th residues (R^(n phi(n)) = 1 mod n^2) from every randomness method', () => {
    const { publicKey: pk, privateKey: sk } = keys;
    const order = pk.n * (sk.p - 1n) * (sk.q - 1n);
    for (const method of ['textbook', 'crt', 'fixed-base'] as const) {
      const source = residueSource(sk, method);
      const r1 = source.next();
      const r2 = source.next();
      expect(r1).not.toBe(r2);
      expect(modPow(r1, order / pk.n, pk.n2)).toBe(1n);
      expect(modPow(r2, order / pk.n, pk.n2)).toBe(1n);
      // An n-th residue encrypts 0.
      expect(decryptCrt(sk, r1)).toBe(0n);
    }
  });

  it('refuses fixed-base randomness for a key without safe primes', async () => {
    const plain = await generateKeyPair({ bits: 256, insecureKeySize: true, safePrimes: false });
    expect(() => residueSource(plain.privateKey, 'fixed-base')).toThrow(/safe primes/);
    expect(decryptCrt(plain.privateKey, encryptWith(plain.publicKey, 7n, residueSource(plain.privateKey, 'crt').next()))).toBe(7n);
  });
});
