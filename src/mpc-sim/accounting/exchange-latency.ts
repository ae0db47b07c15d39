import { estimateSeconds, type CostFigures, type NetworkProfile } from './network.js';

/**
 * The cost model with one one-way delay (RTT / 2) per round instead of a full round trip: in
 * every exchange round both servers send at once and then wait for the other's message, so the
 * messages cross. Printed by `npm run bench:net` beside {@link estimateSeconds}; on the loaded
 * development machine neither came within 25 % of the emulated-WAN measurement in every cell
 * (docs/network.md: this one -21 % and +19 % at N = 1, -36 % at gf 8, N = 8; the full-RTT one
 * +43 %, +78 % and +2 %), so `estimateSeconds` is left unchanged until an idle measurement decides.
 * Everything else as {@link estimateSeconds}.
 */
export function estimateExchangeSeconds(cost: CostFigures, profile: NetworkProfile): number {
  return estimateSeconds(cost, { ...profile, rttSeconds: profile.rttSeconds / 2 });
}
