import { ProtocolError } from '../../errors.js';
import type { PartyId } from '../party.js';
import { add, mul, mulScalar, neg, sub } from '../ring/elementwise.js';
import { reshape, transpose } from '../ring/layout.js';
import { matmul } from '../ring/matmul.js';
import { assertSameShape, type RingTensor, type Shape } from '../ring/ring-tensor.js';
import { Share } from './share.js';

/*
 * Local (linear) operations on shares: each party applies them to its own share with no
 * communication and no dealer material (0 rounds, 0 bytes). A public addend is added by S0 only;
 * public factors multiply both shares.
 */

/** The party of `shares`, all of which must belong to the same party. */
function partyOf(step: string, ...shares: Share[]): PartyId {
  const party = shares[0]!.party;
  for (const s of shares) {
    if (s.party !== party) throw new ProtocolError(step, `mixes shares of party ${party} and party ${s.party}`);
  }
  return party;
}

/** Share of `x + y`. 0 rounds, 0 bytes. */
export function addShares(x: Share, y: Share): Share {
  return new Share(partyOf('addShares', x, y), add(x.ring, y.ring));
}

/** Share of `x - y`. 0 rounds, 0 bytes. */
export function subShares(x: Share, y: Share): Share {
  return new Share(partyOf('subShares', x, y), sub(x.ring, y.ring));
}

/** Share of `-x`. 0 rounds, 0 bytes. */
export function negShare(x: Share): Share {
  return new Share(x.party, neg(x.ring));
}

/** Share of `x + p` for a public tensor `p` (S0 adds it, S1 keeps its share). 0 rounds, 0 bytes. */
export function addPublic(x: Share, p: RingTensor): Share {
  assertSameShape('addPublic', x.shape, p.shape);
  return new Share(x.party, x.party === 0 ? add(x.ring, p) : x.ring);
}

/** Share of `x * p` elementwise for a public tensor `p`. 0 rounds, 0 bytes. */
export function mulPublic(x: Share, p: RingTensor): Share {
  return new Share(x.party, mul(x.ring, p));
}

/** Share of `s * x` for a public ring scalar `s`. 0 rounds, 0 bytes. */
export function scaleShare(x: Share, s: bigint): Share {
  return new Share(x.party, mulScalar(x.ring, s));
}

/** Share of `x @ w` for a shared `x [m, k]` and public `w [k, n]`. 0 rounds, 0 bytes. */
export function matmulSharePublic(x: Share, w: RingTensor): Share {
  return new Share(x.party, matmul(x.ring, w));
}

/** Share of `w @ x` for a public `w [m, k]` and shared `x [k, n]`. 0 rounds, 0 bytes. */
export function matmulPublicShare(w: RingTensor, x: Share): Share {
  return new Share(x.party, matmul(w, x.ring));
}

/** Share with another shape (same elements). 0 rounds, 0 bytes. */
export function reshapeShare(x: Share, shape: Shape): Share {
  return new Share(x.party, reshape(x.ring, shape));
}

/** Share with permuted axes (see `ring/layout.ts` `transpose`). 0 rounds, 0 bytes. */
export function transposeShare(x: Share, axes?: readonly number[]): Share {
  return new Share(x.party, transpose(x.ring, axes));
}
