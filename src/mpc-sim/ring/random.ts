import { createCipheriv, createHash, randomFillSync, type Cipher } from 'node:crypto';
import { ProtocolError } from '../../errors.js';
import { RingTensor, type Shape } from './ring-tensor.js';

/** A source of uniformly random ring elements (for masks, shares and dealer material). */
export interface RingRandom {
  /** A short description for logs, e.g. `crypto` or `aes-ctr(seed=...)`. */
  readonly name: string;
  /** Fills `out` with independent uniform words in [0, 2^64). */
  fill(out: BigUint64Array): void;
}

/** A tensor of independent uniform ring elements drawn from `random`. */
export function randomTensor(random: RingRandom, shape: Shape): RingTensor {
  const t = new RingTensor(shape);
  random.fill(t.data);
  return t;
}

/** Cryptographically secure randomness from node:crypto (`randomFillSync`). */
export class CryptoRandom implements RingRandom {
  readonly name = 'crypto';

  fill(out: BigUint64Array): void {
    // randomFillSync takes at most 2^31 - 1 bytes per call.
    const chunk = 1 << 27;
    for (let i = 0; i < out.length; i += chunk) randomFillSync(out.subarray(i, i + chunk));
  }
}

/** Option that must be set to get reproducible (and therefore insecure) randomness. */
export interface InsecureDeterministicOption {
  /** Must be `true`: the stream is reproducible from its seed, so it protects nothing. */
  readonly insecureDeterministic: true;
}

/**
 * A reproducible stream: AES-256-CTR keystream with key `SHA-256("privedge-ring-stream:" + seed)`
 * and a zero IV. The same seed and the same sequence of `fill` sizes give the same words. For
 * tests and reproducible experiments only; refuses to exist without `insecureDeterministic: true`.
 */
export class SeededRandom implements RingRandom {
  readonly name: string;
  private readonly cipher: Cipher;
  private zeros = new Uint8Array(0);

  /**
   * @param seed - any string; derived into the AES key.
   * @throws ProtocolError unless `options.insecureDeterministic` is `true`.
   */
  constructor(seed: string, options: InsecureDeterministicOption) {
    requireInsecureFlag('SeededRandom', options);
    const key = createHash('sha256').update(`privedge-ring-stream:${seed}`).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
    this.name = `aes-ctr(seed=${JSON.stringify(seed)})`;
  }

  fill(out: BigUint64Array): void {
    const bytes = out.length * 8;
    if (this.zeros.length < bytes) this.zeros = new Uint8Array(bytes);
    const stream = this.cipher.update(this.zeros.subarray(0, bytes));
    new Uint8Array(out.buffer, out.byteOffset, bytes).set(stream);
  }
}

/**
 * Checks the explicit opt-in for reproducible randomness.
 * @throws ProtocolError naming `what` unless `options.insecureDeterministic === true`.
 */
export function requireInsecureFlag(what: string, options: unknown): void {
  const flag = (options as { insecureDeterministic?: unknown } | undefined)?.insecureDeterministic;
  if (flag !== true) {
    throw new ProtocolError(
      what,
      'seeded randomness is reproducible and therefore insecure; pass { insecureDeterministic: true } to use it',
    );
  }
}
