import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { CostMeter } from './cost-meter.js';
import { PortChannel } from './port-channel.js';

const t = (...values: bigint[]) => RingTensor.fromBigInts(values);

describe('PortChannel (the two ends of a MessageChannel, here in one thread)', () => {
  let ends: PortChannel[] = [];
  const pair = (): [PortChannel, PortChannel, CostMeter, CostMeter] => {
    const { port1, port2 } = new MessageChannel();
    const m0 = new CostMeter();
    const m1 = new CostMeter();
    ends = [new PortChannel(0, port1, m0), new PortChannel(1, port2, m1)];
    return [ends[0]!, ends[1]!, m0, m1];
  };
  afterEach(() => {
    for (const e of ends) e.close();
  });

  it('exchanges copies in order, each party counting its own bytes and every round, reveals included', async () => {
    const [c0, c1, m0, m1] = pair();
    const sent = t(1n, 2n, 3n);
    const party0 = async () => {
      const a = await c0.exchange('a', [sent]);
      const b = await c0.exchange('b', [t(5n)], { reveal: true });
      return [Array.from(a[0]!.data), Array.from(a[1]!.data), Array.from(b[0]!.data)];
    };
    const party1 = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const a = await c1.exchange('a', [t(7n), t(2n ** 64n - 1n, 9n)]);
      const b = await c1.exchange('b', [t(6n)], { reveal: true });
      return [Array.from(a[0]!.data), Array.from(b[0]!.data)];
    };
    const [r0, r1] = await Promise.all([party0(), party1()]);
    expect(r0).toEqual([[7n], [2n ** 64n - 1n, 9n], [6n]]);
    expect(r1).toEqual([[1n, 2n, 3n], [5n]]);
    // The sender's tensor is untouched (a copy crossed the port).
    expect(Array.from(sent.data)).toEqual([1n, 2n, 3n]);
    const a = m0.report();
    const b = m1.report();
    expect(a.onlineBytes).toEqual([32, 0]);
    expect(b.onlineBytes).toEqual([0, 32]);
    expect([a.rounds, b.rounds, a.reveals, b.reveals]).toEqual([2, 2, 1, 1]);
    expect(a.byLabel).toEqual({ a: { rounds: 1, bytes: [24, 0] }, b: { rounds: 1, bytes: [8, 0] } });
  });

  it('rejects a round whose label or reveal flag differs between the parties, naming both', async () => {
    const [c0, c1] = pair();
    const [r0, r1] = await Promise.allSettled([c0.exchange('relu/open', [t(1n)]), c1.exchange('mul/open', [t(2n)])]);
    expect(r0.status).toBe('rejected');
    expect((r0 as PromiseRejectedResult).reason).toBeInstanceOf(ProtocolError);
    expect(String((r0 as PromiseRejectedResult).reason)).toMatch(/party 0 is at 'relu\/open' but party 1 sent 'mul\/open'/);
    expect(String((r1 as PromiseRejectedResult).reason)).toMatch(/party 1 is at 'mul\/open' but party 0 sent 'relu\/open'/);
    const [s0, s1] = await Promise.allSettled([c0.exchange('x', [t(1n)], { reveal: true }), c1.exchange('x', [t(2n)])]);
    expect(String((s0 as PromiseRejectedResult).reason)).toMatch(/'x' \(reveal\) but party 1 sent 'x'/);
    expect(s1.status).toBe('rejected');
  });
});
