import { ProtocolError } from '../../errors.js';
import type { PartyId } from '../party.js';
import { SecretGuard } from './secret-guard.js';
import { add, sub } from '../ring/elementwise.js';
import { randomTensor, type RingRandom } from '../ring/random.js';
import { RingTensor, assertSameShape, type Shape } from '../ring/ring-tensor.js';

/**
 * One party's additive share of a secret tensor over Z_2^64: the secret is `s0 + s1 mod 2^64`,
 * where S0 holds `s0` and S1 holds `s1`. Protocol code runs "as party i" on its own `Share` and
 * the messages it receives.
 *
 * A share must not leak by accident: `String(share)`, `` `${share}` ``, `+share`,
 * `JSON.stringify(share)` and `share.valueOf()` all throw a {@link ProtocolError}, and
 * `console.log` shows only the party and shape. Plaintext leaves only through the counted
 * `reveal` protocol (or {@link reconstruct} by an output recipient holding both shares).
 */
export class Share extends SecretGuard {
  protected get kind(): string {
    return 'share';
  }
  /** The party holding this share. */
  readonly party: PartyId;
  readonly #ring: RingTensor;

  /** Wraps `ring` (not copied) as party `party`'s share. */
  constructor(party: PartyId, ring: RingTensor) {
    super();
    this.party = party;
    this.#ring = ring;
  }

  /** This party's words (uniformly random on their own); for protocol code. */
  get ring(): RingTensor {
    return this.#ring;
  }

  /** Dimensions of the shared tensor. */
  get shape(): Shape {
    return this.#ring.shape;
  }

  /** Number of elements. */
  get size(): number {
    return this.#ring.size;
  }

  /** Party and size only: no secret content. */
  describe(): string {
    return `Share { party: ${this.party}, shape: [${this.shape.join(', ')}] }`;
  }
}

/** Both parties' shares of one secret tensor, S0's first. Held together only by a dealer, an input owner or a test. */
export type SharedTensor = readonly [Share, Share];

/**
 * Splits `value` into two additive shares: `s0` uniform from `rng`, `s1 = value - s0 mod 2^64`.
 * Each share alone is uniformly distributed whatever the value (if `rng` is uniform), which
 * the tests check statistically.
 */
export function share(value: RingTensor, rng: RingRandom): SharedTensor {
  const s0 = randomTensor(rng, value.shape);
  return [new Share(0, s0), new Share(1, sub(value, s0))];
}

/**
 * Recombines both shares: `s0 + s1 mod 2^64`. This is what an output recipient does with the
 * shares the two servers send it; servers themselves open values only through `reveal`.
 * @throws ProtocolError unless the shares belong to parties 0 and 1, in that order.
 * @throws ShapeError if the shapes differ.
 */
export function reconstruct(shared: SharedTensor): RingTensor {
  const [s0, s1] = shared;
  if (s0.party !== 0 || s1.party !== 1) {
    throw new ProtocolError('reconstruct', `needs the shares of parties 0 and 1, got ${s0.party} and ${s1.party}`);
  }
  assertSameShape('reconstruct', s0.shape, s1.shape);
  return add(s0.ring, s1.ring);
}
