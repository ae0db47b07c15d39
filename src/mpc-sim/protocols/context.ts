import { ProtocolError } from '../../errors.js';
import type { Channel } from '../channel/channel.js';
import type { PartyDealer } from '../dealer/dealer.js';
import type { FixedPointEncoding } from '../encoding/fixed-point.js';
import type { PartyId } from '../party.js';
import type { RingRandom } from '../ring/random.js';
import type { Share } from '../sharing/share.js';

/**
 * Everything a protocol step needs, passed explicitly as the first argument
 * (`protocol(ctx, ...shares)`): which party runs it, that party's dealer connection and channel
 * end, the fixed-point encoding in force and the party's own random stream.
 */
export interface PartyContext {
  readonly party: PartyId;
  readonly dealer: PartyDealer;
  readonly channel: Channel;
  readonly encoding: FixedPointEncoding;
  readonly rng: RingRandom;
}

/**
 * Checks that every share belongs to the party running the step (a share of the other party
 * passed by mistake would silently compute garbage).
 * @throws ProtocolError naming `step` otherwise.
 */
export function assertOwnShares(ctx: PartyContext, step: string, ...shares: Share[]): void {
  for (const s of shares) {
    if (s.party !== ctx.party) throw new ProtocolError(step, `party ${ctx.party} was given a share of party ${s.party}`);
  }
}
