import { ProtocolError } from '../../errors.js';
import { otherParty, type PartyId } from '../party.js';
import type { RingTensor } from '../ring/ring-tensor.js';
import type { Channel, ExchangeOptions } from './channel.js';
import type { CostMeter } from './cost-meter.js';

interface Message {
  readonly label: string;
  readonly reveal: boolean;
  readonly tensors: RingTensor[];
}

type Receiver = (message: Message) => void;

/**
 * Both ends of an in-process link, recording into `meter`. The two parties run as concurrent
 * async functions in one event loop; the k-th `exchange` of S0 meets the k-th of S1.
 * Online bytes are counted at send, a round when both parties' k-th messages exist.
 */
export function createInProcessChannels(meter: CostMeter): readonly [Channel, Channel] {
  const link = new Link(meter);
  return [link.end(0), link.end(1)];
}

class Link {
  private readonly inFlight: [Message[], Message[]] = [[], []]; // sent by party p, not yet received
  private readonly waiting: [Receiver[], Receiver[]] = [[], []]; // party p waiting for the other
  private readonly sent: [number, number] = [0, 0];

  constructor(private readonly meter: CostMeter) {}

  end(party: PartyId): Channel {
    return {
      party,
      exchange: (label, tensors, options) => this.exchange(party, label, tensors, options),
    };
  }

  private exchange(party: PartyId, label: string, tensors: readonly RingTensor[], options?: ExchangeOptions): Promise<RingTensor[]> {
    const peer = otherParty(party);
    const message: Message = { label, reveal: options?.reveal === true, tensors: tensors.map((t) => t.clone()) };
    const elements = tensors.reduce((s, t) => s + t.size, 0);
    this.meter.recordSend(party, label, elements * 8);
    this.sent[party]++;
    if (this.sent[peer] >= this.sent[party]) this.meter.recordRound(label, message.reveal, elements);

    const deliver = this.waiting[peer].shift();
    if (deliver) deliver(message);
    else this.inFlight[party].push(message);

    return new Promise<RingTensor[]>((resolve, reject) => {
      const receive: Receiver = (incoming) => {
        if (incoming.label !== message.label || incoming.reveal !== message.reveal) {
          reject(
            new ProtocolError(
              'channel',
              `party ${party} is at '${message.label}'${message.reveal ? ' (reveal)' : ''} but party ${peer} sent ` +
                `'${incoming.label}'${incoming.reveal ? ' (reveal)' : ''}: the parties lost step`,
            ),
          );
        } else resolve(incoming.tensors);
      };
      const ready = this.inFlight[peer].shift();
      if (ready) receive(ready);
      else this.waiting[party].push(receive);
    });
  }
}
