import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { CostMeter } from './cost-meter.js';
import { createInProcessChannels } from './in-process.js';
import { LockstepChannel } from './lockstep.js';

const t = (...values: bigint[]) => RingTensor.fromBigInts(values);
const words = (ts: RingTensor[]) => ts.map((x) => Array.from(x.data));

describe('lockstep channel', () => {
  it('sends the k-th exchange of all lanes as one round, each lane receiving its peer lane’s tensors', async () => {
    const meter = new CostMeter();
    const [b0, b1] = createInProcessChannels(meter);
    const l0 = new LockstepChannel(b0, 3);
    const l1 = new LockstepChannel(b1, 3);
    // Lane j of S0 sends j+1 tensors, S1's lanes one tensor each (or none in lane 1): counts differ per party.
    const lane = async (party: 0 | 1, j: number) => {
      const ch = (party === 0 ? l0 : l1).lane(j);
      const out0 = party === 0 ? Array.from({ length: j + 1 }, (_, i) => t(BigInt(100 * j + i))) : j === 1 ? [] : [t(BigInt(1000 + j), 5n)];
      const first = await ch.exchange('step/a', out0);
      const second = await ch.exchange('step/b', [t(BigInt(10 * party + j))]);
      (party === 0 ? l0 : l1).finish(j);
      return [words(first), words(second)];
    };
    const results = await Promise.all([0, 1, 2].flatMap((j) => [lane(0, j), lane(1, j)]));
    // S0 lane j receives S1 lane j's tensors, and vice versa.
    expect(results[0]).toEqual([[[1000n, 5n]], [[10n]]]);
    expect(results[2]).toEqual([[], [[11n]]]);
    expect(results[4]).toEqual([[[1002n, 5n]], [[12n]]]);
    expect(results[1]).toEqual([[[0n]], [[0n]]]);
    expect(results[3]).toEqual([[[100n], [101n]], [[1n]]]);
    expect(results[5]).toEqual([[[200n], [201n], [202n]], [[2n]]]);
    const r = meter.report();
    expect(r.rounds).toBe(2);
    // Round a: header 3 words + S0 6 words, S1 4 words; round b: header + 3 words each.
    expect(r.byLabel['step/a']).toEqual({ rounds: 1, bytes: [8 * (3 + 6), 8 * (3 + 4)] });
    expect(r.byLabel['step/b']).toEqual({ rounds: 1, bytes: [8 * 6, 8 * 6] });
  });

  it('lets finished lanes drop out, and rejects every lane when live lanes lose step', async () => {
    const meter = new CostMeter();
    const [b0, b1] = createInProcessChannels(meter);
    const party = (base: typeof b0) => {
      const l = new LockstepChannel(base, 2);
      const short = (async () => {
        await l.lane(0).exchange('x', [t(1n)]);
        l.finish(0);
      })();
      const long = (async () => {
        await l.lane(1).exchange('x', [t(2n)]);
        const y = await l.lane(1).exchange('y', [t(3n)]);
        l.finish(1);
        return y[0]!.data[0];
      })();
      return Promise.all([short, long]);
    };
    const [[, y0], [, y1]] = await Promise.all([party(b0), party(b1)]);
    expect([y0, y1]).toEqual([3n, 3n]);
    expect(meter.report().rounds).toBe(2);

    const [c0] = createInProcessChannels(new CostMeter());
    const l = new LockstepChannel(c0, 2);
    const a = l.lane(0).exchange('conv/open', [t(1n)]);
    const b = l.lane(1).exchange('relu/open', [t(1n)]);
    await expect(a).rejects.toThrow(ProtocolError);
    await expect(b).rejects.toThrow(/lane 1 is at 'relu\/open' but lane 0 is at 'conv\/open'/);
    await expect(l.lane(0).exchange('later', [])).rejects.toThrow(/lost step/);
  });
});
