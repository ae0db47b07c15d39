import { ConfigError } from '../errors.js';

/** Smallest key size used without `insecureKeySize: true` (NIST SP 800-57: 112-bit security). */
export const MIN_SECURE_KEY_BITS = 2048;
/** Smallest key size accepted at all, even insecure (tests and CI smoke runs). */
export const MIN_INSECURE_KEY_BITS = 256;

/**
 * The key-size policy: at least 2048 bits unless `insecureKeySize` is set, never below 256
 * bits, always even. Throws a ConfigError naming `keyPath`.
 */
export function checkKeySize(bits: number, insecureKeySize = false, keyPath = 'paillier.keyBits'): void {
  if (!Number.isInteger(bits) || bits % 2 !== 0) throw new ConfigError(keyPath, `Paillier key size must be an even number of bits, got ${bits}`);
  if (bits < MIN_INSECURE_KEY_BITS) throw new ConfigError(keyPath, `${bits}-bit Paillier keys are too small even for tests (minimum ${MIN_INSECURE_KEY_BITS})`);
  if (bits < MIN_SECURE_KEY_BITS && !insecureKeySize) {
    throw new ConfigError(keyPath, `${bits}-bit Paillier keys are refused: use at least ${MIN_SECURE_KEY_BITS} bits, or set insecureKeySize: true (CI smoke runs only)`);
  }
}
