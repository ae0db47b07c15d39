import { ProtocolError } from '../../errors.js';
import type { Channel, ExchangeOptions } from '../channel/channel.js';
import type { CostMeter } from '../channel/cost-meter.js';
import type { PartyId } from '../party.js';
import type { RingTensor } from '../ring/ring-tensor.js';
import type { FrameLink } from './link.js';

/**
 * A party's end of the S0-S1 link over the network: each `exchange` sends one `round` frame
 * (label, reveal flag, the tensors) and waits for the peer's frame of the same round, within the
 * link's per-round timeout. Sent bytes (8 per element, as in process) and rounds are recorded in
 * `meter` for this party only; the frame headers and TLS overhead are not counted (the link
 * counts raw bytes separately). Protocols run on it unchanged.
 */
export class TcpChannel implements Channel {
  readonly party: PartyId;
  readonly #link: FrameLink;
  readonly #meter: CostMeter;
  #round = 0;

  constructor(party: PartyId, link: FrameLink, meter: CostMeter) {
    this.party = party;
    this.#link = link;
    this.#meter = meter;
  }

  async exchange(label: string, tensors: readonly RingTensor[], options?: ExchangeOptions): Promise<RingTensor[]> {
    const reveal = options?.reveal === true;
    const round = this.#round++;
    const elements = tensors.reduce((s, t) => s + t.size, 0);
    this.#meter.recordSend(this.party, label, elements * 8);
    const [, incoming] = await Promise.all([
      this.#link.send({ kind: 'round', label, reveal, meta: { round }, tensors: [...tensors] }),
      this.#link.receive(label),
    ]);
    const theirRound = (incoming.meta as { round?: unknown } | null)?.round;
    if (incoming.kind !== 'round' || incoming.label !== label || incoming.reveal !== reveal || theirRound !== round) {
      throw new ProtocolError(
        'channel',
        `party ${this.party} is at round ${round} '${label}'${reveal ? ' (reveal)' : ''} but ${this.#link.peer} sent ${incoming.kind} ${String(theirRound)} ` +
          `'${incoming.label}'${incoming.reveal ? ' (reveal)' : ''}: the parties lost step`,
      );
    }
    this.#meter.recordRound(label, reveal, elements);
    return incoming.tensors;
  }
}
