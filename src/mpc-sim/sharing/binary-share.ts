import { ProtocolError } from '../../errors.js';
import type { PartyId } from '../party.js';
import { SecretGuard } from './secret-guard.js';
import { randomTensor, type RingRandom } from '../ring/random.js';
import { RingTensor, assertSameShape, words } from '../ring/ring-tensor.js';

/**
 * One party's XOR (binary) share of secret bits packed 64 to a word: the secret is
 * `w0 XOR w1`, where S0 holds `w0` and S1 holds `w1`. Used for the bit-level material and
 * messages of the comparison protocol (bits travel packed, so 64 of them cost 8 bytes). How the
 * bits are laid out in the words is up to the protocol (see `dealer/comparison-key.ts`).
 *
 * Like {@link Share} it refuses to become a string, number or JSON.
 */
export class BinaryShare extends SecretGuard {
  protected get kind(): string {
    return 'binary share';
  }
  /** The party holding this share. */
  readonly party: PartyId;
  readonly #words: RingTensor;

  /** Wraps `packed` (not copied) as party `party`'s XOR share. */
  constructor(party: PartyId, packed: RingTensor) {
    super();
    this.party = party;
    this.#words = packed;
  }

  /** This party's packed words (uniformly random on their own). */
  get words(): RingTensor {
    return this.#words;
  }

  /** Number of 64-bit words (8 bytes each on the wire). */
  get size(): number {
    return this.#words.size;
  }

  /** Party and size only: no secret content. */
  describe(): string {
    return `BinaryShare { party: ${this.party}, words: ${this.size} }`;
  }
}

/** Splits packed `bits` into two XOR shares: `w0` uniform from `rng`, `w1 = bits XOR w0`. */
export function xorShare(bits: RingTensor, rng: RingRandom): readonly [BinaryShare, BinaryShare] {
  const w0 = randomTensor(rng, bits.shape);
  return [new BinaryShare(0, w0), new BinaryShare(1, xorWords(bits, w0))];
}

/** Recombines both XOR shares (for tests and output recipients): `w0 XOR w1`. */
export function reconstructBits(shared: readonly [BinaryShare, BinaryShare]): RingTensor {
  const [s0, s1] = shared;
  if (s0.party !== 0 || s1.party !== 1) {
    throw new ProtocolError('reconstructBits', `needs the shares of parties 0 and 1, got ${s0.party} and ${s1.party}`);
  }
  return xorWords(s0.words, s1.words);
}

/** `a XOR b`, word by word. @throws ShapeError if the shapes differ. */
export function xorWords(a: RingTensor, b: RingTensor): RingTensor {
  assertSameShape('xorWords', a.shape, b.shape);
  const out = new RingTensor(a.shape);
  const x = words(a.data);
  const y = words(b.data);
  const z = words(out.data);
  for (let i = 0; i < z.length; i++) z[i] = x[i]! ^ y[i]!;
  return out;
}
