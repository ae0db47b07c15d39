import { describe, expect, it } from 'vitest';
import { ProtocolError, ShapeError } from '../../errors.js';
import { CostMeter } from '../channel/cost-meter.js';
import { getBit } from '../ring/packed-bits.js';
import { CryptoRandom, SeededRandom } from '../ring/random.js';
import { RingTensor, words } from '../ring/ring-tensor.js';
import { reconstructBits } from '../sharing/binary-share.js';
import { reconstruct } from '../sharing/share.js';
import { comparisonKeyElements, comparisonLayout, dealComparisonKey, type ComparisonKeyOptions } from './comparison-key.js';
import { connectDealer } from './connect.js';
import { RecordingDealer } from './recording-dealer.js';
import { CryptoDealer } from './crypto-dealer.js';

const DEFAULT: ComparisonKeyOptions = { bits: 64, chunkBits: 4, product: false, fuseLastAnd: true };

describe('comparison layout', () => {
  it('l = 64, d = 4: 16 chunks, 232 code bits, 25 tree ANDs over 3 levels, 5 rounds', () => {
    const l = comparisonLayout(100, DEFAULT);
    expect(l.chunks.length).toBe(16);
    expect(l.chunks[15]).toEqual({ start: 60, width: 3, offset: 225 });
    expect(l.codeBits).toBe(15 * 15 + 7);
    expect(l.andsPerLevel).toEqual([15, 7, 3]);
    expect(l.ands).toBe(25);
    expect(l.rounds).toBe(5);
    expect(l.planeWords).toBe(2);
    expect(l.codeWords).toBe(363); // ceil(100 * 232 / 64)
    expect(l.onlineWordsPerParty).toBe(100 + 2 * (2 * 25 + 3));
    expect(l.offlineWordsPerParty).toBe(100 + 363 + 2 + 3 * 25 * 2 + 3 * 2 + 4 * 100);
    expect(comparisonLayout(100, { ...DEFAULT, product: true }).offlineWordsPerParty).toBe(l.offlineWordsPerParty + 400);
  });

  it('the other shapes of the tree', () => {
    const rounds = (bits: number, chunkBits: number, fuseLastAnd = true) => comparisonLayout(64, { bits, chunkBits, product: false, fuseLastAnd }).rounds;
    expect([1, 2, 3, 4, 5, 8].map((d) => rounds(64, d))).toEqual([7, 6, 6, 5, 5, 4]);
    expect([1, 2, 3, 4, 5, 8].map((d) => rounds(64, d, false))).toEqual([8, 7, 7, 6, 6, 5]);
    expect(rounds(33, 4)).toBe(4);
    expect(rounds(2, 1)).toBe(2); // one chunk: nothing to fuse, open and final only
    expect(rounds(2, 1, false)).toBe(2);
    expect(comparisonLayout(64, { bits: 64, chunkBits: 1, product: false, fuseLastAnd: true }).andsPerLevel).toEqual([61, 31, 15, 7, 3]);
    expect(comparisonLayout(64, { ...DEFAULT, fuseLastAnd: false }).andsPerLevel).toEqual([15, 7, 3, 1]);
  });

  it('rejects bad options', () => {
    expect(() => comparisonLayout(1, { ...DEFAULT, bits: 1 })).toThrow(ProtocolError);
    expect(() => comparisonLayout(1, { ...DEFAULT, bits: 65 })).toThrow(/\[2, 64\]/);
    expect(() => comparisonLayout(1, { ...DEFAULT, chunkBits: 0 })).toThrow(/\[1, 8\]/);
    expect(() => comparisonLayout(1, { ...DEFAULT, chunkBits: 2.5 })).toThrow(ProtocolError);
    expect(() => comparisonLayout(10, { ...DEFAULT, codeElements: 11 })).toThrow(/codeElements must be an integer in \[0, 10\], got 11/);
    expect(() => comparisonLayout(10, { ...DEFAULT, codeElements: 1.5 })).toThrow(/codeElements/);
    expect(() => comparisonLayout(10, { ...DEFAULT, product: true, codeElements: 5 })).toThrow(/needs product false/);
  });

  it('codeElements m: mask, code and top bit for m elements, the tree and final material for all n', () => {
    const full = comparisonLayout(200, DEFAULT);
    const part = comparisonLayout(200, { ...DEFAULT, codeElements: 10 });
    expect(part.codeWords).toBe(Math.ceil((10 * full.codeBits) / 64));
    expect(full.offlineWordsPerParty - part.offlineWordsPerParty).toBe(190 + full.codeWords - part.codeWords + full.planeWords - 1);
    expect(part.onlineWordsPerParty).toBe(full.onlineWordsPerParty);
  });
});

