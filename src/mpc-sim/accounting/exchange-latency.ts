import { estimateSeconds, type CostFigures, type NetworkProfile } from './network.js';

/**
 * The cost model with the latency of an exchange round measured across processes: in every
 * round both servers send at once and then wait for the other's message, so the messages cross
 * and a round costs one one-way delay (RTT / 2), not a full round trip. Measured with
 * `npm run bench:net` (docs/network.md): with RTT / 2 per round the emulated-WAN estimate came
 * within 25 % of the measured time, with a full RTT per round it was 43 to 78 % too high.
 * Everything else as {@link estimateSeconds}.
 */
export function estimateExchangeSeconds(cost: CostFigures, profile: NetworkProfile): number {
  return estimateSeconds(cost, { ...profile, rttSeconds: profile.rttSeconds / 2 });
}
