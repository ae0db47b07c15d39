import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { CostMeter, costDiff } from './cost-meter.js';
import { createInProcessChannels } from './in-process.js';

const t = (...values: bigint[]) => RingTensor.fromBigInts(values);

describe('in-process channel', () => {
  it('exchanges in rounds and counts 8 bytes per element sent by each party', async () => {
    const meter = new CostMeter();
    const [c0, c1] = createInProcessChannels(meter);
    const [got0, got1] = await Promise.all([
      c0.exchange('step', [t(1n, 2n, 3n)]),
      c1.exchange('step', [t(7n), t(8n, 9n)]),
    ]);
    expect(got0.map((x) => Array.from(x.data))).toEqual([[7n], [8n, 9n]]);
    expect(got1.map((x) => Array.from(x.data))).toEqual([[1n, 2n, 3n]]);
    const r = meter.report();
    expect(r.onlineBytes).toEqual([24, 24]);
    expect(r.onlineBytesTotal).toBe(48);
    expect(r.rounds).toBe(1);
    expect(r.reveals).toBe(0);
    expect(r.byLabel).toEqual({ step: { rounds: 1, bytes: [24, 24] } });
  });

  it('pairs the k-th messages even when one party runs ahead, and counts reveals', async () => {
    const meter = new CostMeter();
    const [c0, c1] = createInProcessChannels(meter);
    const party0 = async () => {
      const a = await c0.exchange('a', [t(1n)]);
      const b = await c0.exchange('b', [t(2n)], { reveal: true });
      return [a[0]!.data[0], b[0]!.data[0]];
    };
    const party1 = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const a = await c1.exchange('a', [t(10n)]);
      const b = await c1.exchange('b', [t(20n)], { reveal: true });
      return [a[0]!.data[0], b[0]!.data[0]];
    };
    expect(await Promise.all([party0(), party1()])).toEqual([
      [10n, 20n],
      [1n, 2n],
    ]);
    const r = meter.report();
    expect(r.rounds).toBe(2);
    expect(r.reveals).toBe(1);
    expect(r.revealedElements).toBe(1);
    expect(costDiff(r, r).rounds).toBe(0);
  });

  it('copies messages so the parties never share memory', async () => {
    const [c0, c1] = createInProcessChannels(new CostMeter());
    const mine = t(5n);
    const [, [received]] = await Promise.all([c0.exchange('x', [mine]), c1.exchange('x', [])]);
    mine.data[0] = 6n;
    expect(received!.data[0]).toBe(5n);
  });

  it('reports parties that lost step on both sides', async () => {
    const [c0, c1] = createInProcessChannels(new CostMeter());
    const results = await Promise.allSettled([c0.exchange('mul/open', [t(1n)]), c1.exchange('matmul/open', [t(1n)])]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ProtocolError);
      expect(String((r as PromiseRejectedResult).reason.message)).toMatch(/lost step/);
    }
  });
});
