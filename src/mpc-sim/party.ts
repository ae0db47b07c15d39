import { ProtocolError } from '../errors.js';

/** One of the two non-colluding servers: `0` is S0, `1` is S1. */
export type PartyId = 0 | 1;

/** Both party ids, in order. */
export const PARTIES: readonly [PartyId, PartyId] = [0, 1];

/** The other server. */
export function otherParty(party: PartyId): PartyId {
  return party === 0 ? 1 : 0;
}

/**
 * Checks that `party` is `0` or `1` (for values crossing an untyped boundary).
 * @throws ProtocolError naming `step` otherwise.
 */
export function assertPartyId(step: string, party: unknown): asserts party is PartyId {
  if (party !== 0 && party !== 1) throw new ProtocolError(step, `party must be 0 or 1, got ${String(party)}`);
}
