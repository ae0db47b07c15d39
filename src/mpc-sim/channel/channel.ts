import type { PartyId } from '../party.js';
import type { RingTensor } from '../ring/ring-tensor.js';

/** Options of {@link Channel.exchange}. */
export interface ExchangeOptions {
  /** This round opens plaintext (the `reveal` protocol): counted as a reveal. */
  readonly reveal?: boolean;
}

/**
 * One party's end of the link between S0 and S1. The only primitive is a round: both parties
 * call `exchange` with the same label, each sends its tensors and receives the other's. Every
 * call is one round; its bytes (8 per element) are counted for the sender. A party with
 * nothing to say in a round sends an empty list. Messages are delivered in order; a label or
 * reveal-flag mismatch between the parties' k-th calls means the protocol lost step and is
 * reported as a `ProtocolError` on both sides.
 */
export interface Channel {
  /** The party this end belongs to. */
  readonly party: PartyId;
  /**
   * Sends `tensors` to the other party and resolves to the tensors it sent in the same round
   * (copies: neither party can alias the other's memory). The tensors received are the caller's
   * to change; the tensors sent are not, even after the round completes: a transport may still be
   * writing their words to its socket.
   */
  exchange(label: string, tensors: readonly RingTensor[], options?: ExchangeOptions): Promise<RingTensor[]>;
}
