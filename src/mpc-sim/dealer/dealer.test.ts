import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { CostMeter } from '../channel/cost-meter.js';
import { mul, shiftRightLogical } from '../ring/elementwise.js';
import { matmul } from '../ring/matmul.js';
import { reconstruct } from '../sharing/share.js';
import { connectDealer } from './connect.js';
import type { Dealer, TruncationPair } from './dealer.js';
import { RecordingDealer } from './recording-dealer.js';
import { CryptoDealer, DeterministicDealer, createDealer, type DeterministicDealerOptions } from './crypto-dealer.js';

const DEALERS: [string, () => Dealer][] = [
  ['CryptoDealer', () => new CryptoDealer()],
  ['DeterministicDealer', () => new DeterministicDealer({ seed: 'dealer-test', insecureDeterministic: true })],
];

describe.each(DEALERS)('%s material', (_, makeDealer) => {
  it('elementwise and matrix triples satisfy c = a * b and c = a @ b', () => {
    const dealer = makeDealer();
    const [t0, t1] = dealer.mulTriple([3, 4], 'test');
    const a = reconstruct([t0.a, t1.a]);
    const b = reconstruct([t0.b, t1.b]);
    expect(reconstruct([t0.c, t1.c]).data).toEqual(mul(a, b).data);
    const [m0, m1] = dealer.matmulTriple(3, 5, 2, 'test');
    expect(m0.a.shape).toEqual([3, 5]);
    expect(m1.b.shape).toEqual([5, 2]);
    expect(reconstruct([m0.c, m1.c]).data).toEqual(matmul(reconstruct([m0.a, m1.a]), reconstruct([m0.b, m1.b])).data);
  });

  it('masks stay below 2^bits and truncation pairs are consistent', () => {
    const dealer = makeDealer();
    const r = reconstruct(dealer.mask([1000], 'test', 10));
    expect(r.data.every((w) => w < 1024n)).toBe(true);
    expect(r.data.some((w) => w >= 512n)).toBe(true);
    const [p0, p1] = dealer.truncationPair([1000], 'test', { fracBits: 16 });
    const full = reconstruct([p0.r, p1.r]);
    const msb = reconstruct([p0.rMsb, p1.rMsb]);
    const high = reconstruct([p0.rHigh, p1.rHigh]);
    expect(Array.from(msb.data)).toEqual(Array.from(shiftRightLogical(full, 63).data));
    full.data.forEach((w, i) => expect(high.data[i]).toBe((w & ((1n << 63n) - 1n)) >> 16n));
    expect(() => dealer.truncationPair([1], 'test', { fracBits: 63 })).toThrow(ProtocolError);
    expect(() => dealer.mask([1], 'test', 0)).toThrow(ProtocolError);
  });

  it('paired truncations: two consistent pairs and the products of their (high, msb) parts', () => {
    const dealer = makeDealer();
    const [p0, p1] = dealer.pairedTruncation([500], 'test', { fracBits: 18, scalarFracBits: 24 });
    const parts = (a: TruncationPair, b: TruncationPair, f: number) => {
      const full = reconstruct([a.r, b.r]);
      const msb = reconstruct([a.rMsb, b.rMsb]);
      const high = reconstruct([a.rHigh, b.rHigh]);
      full.data.forEach((w, i) => {
        expect(msb.data[i]).toBe(w >> 63n);
        expect(high.data[i]).toBe((w & ((1n << 63n) - 1n)) >> BigInt(f));
      });
      return { msb: msb.data, high: high.data };
    };
    const s = parts(p0.scalar, p1.scalar, 24);
    const t = parts(p0.tensor, p1.tensor, 18);
    expect(s.msb.length).toBe(1);
    const product = (x: bigint, ys: BigUint64Array) => Array.from(ys, (y) => BigInt.asUintN(64, x * y));
    expect(Array.from(reconstruct([p0.hh, p1.hh]).data)).toEqual(product(s.high[0]!, t.high));
    expect(Array.from(reconstruct([p0.hm, p1.hm]).data)).toEqual(product(s.high[0]!, t.msb));
    expect(Array.from(reconstruct([p0.mh, p1.mh]).data)).toEqual(product(s.msb[0]!, t.high));
    expect(Array.from(reconstruct([p0.mm, p1.mm]).data)).toEqual(product(s.msb[0]!, t.msb));
    expect(() => dealer.pairedTruncation([1], 'test', { fracBits: 18, scalarFracBits: 63 })).toThrow(ProtocolError);
  });
});

