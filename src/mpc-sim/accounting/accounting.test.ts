import { describe, expect, it } from 'vitest';
import { CostMeter } from '../channel/cost-meter.js';
import { createInProcessChannels } from '../channel/in-process.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { layerCosts, layerOf } from './layers.js';
import { NETWORK_PROFILES, estimateSeconds, fitProcessingCost } from './network.js';

describe('cost accounting', () => {
  it('estimates wall time as compute + rounds x RTT / 2 + the busier direction / bandwidth', () => {
    const [lan, wan] = NETWORK_PROFILES as [(typeof NETWORK_PROFILES)[0], (typeof NETWORK_PROFILES)[0]];
    expect(lan).toMatchObject({ name: 'LAN', bitsPerSecond: 1e9, rttSeconds: 0.2e-3 });
    expect(wan).toMatchObject({ name: 'WAN', bitsPerSecond: 100e6, rttSeconds: 40e-3 });
    const cost = { computeSeconds: 1.5, rounds: 250, bytes: [75e6, 60e6] as const, dealerBytes: 400e6 };
    // 1.5 + 250 x 0.0001 + 8 x 75e6 / 1e9 = 1.5 + 0.025 + 0.6 (dealer bytes: processing term only)
    expect(estimateSeconds(cost, lan)).toBeCloseTo(2.125, 12);
    // 1.5 + 250 x 0.02 + 8 x 75e6 / 1e8 = 1.5 + 5 + 6
    expect(estimateSeconds(cost, wan)).toBeCloseTo(12.5, 12);
    // Processing: + 250 x 1 ms + 2 ns x (75e6 + 60e6 + 400e6) = + 0.25 + 1.07
    expect(estimateSeconds(cost, wan, { secondsPerRound: 1e-3, secondsPerByte: 2e-9 })).toBeCloseTo(12.5 + 0.25 + 1.07, 12);
  });

  it('fits the processing cost by least squares, both terms non-negative', () => {
    const truth = { secondsPerRound: 1.2e-3, secondsPerByte: 7e-9 };
    const at = (rounds: number, processedBytes: number, noise = 0) => ({ rounds, processedBytes, excessSeconds: truth.secondsPerRound * rounds + truth.secondsPerByte * processedBytes + noise });
    const exact = fitProcessingCost([at(241, 30e6), at(259, 240e6), at(277, 900e6)]);
    expect(exact.secondsPerRound).toBeCloseTo(1.2e-3, 12);
    expect(exact.secondsPerByte).toBeCloseTo(7e-9, 15);
    // Two samples, solved by hand: 241a + 30e6 b = 0.5, 259a + 239.5e6 b = 1.99.
    const two = fitProcessingCost([{ rounds: 241, processedBytes: 30e6, excessSeconds: 0.5 }, { rounds: 259, processedBytes: 239.5e6, excessSeconds: 1.99 }]);
    const b = (1.99 - (259 / 241) * 0.5) / (239.5e6 - (259 / 241) * 30e6);
    expect(two.secondsPerByte).toBeCloseTo(b, 15);
    expect(two.secondsPerRound).toBeCloseTo((0.5 - 30e6 * b) / 241, 12);
    // Excess that falls with the bytes would need a negative per-byte cost: that term is dropped.
    const clamped = fitProcessingCost([{ rounds: 100, processedBytes: 1e6, excessSeconds: 0.3 }, { rounds: 200, processedBytes: 100e6, excessSeconds: 0.2 }]);
    expect(clamped.secondsPerByte).toBe(0);
    expect(clamped.secondsPerRound).toBeCloseTo((100 * 0.3 + 200 * 0.2) / (100 ** 2 + 200 ** 2), 12);
    // Proportional samples: one term only.
    const line = fitProcessingCost([at(100, 1e6), at(200, 2e6)]);
    expect(line.secondsPerRound === 0 || line.secondsPerByte === 0).toBe(true);
    expect(() => fitProcessingCost([])).toThrow(/no sample/);
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
