import type { MessagePort } from 'node:worker_threads';
import { ProtocolError } from '../../errors.js';
import { otherParty, type PartyId } from '../party.js';
import { RingTensor } from '../ring/ring-tensor.js';
import type { Channel, ExchangeOptions } from './channel.js';
import type { CostMeter } from './cost-meter.js';

/** One round's message as it crosses the port: the tensors' words in fresh, transferred buffers. */
interface PortMessage {
  readonly label: string;
  readonly reveal: boolean;
  readonly tensors: readonly { readonly shape: number[]; readonly data: BigUint64Array }[];
}

/**
 * One party's end of the S0-S1 link when the parties run in different threads: the two ends of a
 * `MessageChannel`, one per thread. Each `exchange` copies the tensors' words once into fresh
 * buffers and transfers them (the receiver owns them; neither party can alias the other's
 * memory), then waits for the peer's message of the same round; messages arrive in order.
 * Costs are recorded in this party's own `meter`: its sent bytes and every round (both ends count
 * the same rounds). A label or reveal-flag mismatch is a `ProtocolError`, as in process.
 */
export class PortChannel implements Channel {
  readonly party: PartyId;
  readonly #port: MessagePort;
  readonly #meter: CostMeter;
  readonly #arrived: PortMessage[] = [];
  readonly #waiting: ((message: PortMessage) => void)[] = [];

  constructor(party: PartyId, port: MessagePort, meter: CostMeter) {
    this.party = party;
    this.#port = port;
    this.#meter = meter;
    port.on('message', (message: PortMessage) => {
      const waiter = this.#waiting.shift();
      if (waiter !== undefined) waiter(message);
      else this.#arrived.push(message);
    });
  }

  async exchange(label: string, tensors: readonly RingTensor[], options?: ExchangeOptions): Promise<RingTensor[]> {
    const reveal = options?.reveal === true;
    const copies = tensors.map((t) => t.data.slice());
    const message: PortMessage = { label, reveal, tensors: tensors.map((t, i) => ({ shape: [...t.shape], data: copies[i]! })) };
    this.#port.postMessage(message, copies.map((c) => c.buffer));
    const elements = tensors.reduce((s, t) => s + t.size, 0);
    this.#meter.recordSend(this.party, label, elements * 8);
    const incoming = await new Promise<PortMessage>((resolve) => {
      const ready = this.#arrived.shift();
      if (ready !== undefined) resolve(ready);
      else this.#waiting.push(resolve);
    });
    if (incoming.label !== label || incoming.reveal !== reveal) {
      throw new ProtocolError(
        'channel',
        `party ${this.party} is at '${label}'${reveal ? ' (reveal)' : ''} but party ${otherParty(this.party)} sent ` +
          `'${incoming.label}'${incoming.reveal ? ' (reveal)' : ''}: the parties lost step`,
      );
    }
    this.#meter.recordRound(label, reveal, elements);
    return incoming.tensors.map((t) => new RingTensor(t.shape, t.data));
  }

  /** Closes this end (pending exchanges of the peer never complete). */
  close(): void {
    this.#port.close();
  }
}
