import { describe, expect, it } from 'vitest';
import { CostMeter } from '../channel/cost-meter.js';
import { createInProcessChannels } from '../channel/in-process.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { layerCosts, layerOf } from './layers.js';
import { NETWORK_PROFILES, estimateSeconds } from './network.js';

describe('cost accounting', () => {
  it('estimates wall time as compute + rounds x RTT + the busier direction / bandwidth', () => {
    const [lan, wan] = NETWORK_PROFILES as [(typeof NETWORK_PROFILES)[0], (typeof NETWORK_PROFILES)[0]];
    expect(lan).toMatchObject({ name: 'LAN', bitsPerSecond: 1e9, rttSeconds: 0.2e-3 });
    expect(wan).toMatchObject({ name: 'WAN', bitsPerSecond: 100e6, rttSeconds: 40e-3 });
    const cost = { computeSeconds: 1.5, rounds: 250, bytes: [75e6, 60e6] as const };
    // 1.5 + 250 x 0.0002 + 8 x 75e6 / 1e9 = 1.5 + 0.05 + 0.6
    expect(estimateSeconds(cost, lan)).toBeCloseTo(2.15, 12);
    // 1.5 + 250 x 0.04 + 8 x 75e6 / 1e8 = 1.5 + 10 + 6
    expect(estimateSeconds(cost, wan)).toBeCloseTo(17.5, 12);
  });

  it('assigns labels to the longest matching step name, so fused activations are their own layer', () => {
    const steps = ['down0_conv', 'down0_lrelu', 'up0_conv', 'up0_conv/relu'];
    expect(layerOf('up0_conv/relu/and', steps)).toBe('up0_conv/relu');
    expect(layerOf('up0_conv/open', steps)).toBe('up0_conv');
    expect(layerOf('down0_lrelu/relu/final', steps)).toBe('down0_lrelu');
    expect(layerOf('argmin/level1/select/open', steps)).toBe('argmin');
  });

  it('groups rounds, online bytes, dealer bytes and seconds by layer, in order of first use', async () => {
    const meter = new CostMeter();
    const [c0, c1] = createInProcessChannels(meter);
    const t = (n: number) => new RingTensor([n]);
    const both = (label: string, n0: number, n1: number) => Promise.all([c0.exchange(label, [t(n0)]), c1.exchange(label, [t(n1)])]);
    meter.recordOffline(0, 80, 'a/conv');
    meter.recordOffline(1, 80, 'a/conv');
    await both('a/open', 3, 3);
    await both('a/truncate/open', 2, 1);
    await both('b/and', 5, 5);
    meter.recordOffline(0, 16, 'b/key');
    const rows = layerCosts(meter.report(), ['a', 'b']);
    expect(rows.map((r) => r.layer)).toEqual(['a', 'b']);
    expect(rows[0]).toMatchObject({ rounds: 2, onlineBytes: [40, 32], offlineBytes: [80, 80] });
    expect(rows[1]).toMatchObject({ rounds: 1, onlineBytes: [40, 40], offlineBytes: [16, 0] });
    expect(rows[0]!.seconds).toBeGreaterThanOrEqual(0);
  });
});
