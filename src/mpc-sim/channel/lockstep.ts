import { ProtocolError } from '../../errors.js';
import { RingTensor } from '../ring/ring-tensor.js';
import type { Channel, ExchangeOptions } from './channel.js';

interface PendingExchange {
  readonly label: string;
  readonly reveal: boolean;
  readonly tensors: readonly RingTensor[];
  readonly resolve: (tensors: RingTensor[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs `lanes` copies of a protocol (e.g. one per enrolled user) in lockstep over one channel
 * end: the k-th `exchange` of every live lane is sent as ONE round of the underlying channel, so
 * rounds do not grow with the number of lanes while bytes add up.
 *
 * Framing: each combined message starts with a header tensor of `lanes` words, the number of
 * tensors each lane sent (0 for a finished lane), so the receiver can split the other party's
 * message by the other party's counts; the header is sent and counted like any data (8 bytes per
 * lane per round).
 *
 * The lanes must make the same sequence of exchanges with the same labels (copies of one protocol
 * on same-architecture models do). A lane that ends calls {@link LockstepChannel.finish}; a label
 * or reveal-flag mismatch between live lanes rejects every waiting lane with a `ProtocolError`.
 * Both parties must run the same number of lanes.
 */
export class LockstepChannel {
  readonly #base: Channel;
  readonly #lanes: number;
  readonly #pending = new Map<number, PendingExchange>();
  readonly #finished = new Set<number>();
  #inFlight: readonly PendingExchange[] = [];
  #failure: unknown;

  /**
   * @param base - this party's end of the real channel.
   * @param lanes - number of lanes, at least 1.
   */
  constructor(base: Channel, lanes: number) {
    if (!Number.isInteger(lanes) || lanes < 1) throw new ProtocolError('lockstep', `lanes must be a positive integer, got ${lanes}`);
    this.#base = base;
    this.#lanes = lanes;
  }

  /** Lane `lane`'s channel end (same party as the base). */
  lane(lane: number): Channel {
    this.#check(lane);
    return {
      party: this.#base.party,
      exchange: (label, tensors, options) => this.#exchange(lane, label, tensors, options),
    };
  }

  /** Lane `lane` will not exchange again (call when it returns or throws). */
  finish(lane: number): void {
    this.#check(lane);
    this.#finished.add(lane);
    this.#flushIfReady();
  }

  /** Makes every waiting and future exchange reject with `error` (a lane failed). */
  fail(error: unknown): void {
    this.#failure ??= error;
    for (const p of [...this.#pending.values(), ...this.#inFlight]) p.reject(error);
    this.#pending.clear();
    this.#inFlight = [];
  }

  #check(lane: number): void {
    if (!Number.isInteger(lane) || lane < 0 || lane >= this.#lanes) throw new ProtocolError('lockstep', `lane ${lane} is not in [0, ${this.#lanes})`);
  }

  #exchange(lane: number, label: string, tensors: readonly RingTensor[], options?: ExchangeOptions): Promise<RingTensor[]> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#finished.has(lane)) return Promise.reject(new ProtocolError('lockstep', `lane ${lane} exchanged '${label}' after it finished`));
    if (this.#pending.has(lane)) return Promise.reject(new ProtocolError('lockstep', `lane ${lane} started '${label}' before its previous exchange completed`));
    return new Promise<RingTensor[]>((resolve, reject) => {
      this.#pending.set(lane, { label, reveal: options?.reveal === true, tensors, resolve, reject });
      this.#flushIfReady();
    });
  }

  #flushIfReady(): void {
    if (this.#pending.size === 0 || this.#pending.size + this.#finished.size < this.#lanes) return;
    const batch = [...this.#pending.entries()].sort((a, b) => a[0] - b[0]);
    this.#pending.clear();
    const first = batch[0]![1];
    for (const [lane, p] of batch) {
      if (p.label !== first.label || p.reveal !== first.reveal) {
        this.#inFlight = batch.map(([, q]) => q);
        this.fail(new ProtocolError('lockstep', `lane ${lane} is at '${p.label}' but lane ${batch[0]![0]} is at '${first.label}': the lanes lost step`));
        return;
      }
    }
    const header = new RingTensor([this.#lanes]);
    const payload: RingTensor[] = [header];
    const byLane = new Map(batch);
    for (let lane = 0; lane < this.#lanes; lane++) {
      const p = byLane.get(lane);
      header.data[lane] = BigInt(p?.tensors.length ?? 0);
      if (p !== undefined) payload.push(...p.tensors);
    }
    this.#inFlight = batch.map(([, p]) => p);
    this.#base.exchange(first.label, payload, first.reveal ? { reveal: true } : {}).then(
      (incoming) => {
        if (this.#failure !== undefined) return;
        this.#inFlight = [];
        this.#deliver(batch, incoming);
      },
      (error: unknown) => this.fail(error),
    );
  }

  #deliver(batch: readonly (readonly [number, PendingExchange])[], incoming: RingTensor[]): void {
    const header = incoming[0];
    if (header === undefined || header.size !== this.#lanes) {
      this.#inFlight = batch.map(([, p]) => p);
      this.fail(new ProtocolError('lockstep', `the other party's message has no header of ${this.#lanes} lanes: different lane counts`));
      return;
    }
    const parts = new Map<number, RingTensor[]>();
    let at = 1;
    for (let lane = 0; lane < this.#lanes; lane++) {
      const count = Number(header.data[lane]);
      parts.set(lane, incoming.slice(at, at + count));
      at += count;
    }
    for (const [lane, p] of batch) p.resolve(parts.get(lane)!);
  }
}
