import { describe, expect, it } from 'vitest';
import type { Channel } from '../channel/channel.js';
import { add } from '../ring/elementwise.js';
import { fromSigned, words, type RingTensor } from '../ring/ring-tensor.js';
import { xorWords } from '../sharing/binary-share.js';
import { share } from '../sharing/share.js';
import type { PartyContext } from './context.js';
import { relu } from './relu.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';

interface Exchange {
  readonly label: string;
  readonly sent: RingTensor[];
  readonly received: RingTensor[];
}

/** A channel end that logs what its party sends and receives. */
function loggingChannel(inner: Channel, log: Exchange[]): Channel {
  return {
    party: inner.party,
    exchange: async (label, tensors, options) => {
      const received = await inner.exchange(label, tensors, options);
      log.push({ label, sent: tensors.map((t) => t.clone()), received });
      return received;
    },
  };
}

/** Chi-square statistic of 4-bit values against the uniform distribution on 16 bins. */
function chiSquare16(values: Iterable<number>): number {
  const counts = new Array<number>(16).fill(0);
  let total = 0;
  for (const v of values) {
    counts[v]!++;
    total++;
  }
  return counts.reduce((s, c) => s + (c - total / 16) ** 2 / (total / 16), 0);
}

/** The 4-bit nibbles of packed words. */
function* nibbles(t: RingTensor): Generator<number> {
  for (const half of words(t.data)) for (let s = 0; s < 32; s += 4) yield (half >>> s) & 15;
}

// df = 15: P(chi2 > 60) ~ 1e-7, so a uniform view essentially never fails; a view that depends
// on x (e.g. the opened top bits all equal) gives statistics in the thousands.
const CHI2_LIMIT = 60;
const n = 4096; // a multiple of 64: no padding bits in the planes

describe.each(TEST_DEALERS)("one server's view (%s)", (_, makeDealer) => {
  it.each([
    ['all zero', 0n],
    ['all -1 ulp', -1n],
    ['all 2^63 - 1', (1n << 63n) - 1n],
    ['all -2^63', -(1n << 63n)],
    ['all 2^31 - 1 (largest encodable)', (1n << 31n) - 1n],
  ])('S1 sees uniform opened values whatever x: %s', async (_name, value) => {
    const { session } = testSession(makeDealer);
    const x = share(fromSigned(new Array<bigint>(n).fill(value)), testRandom(`view-${value}`));
    const log: Exchange[] = [];
    const [ctx0, ctx1] = session.contexts;
    const spy: PartyContext = { ...ctx1, channel: loggingChannel(ctx1.channel, log) };
    await Promise.all([relu(ctx0, x[0]), relu(spy, x[1])]);
    expect(log.map((e) => e.label)).toEqual(['relu/open', 'relu/and', 'relu/and', 'relu/and', 'relu/final']);

    // c = x + r: top bit balanced, top 4 bits uniform.
    const c = add(log[0]!.sent[0]!, log[0]!.received[0]!);
    const tops = Array.from(c.data, (w) => Number(w >> 60n));
    const ones = tops.filter((t) => t >= 8).length;
    expect(Math.abs(ones - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
    expect(chiSquare16(tops)).toBeLessThan(CHI2_LIMIT);
    // What S0 sent alone (S1's only new information) is uniform too.
    expect(chiSquare16(Array.from(log[0]!.received[0]!.data, (w) => Number(w >> 60n)))).toBeLessThan(CHI2_LIMIT);

    // The opened bits of every AND level and of the final round: uniform nibbles.
    for (const e of log.slice(1)) {
      const opened = xorWords(e.sent[0]!, e.received[0]!);
      expect(chiSquare16(nibbles(opened))).toBeLessThan(CHI2_LIMIT);
    }
  });
});

describe('the view statistic', () => {
  it('flags views that depend on x (power check of the test)', () => {
    expect(chiSquare16(new Array<number>(n).fill(0))).toBeGreaterThan(1000); // e.g. opening x = 0 unmasked
    // Half the values pinned (what leaking one bit per element could look like): still far off.
    expect(chiSquare16(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0 : (i >> 1) % 16)))).toBeGreaterThan(10 * CHI2_LIMIT);
  });
});
