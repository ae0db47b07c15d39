import type { CostReport } from '../channel/cost-meter.js';

/** A network between the two servers. */
export interface NetworkProfile {
  readonly name: string;
  /** Bandwidth in bits per second (each direction; the link is full duplex). */
  readonly bitsPerSecond: number;
  /** Round-trip time in seconds. */
  readonly rttSeconds: number;
}

/** The named profiles of the issue: LAN 1 Gbit/s, 0.2 ms RTT; WAN 100 Mbit/s, 40 ms RTT. */
export const NETWORK_PROFILES: readonly NetworkProfile[] = [
  { name: 'LAN', bitsPerSecond: 1e9, rttSeconds: 0.2e-3 },
  { name: 'WAN', bitsPerSecond: 100e6, rttSeconds: 40e-3 },
];

/** The quantities an estimate needs. */
export interface CostFigures {
  readonly computeSeconds: number;
  readonly rounds: number;
  /** Online bytes sent by S0 and by S1. */
  readonly bytes: readonly [number, number];
}

/**
 * Estimated wall time of an online phase on `profile`: measured compute + rounds x RTT + the bytes
 * of the busier direction / bandwidth (both servers send at once on a full-duplex link, so a
 * round's transfer time is that of the larger of the two messages; summing per party over the
 * whole run bounds it from above by at most the smaller party's share).
 */
export function estimateSeconds(cost: CostFigures, profile: NetworkProfile): number {
  const bytes = Math.max(cost.bytes[0], cost.bytes[1]);
  return cost.computeSeconds + cost.rounds * profile.rttSeconds + (8 * bytes) / profile.bitsPerSecond;
}

/** The figures of a measured online phase. */
export function figuresOf(cost: CostReport, computeSeconds: number): CostFigures {
  return { computeSeconds, rounds: cost.rounds, bytes: cost.onlineBytes };
}