describe('dealer choice', () => {
  it('the deterministic dealer is reproducible from its seed', () => {
    const words = (d: Dealer) => {
      const [t0] = d.mulTriple([8], 'x');
      const [m0] = d.matmulTriple(2, 2, 2, 'x');
      return [...t0.a.ring.data, ...t0.c.ring.data, ...m0.c.ring.data];
    };
    const options = { seed: 'same', insecureDeterministic: true } as const;
    expect(words(new DeterministicDealer(options))).toEqual(words(new DeterministicDealer(options)));
    expect(words(createDealer(options))).toEqual(words(new DeterministicDealer(options)));
    expect(words(new DeterministicDealer({ ...options, seed: 'other' }))).not.toEqual(words(new DeterministicDealer(options)));
    expect(words(new CryptoDealer())).not.toEqual(words(new CryptoDealer()));
  });

  it('refuses seeded randomness without the insecureDeterministic flag', () => {
    expect(() => new DeterministicDealer({ seed: 's' } as unknown as DeterministicDealerOptions)).toThrow(ProtocolError);
    expect(() => new DeterministicDealer({ seed: 's', insecureDeterministic: false } as unknown as DeterministicDealerOptions)).toThrow(
      /insecureDeterministic: true/,
    );
    expect(() => createDealer({ seed: 's' })).toThrow(ProtocolError);
    expect(() => createDealer({ insecureDeterministic: true })).toThrow(/needs a seed/);
    expect(createDealer()).toBeInstanceOf(CryptoDealer);
  });

  it('RecordingDealer reports elements and bytes per protocol tag and kind', () => {
    const dealer = new RecordingDealer(new CryptoDealer());
    dealer.mulTriple([2, 5], 'mul');
    dealer.mulTriple([4], 'mul');
    dealer.matmulTriple(3, 4, 5, 'conv1');
    dealer.truncationPair([6], 'conv1', { fracBits: 16 });
    dealer.mask([7], 'relu', 64);
    expect(dealer.report()).toEqual([
      { tag: 'conv1', kind: 'matmulTriple', requests: 1, elementsPerParty: 12 + 20 + 15, bytes: 16 * 47 },
      { tag: 'conv1', kind: 'truncationPair', requests: 1, elementsPerParty: 18, bytes: 16 * 18 },
      { tag: 'mul', kind: 'mulTriple', requests: 2, elementsPerParty: 42, bytes: 16 * 42 },
      { tag: 'relu', kind: 'mask', requests: 1, elementsPerParty: 7, bytes: 16 * 7 },
    ]);
    expect(dealer.totalBytes()).toBe(16 * (47 + 18 + 42 + 7));
  });
});

describe('connectDealer', () => {
  it("pairs the parties' k-th requests and counts offline bytes per receiving party", async () => {
    const meter = new CostMeter();
    const [d0, d1] = connectDealer(new CryptoDealer(), meter);
    // Party 1 asks first for the second request: order between parties does not matter.
    const first1 = d1.mulTriple([5], 'mul');
    const first0 = d0.mulTriple([5], 'mul');
    const second0 = d0.matmulTriple(2, 3, 4, 'mm');
    const second1 = d1.matmulTriple(2, 3, 4, 'mm');
    const [t0, t1, m0, m1] = await Promise.all([first0, first1, second0, second1]);
    expect(reconstruct([t0.c, t1.c]).data).toEqual(mul(reconstruct([t0.a, t1.a]), reconstruct([t0.b, t1.b])).data);
    expect(reconstruct([m0.c, m1.c]).data).toEqual(matmul(reconstruct([m0.a, m1.a]), reconstruct([m0.b, m1.b])).data);
    expect(meter.report().offlineBytes).toEqual([8 * (15 + 6 + 12 + 8), 8 * (15 + 6 + 12 + 8)]);
    expect(meter.report().onlineBytesTotal).toBe(0);
  });

  it('reports parties whose requests differ', async () => {
    const [d0, d1] = connectDealer(new CryptoDealer(), new CostMeter());
    await d0.mulTriple([5], 'mul');
    await expect(d1.mulTriple([6], 'mul')).rejects.toThrow(/lost step/);
  });
});
