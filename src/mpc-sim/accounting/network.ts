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
  /** Dealer material sent to both servers during the query (counted by the processing term only). */
  readonly dealerBytes?: number;
}

/**
 * What a deployment of separate processes adds to the in-process compute besides the network
 * itself: encrypting, framing, copying and scheduling. Measured, never assumed: `npm run
 * bench:net` fits it to the loopback runs (see {@link fitProcessingCost}).
 */
export interface ProcessingCost {
  /** Seconds per exchange round (wake-ups, system calls, the dealer's per-round request). */
  readonly secondsPerRound: number;
  /** Seconds per byte crossing a TLS link (online bytes of both servers plus dealer bytes). */
  readonly secondsPerByte: number;
}

/** No processing term: the in-process compute plus the network alone. */
export const NO_PROCESSING: ProcessingCost = { secondsPerRound: 0, secondsPerByte: 0 };

/**
 * Estimated wall time of an online phase on `profile`:
 *
 *   compute + rounds x (RTT / 2 + processing per round) + busier direction's bytes / bandwidth
 *           + processing per byte x (both servers' online bytes + dealer bytes)
 *
 * One one-way delay per round, not a full round trip: in every exchange round both servers send
 * at once and then wait for the other's message, so the two messages cross on the link. Measured
 * on the idle development machine (docs/network.md) this is within 25 % of the emulated WAN where
 * a full RTT per round was 32 to 65 % too high. The bytes of the busier direction bound the
 * transfer time (full duplex: both servers send at once). `processing` defaults to none: the
 * estimate of an in-process measurement, as `bench:mpc` prints it; `bench:net` passes the
 * processing cost it measured on loopback.
 */
export function estimateSeconds(cost: CostFigures, profile: NetworkProfile, processing: ProcessingCost = NO_PROCESSING): number {
  const busier = Math.max(cost.bytes[0], cost.bytes[1]);
  const processed = cost.bytes[0] + cost.bytes[1] + (cost.dealerBytes ?? 0);
  return (
    cost.computeSeconds +
    cost.rounds * (profile.rttSeconds / 2 + processing.secondsPerRound) +
    (8 * busier) / profile.bitsPerSecond +
    processing.secondsPerByte * processed
  );
}

/** One loopback measurement for {@link fitProcessingCost}. */
export interface ProcessingSample {
  readonly rounds: number;
  /** Both servers' online bytes plus the dealer bytes of the query. */
  readonly processedBytes: number;
  /** Measured wall time minus the network-only estimate (in-process compute, latency, bandwidth). */
  readonly excessSeconds: number;
}

/**
 * The processing cost that best explains `samples` (least squares on excess = a x rounds + b x
 * bytes, with a, b >= 0: when the unconstrained fit gives a negative coefficient, that term is
 * dropped and the other refitted alone). Needs at least two samples whose (rounds, bytes) are
 * not proportional for both terms to be determined.
 */
export function fitProcessingCost(samples: readonly ProcessingSample[]): ProcessingCost {
  if (samples.length === 0) throw new RangeError('fitProcessingCost: no sample');
  let rr = 0;
  let rb = 0;
  let bb = 0;
  let re = 0;
  let be = 0;
  for (const s of samples) {
    rr += s.rounds * s.rounds;
    rb += s.rounds * s.processedBytes;
    bb += s.processedBytes * s.processedBytes;
    re += s.rounds * s.excessSeconds;
    be += s.processedBytes * s.excessSeconds;
  }
  const roundsOnly = (): ProcessingCost => ({ secondsPerRound: rr > 0 ? Math.max(0, re / rr) : 0, secondsPerByte: 0 });
  const bytesOnly = (): ProcessingCost => ({ secondsPerRound: 0, secondsPerByte: bb > 0 ? Math.max(0, be / bb) : 0 });
  const det = rr * bb - rb * rb;
  if (Math.abs(det) <= 1e-12 * rr * bb) {
    // Proportional samples: one term explains them as well as two; keep the one with the smaller residual.
    return residual(samples, roundsOnly()) <= residual(samples, bytesOnly()) ? roundsOnly() : bytesOnly();
  }
  const a = (re * bb - be * rb) / det;
  const b = (rr * be - rb * re) / det;
  if (a >= 0 && b >= 0) return { secondsPerRound: a, secondsPerByte: b };
  if (a < 0 && b < 0) return NO_PROCESSING;
  return a < 0 ? bytesOnly() : roundsOnly();
}

function residual(samples: readonly ProcessingSample[], p: ProcessingCost): number {
  return samples.reduce((sum, s) => sum + (s.excessSeconds - p.secondsPerRound * s.rounds - p.secondsPerByte * s.processedBytes) ** 2, 0);
}
