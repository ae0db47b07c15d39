import type { PartyId } from '../party.js';

/** Online traffic of one message label, e.g. `mul/open`. */
export interface LabelCost {
  /** Rounds (exchanges) under this label. */
  readonly rounds: number;
  /** Bytes sent under this label by S0 and S1. */
  readonly bytes: readonly [number, number];
}

/**
 * What a computation cost. Online = messages between S0 and S1 during evaluation; offline =
 * correlated randomness delivered by the dealer before it. Bytes are 8 per ring element.
 */
export interface CostReport {
  /** Online bytes sent by S0 and by S1. */
  readonly onlineBytes: readonly [number, number];
  /** Sum of {@link CostReport.onlineBytes}. */
  readonly onlineBytesTotal: number;
  /** Online rounds: batches of simultaneous messages (one per `exchange`). */
  readonly rounds: number;
  /** Rounds that opened plaintext through `reveal`. */
  readonly reveals: number;
  /** Elements opened by those reveals. */
  readonly revealedElements: number;
  /** Dealer material received by S0 and by S1, in bytes. */
  readonly offlineBytes: readonly [number, number];
  /** Sum of {@link CostReport.offlineBytes}. */
  readonly offlineBytesTotal: number;
  /** Online cost per message label. */
  readonly byLabel: Readonly<Record<string, LabelCost>>;
  /** Dealer material per request tag, received by S0 and by S1, in bytes. */
  readonly offlineByLabel: Readonly<Record<string, readonly [number, number]>>;
  /**
   * Wall-clock seconds per message label: from the previous completed round (or the last
   * `markIdle`) to the completion of each round under the label, i.e. the local computation
   * that produced the round's messages (in process: both parties' computation).
   */
  readonly secondsByLabel: Readonly<Record<string, number>>;
}

/**
 * Counts bytes, rounds and reveals. Channels record online messages and completed rounds;
 * dealer connections record offline material. One meter per session (in process, both
 * parties share it).
 */
export class CostMeter {
  private readonly online: [number, number] = [0, 0];
  private readonly offline: [number, number] = [0, 0];
  private rounds = 0;
  private reveals = 0;
  private revealedElements = 0;
  private readonly labels = new Map<string, { rounds: number; bytes: [number, number] }>();
  private readonly offlineLabels = new Map<string, [number, number]>();
  private readonly seconds = new Map<string, number>();
  private lastRound = performance.now();

  /** Party `party` sent `bytes` online under `label`. */
  recordSend(party: PartyId, label: string, bytes: number): void {
    this.online[party] += bytes;
    this.label(label).bytes[party] += bytes;
  }

  /** A round under `label` completed (both parties sent); a reveal of `elements` if `reveal`. */
  recordRound(label: string, reveal: boolean, elements: number): void {
    this.rounds++;
    this.label(label).rounds++;
    const now = performance.now();
    this.seconds.set(label, (this.seconds.get(label) ?? 0) + (now - this.lastRound) / 1000);
    this.lastRound = now;
    if (reveal) {
      this.reveals++;
      this.revealedElements += elements;
    }
  }

  /** Party `party` received `bytes` of dealer material for a request tagged `label`. */
  recordOffline(party: PartyId, bytes: number, label = 'untagged'): void {
    this.offline[party] += bytes;
    let c = this.offlineLabels.get(label);
    if (c === undefined) this.offlineLabels.set(label, (c = [0, 0]));
    c[party] += bytes;
  }

  /** Restarts the clock of `secondsByLabel` (call when a timed computation starts). */
  markIdle(): void {
    this.lastRound = performance.now();
  }

  /** A snapshot of the totals so far. */
  report(): CostReport {
    const byLabel: Record<string, LabelCost> = {};
    for (const [name, c] of this.labels) byLabel[name] = { rounds: c.rounds, bytes: [c.bytes[0], c.bytes[1]] };
    return {
      onlineBytes: [this.online[0], this.online[1]],
      onlineBytesTotal: this.online[0] + this.online[1],
      rounds: this.rounds,
      reveals: this.reveals,
      revealedElements: this.revealedElements,
      offlineBytes: [this.offline[0], this.offline[1]],
      offlineBytesTotal: this.offline[0] + this.offline[1],
      byLabel,
      offlineByLabel: Object.fromEntries([...this.offlineLabels].map(([k, v]) => [k, [v[0], v[1]] as const])),
      secondsByLabel: Object.fromEntries(this.seconds),
    };
  }

  private label(name: string): { rounds: number; bytes: [number, number] } {
    let c = this.labels.get(name);
    if (c === undefined) {
      c = { rounds: 0, bytes: [0, 0] };
      this.labels.set(name, c);
    }
    return c;
  }
}

/** The cost between two snapshots (`after - before`), e.g. of one protocol call. */
export function costDiff(after: CostReport, before: CostReport): CostReport {
  const byLabel: Record<string, LabelCost> = {};
  for (const [name, c] of Object.entries(after.byLabel)) {
    const b = before.byLabel[name] ?? { rounds: 0, bytes: [0, 0] };
    const d = { rounds: c.rounds - b.rounds, bytes: [c.bytes[0] - b.bytes[0], c.bytes[1] - b.bytes[1]] as const };
    if (d.rounds !== 0 || d.bytes[0] !== 0 || d.bytes[1] !== 0) byLabel[name] = d;
  }
  const online = [after.onlineBytes[0] - before.onlineBytes[0], after.onlineBytes[1] - before.onlineBytes[1]] as const;
  const offline = [after.offlineBytes[0] - before.offlineBytes[0], after.offlineBytes[1] - before.offlineBytes[1]] as const;
  return {
    onlineBytes: online,
    onlineBytesTotal: online[0] + online[1],
    rounds: after.rounds - before.rounds,
    reveals: after.reveals - before.reveals,
    revealedElements: after.revealedElements - before.revealedElements,
    offlineBytes: offline,
    offlineBytesTotal: offline[0] + offline[1],
    byLabel,
    offlineByLabel: Object.fromEntries(
      Object.entries(after.offlineByLabel)
        .map(([k, v]) => [k, [v[0] - (before.offlineByLabel[k]?.[0] ?? 0), v[1] - (before.offlineByLabel[k]?.[1] ?? 0)] as const] as const)
        .filter(([, v]) => v[0] !== 0 || v[1] !== 0),
    ),
    secondsByLabel: Object.fromEntries(
      Object.entries(after.secondsByLabel)
        .map(([k, v]) => [k, v - (before.secondsByLabel[k] ?? 0)] as const)
        .filter(([k]) => byLabel[k] !== undefined),
    ),
  };
}