describe.each([
  ['crypto', () => new CryptoRandom()],
  ['seeded', () => new SeededRandom('comparison-key', { insecureDeterministic: true })],
])('comparison key (%s randomness)', (_, makeRandom) => {
  it.each([
    [64, 4, true],
    [64, 3, false],
    [33, 8, true],
  ])('l = %i, d = %i, fused %s: code, top bit, triples, final bits and products are consistent', (bits, chunkBits, fuseLastAnd) => {
    const options = { bits, chunkBits, product: true, fuseLastAnd };
    const n = 77;
    const [k0, k1] = dealComparisonKey(makeRandom(), [7, 11], options);
    const layout = comparisonLayout(n, options);
    const r = reconstruct([k0.r, k1.r]);
    expect(r.shape).toEqual([7, 11]);
    const code = words(reconstructBits([k0.code, k1.code]).data);
    const top = words(reconstructBits([k0.rTop, k1.rTop]).data);
    let bad = 0; // mismatches, counted rather than asserted one by one (thousands of bits)
    for (let e = 0; e < n; e++) {
      const word = r.data[e]!;
      if (getBit(top, e) !== Number((word >> BigInt(bits - 1)) & 1n)) bad++;
      for (const chunk of layout.chunks) {
        const value = Number((word >> BigInt(chunk.start)) & ((1n << BigInt(chunk.width)) - 1n));
        for (let v = 0; v < 2 ** chunk.width - 1; v++) if (getBit(code, e * layout.codeBits + chunk.offset + v) !== (value > v ? 1 : 0)) bad++;
      }
    }
    const triples = words(reconstructBits([k0.andTriples, k1.andTriples]).data);
    let at = 0;
    for (const count of layout.andsPerLevel) {
      const len = 2 * count * layout.planeWords;
      for (let i = 0; i < len; i++) if (triples[at + 2 * len + i] !== (triples[at + i]! & triples[at + len + i]!) >>> 0) bad++;
      at += 3 * len;
    }
    expect(at).toBe(triples.length);
    const masks = words(reconstructBits([k0.finalMasks, k1.finalMasks]).data);
    const s = reconstruct([k0.finalBits, k1.finalBits]);
    const products = reconstruct([k0.finalProducts!, k1.finalProducts!]);
    const w = layout.planeWords;
    expect(s.shape).toEqual([layout.finalValues, n]);
    for (let e = 0; e < n; e++) {
      const fused = layout.finalValues === 4;
      const alpha = fused ? getBit(masks, e) : 0;
      const beta = fused ? getBit(masks, 64 * w + e) : 0;
      const t = getBit(masks, (fused ? 128 * w : 0) + e);
      for (let v = 0; v < layout.finalValues; v++) {
        const [p, q] = [v >> 1, v & 1];
        const bit = BigInt(t ^ (alpha & beta) ^ (p & beta) ^ (q & alpha) ^ (p & q));
        if (s.data[v * n + e] !== bit || products.data[v * n + e] !== bit * r.data[e]!) bad++;
      }
    }
    expect(bad).toBe(0);
    expect(comparisonKeyElements(k0)).toBe(layout.offlineWordsPerParty);
    expect(comparisonKeyElements(k1)).toBe(layout.offlineWordsPerParty);
  });

  it('with codeElements m deals r, code and top bit of m elements (consistent), the rest for all n', () => {
    const options = { ...DEFAULT, bits: 33, chunkBits: 8, codeElements: 5 };
    const [k0, k1] = dealComparisonKey(makeRandom(), [3, 40], options);
    const layout = comparisonLayout(120, options);
    const r = reconstruct([k0.r, k1.r]);
    expect(r.shape).toEqual([5]);
    const code = words(reconstructBits([k0.code, k1.code]).data);
    const top = words(reconstructBits([k0.rTop, k1.rTop]).data);
    let bad = 0;
    for (let e = 0; e < 5; e++) {
      const word = r.data[e]!;
      if (getBit(top, e) !== Number((word >> 32n) & 1n)) bad++;
      for (const chunk of layout.chunks) {
        const value = Number((word >> BigInt(chunk.start)) & ((1n << BigInt(chunk.width)) - 1n));
        for (let v = 0; v < 2 ** chunk.width - 1; v++) if (getBit(code, e * layout.codeBits + chunk.offset + v) !== (value > v ? 1 : 0)) bad++;
      }
    }
    expect(bad).toBe(0);
    expect(reconstruct([k0.finalBits, k1.finalBits]).shape).toEqual([4, 120]);
    expect(comparisonKeyElements(k0)).toBe(layout.offlineWordsPerParty);
  });

  it('uses a given mask and checks its shape', () => {
    const mask = RingTensor.fromBigInts([5n, 1n << 63n], [2]);
    const [k0, k1] = dealComparisonKey(makeRandom(), [2], DEFAULT, mask);
    expect(reconstruct([k0.r, k1.r]).data).toEqual(mask.data);
    expect(() => dealComparisonKey(makeRandom(), [3], DEFAULT, mask)).toThrow(ShapeError);
  });
});

describe('comparison keys through the dealer wrappers', () => {
  it('RecordingDealer and connectDealer count the layout words', async () => {
    const recording = new RecordingDealer(new CryptoDealer());
    const meter = new CostMeter();
    const [d0, d1] = connectDealer(recording, meter);
    const options = { ...DEFAULT, product: true };
    await Promise.all([d0.comparisonKey([100], 'relu', options), d1.comparisonKey([100], 'relu', options)]);
    const words = comparisonLayout(100, options).offlineWordsPerParty;
    expect(recording.report()).toEqual([{ tag: 'relu', kind: 'comparisonKey', requests: 1, elementsPerParty: words, bytes: 16 * words }]);
    expect(meter.report().offlineBytes).toEqual([8 * words, 8 * words]);
    await d0.comparisonKey([4], 'x', DEFAULT);
    await expect(d1.comparisonKey([4], 'x', { ...DEFAULT, chunkBits: 2 })).rejects.toThrow(/lost step/);
  });
});
