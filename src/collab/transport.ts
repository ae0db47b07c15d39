import { ProtocolError } from '../errors.js';
import { readHeader } from './envelope.js';

/** A party of the protocol: an owner's index, or the server. */
export type Party = number | 'server';

/** One transfer: who sent how many bytes to whom, in which round and phase. */
export interface Transfer {
  readonly round: number;
  /** `training`: a model passed between turns; `final`: the last model handed to every owner. */
  readonly phase: 'training' | 'final';
  readonly from: Party;
  readonly to: Party;
  readonly bytes: number;
}

/** Counts every message the transports carry (each message once, by sender and receiver). */
export class Ledger {
  readonly transfers: Transfer[] = [];

  record(t: Transfer): void {
    this.transfers.push(t);
  }

  /** Bytes and messages a party sent and received, optionally within one round or phase. */
  totals(party: Party, filter: { round?: number; phase?: Transfer['phase'] } = {}): { bytesSent: number; bytesReceived: number; messagesSent: number; messagesReceived: number } {
    const out = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };
    for (const t of this.transfers) {
      if ((filter.round !== undefined && t.round !== filter.round) || (filter.phase !== undefined && t.phase !== filter.phase)) continue;
      if (t.from === party) {
        out.bytesSent += t.bytes;
        out.messagesSent += 1;
      }
      if (t.to === party) {
        out.bytesReceived += t.bytes;
        out.messagesReceived += 1;
      }
    }
    return out;
  }

  /** Bytes of every message, each counted once. */
  totalBytes(): number {
    return this.transfers.reduce((a, t) => a + t.bytes, 0);
  }
}

/**
 * The honest-but-curious server of the server-aided topology. It holds no key: it stores the
 * latest ciphertext and hands it out. It reads the plaintext header only to refuse an upload
 * that is not exactly one model version newer than the stored one (a stale or replayed upload),
 * keeping the stored ciphertext; the owners' authenticated check is what makes replay harmless.
 */
export class RelayServer {
  private stored: Uint8Array | undefined;
  private storedSeq = -1;

  constructor(private readonly ledger: Ledger) {}

  /** Stores an owner's upload. */
  upload(from: number, message: Uint8Array, round: number, phase: Transfer['phase'] = 'training'): void {
    const header = readHeader(message);
    this.ledger.record({ round, phase, from, to: 'server', bytes: message.length });
    if (this.storedSeq >= 0 && header.seq !== this.storedSeq + 1) {
      throw new ProtocolError('server', `upload from owner ${from} carries model version ${header.seq}, the stored one is ${this.storedSeq}: only version ${this.storedSeq + 1} is accepted; kept the stored model`);
    }
    this.stored = message.slice();
    this.storedSeq = header.seq;
  }

  /** The stored ciphertext, for an owner. */
  download(to: number, round: number, phase: Transfer['phase'] = 'training'): Uint8Array {
    if (!this.stored) throw new ProtocolError('server', `owner ${to} asked for the model before any was uploaded`);
    this.ledger.record({ round, phase, from: 'server', to, bytes: this.stored.length });
    return this.stored.slice();
  }

  /** Version of the stored model (-1: none). */
  get version(): number {
    return this.storedSeq;
  }

  /** The stored ciphertext (what the server sees). */
  peek(): Uint8Array | undefined {
    return this.stored?.slice();
  }

  /** Test hook: what a malicious server would do, replace the stored bytes. */
  replaceStored(message: Uint8Array): void {
    this.stored = message.slice();
  }
}

/** The fully connected topology: one mailbox per owner, messages sent directly owner to owner. */
export class DirectLinks {
  private readonly boxes = new Map<number, Uint8Array[]>();

  constructor(private readonly ledger: Ledger) {}

  send(from: number, to: number, message: Uint8Array, round: number, phase: Transfer['phase'] = 'training'): void {
    this.ledger.record({ round, phase, from, to, bytes: message.length });
    const box = this.boxes.get(to) ?? [];
    box.push(message.slice());
    this.boxes.set(to, box);
  }

  /** The oldest message waiting for `to`. */
  receive(to: number): Uint8Array {
    const message = this.boxes.get(to)?.shift();
    if (!message) throw new ProtocolError(`owner ${to}`, 'no message waiting');
    return message;
  }

  /** Test hook: an attacker on the link rewrites the next message waiting for `to`. */
  tamperNext(to: number, rewrite: (message: Uint8Array) => Uint8Array): void {
    const box = this.boxes.get(to);
    if (box && box.length > 0) box[0] = rewrite(box[0]!);
  }
}
