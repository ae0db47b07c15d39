import { ProtocolError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { ANY_RECEIVER } from './envelope.js';
import type { LocalTraining } from './local-train.js';
import type { DataOwner } from './owner.js';
import { DirectLinks, Ledger, RelayServer } from './transport.js';

/** How the encrypted model travels between owners. */
export type Topology = 'server-aided' | 'fully-connected';
/** The order of owners within a round: 0..K-1 every round, or a seeded shuffle per round. */
export type OwnerOrder = 'fixed' | 'shuffle';

/** One owner's turn: what it trained and what handling the message cost. */
export interface TurnRecord {
  readonly round: number;
  /** 0-based position within the round. */
  readonly position: number;
  readonly owner: number;
  readonly steps: number;
  readonly loss: number;
  readonly trainSeconds: number;
  /** 0 when the owner already held the latest model (first turn, or its own turn again). */
  readonly decryptSeconds: number;
  readonly loadSeconds: number;
  readonly serialiseSeconds: number;
  readonly encryptSeconds: number;
  /** Size of the message it sent (header + nonce + ciphertext + tag), 0 if it sent none. */
  readonly messageBytes: number;
  readonly payloadBytes: number;
  /** The turn's mini-batches (image indices), in order. */
  readonly batches: readonly (readonly number[])[];
}

/** Options of {@link runWeightTransmission}. */
export interface WeightTransmissionOptions {
  readonly topology: Topology;
  readonly rounds: number;
  readonly local: LocalTraining;
  readonly order: OwnerOrder;
  /** Draws the per-round orders under `order: shuffle` (child `round:<r>`). */
  readonly orderRng: Rng;
  /** Called after each round with the owner holding the newest model (in the clear). */
  readonly onRound?: (round: number, holder: DataOwner) => Promise<void> | void;
  readonly onTurn?: (turn: TurnRecord) => void;
  /** Test hook, before an owner takes a message: what an attacker controlling the server or a link may do. */
  readonly beforeReceive?: (at: { round: number; owner: number; server?: RelayServer; links?: DirectLinks }) => void;
}

/** Outcome of {@link runWeightTransmission}. */
export interface WeightTransmissionResult {
  readonly ledger: Ledger;
  readonly turns: readonly TurnRecord[];
  /** The order of owners in each round (index r - 1). */
  readonly orders: readonly (readonly number[])[];
  /** The owner that trained last (every owner holds its model after the final distribution). */
  readonly lastOwner: number;
  /** Model versions produced (one per turn). */
  readonly versions: number;
}

/** The owners' order in rounds 1..R. */
export function ownerOrders(owners: number, rounds: number, order: OwnerOrder, rng: Rng): number[][] {
  return Array.from({ length: rounds }, (_, r) => (order === 'fixed' ? Array.from({ length: owners }, (_, k) => k) : rng.child(`round:${r + 1}`).permutation(owners)));
}

/**
 * Collaborative training by weight transmission (Phong and Phuong, IEEE TIFS 2019). Per turn, in
 * the round's order: 1. the owner takes the newest encrypted model (server-aided: downloads it
 * from the server; fully connected: receives it from the previous owner), decrypts it and checks
 * its tag and version (skipped when it already holds the newest model: the very first turn, whose
 * owner starts from the agreed seeded initial model, and an owner following itself); 2. it trains
 * on its own data (`local`: epochs or mini-batches); 3. it encrypts the weights and optimizer
 * state as model version v + 1, addressed to the next owner, and uploads it (server-aided) or
 * sends it (fully connected; nothing if it goes next itself). After the last round every other
 * owner gets the final model (`final` phase). Messages per round: server-aided K uploads and at
 * most K downloads; fully connected at most K. Each is `messageBytes(payload)` bytes.
 */
export async function runWeightTransmission(owners: readonly DataOwner[], opts: WeightTransmissionOptions): Promise<WeightTransmissionResult> {
  if (owners.length < 1) throw new ProtocolError('weight transmission', 'no owner');
  const ledger = new Ledger();
  const server = opts.topology === 'server-aided' ? new RelayServer(ledger) : undefined;
  const links = opts.topology === 'fully-connected' ? new DirectLinks(ledger) : undefined;
  const orders = ownerOrders(owners.length, opts.rounds, opts.order, opts.orderRng);
  const schedule = orders.flatMap((order, r) => order.map((owner, position) => ({ round: r + 1, position, owner })));
  const turns: TurnRecord[] = [];
  let holder: number | undefined;
  let version = 0;
  const take = (owner: number, round: number, phase: 'training' | 'final') => {
    opts.beforeReceive?.({ round, owner, ...(server ? { server } : {}), ...(links ? { links } : {}) });
    const message = server ? server.download(owner, round, phase) : links!.receive(owner);
    return owners[owner]!.receive(message, { seq: version, sender: holder!, receiver: owner }).timing;
  };
  for (const [t, { round, position, owner }] of schedule.entries()) {
    const received = holder === undefined || holder === owner ? { decryptSeconds: 0, loadSeconds: 0 } : take(owner, round, 'training');
    const trained = await owners[owner]!.train(opts.local);
    version += 1;
    const next = schedule[t + 1]?.owner;
    const header = { round, seq: version, sender: owner, receiver: next ?? ANY_RECEIVER };
    let sent = { messageBytes: 0, payloadBytes: 0, serialiseSeconds: 0, encryptSeconds: 0 };
    if (server || (next !== undefined && next !== owner)) {
      const s = owners[owner]!.send(header);
      if (server) server.upload(owner, s.message, round);
      else links!.send(owner, next!, s.message, round);
      sent = { messageBytes: s.message.length, payloadBytes: s.payloadBytes, ...s.timing };
    }
    holder = owner;
    const turn: TurnRecord = { round, position, owner, steps: trained.steps, loss: trained.loss, trainSeconds: trained.seconds, ...received, ...sent, batches: trained.batches };
    turns.push(turn);
    opts.onTurn?.(turn);
    if (position === orders[round - 1]!.length - 1) await opts.onRound?.(round, owners[owner]!);
  }
  const last = holder!;
  const finalRound = opts.rounds;
  for (const q of owners.map((o) => o.index)) {
    if (q === last) continue;
    if (links) links.send(last, q, owners[last]!.send({ round: finalRound, seq: version, sender: last, receiver: q }).message, finalRound, 'final');
    take(q, finalRound, 'final');
  }
  return { ledger, turns, orders, lastOwner: last, versions: version };
}
