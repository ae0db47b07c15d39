import { describe, expect, it } from 'vitest';
import { estimateExchangeSeconds } from './exchange-latency.js';
import { NETWORK_PROFILES, estimateSeconds } from './network.js';

describe('exchange-round latency', () => {
  it('charges half a round trip per round, the rest unchanged', () => {
    const wan = NETWORK_PROFILES.find((p) => p.name === 'WAN')!;
    const cost = { computeSeconds: 0.77, rounds: 241, bytes: [3.4e6, 3.3e6] as const };
    // 0.77 + 241 x 0.020 + 8 x 3.4e6 / 1e8 = 0.77 + 4.82 + 0.272
    expect(estimateExchangeSeconds(cost, wan)).toBeCloseTo(5.862, 10);
    expect(estimateSeconds(cost, wan) - estimateExchangeSeconds(cost, wan)).toBeCloseTo(241 * 0.02, 10);
  });
});
