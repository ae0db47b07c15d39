import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { CryptoRandom, SeededRandom, randomTensor, type InsecureDeterministicOption } from './random.js';

describe('ring randomness', () => {
  it('the seeded stream is reproducible from its seed and differs between seeds', () => {
    const flag = { insecureDeterministic: true } as const;
    const a = new SeededRandom('s', flag);
    const b = new SeededRandom('s', flag);
    // Same total length split differently: a CTR keystream does not care.
    const x = randomTensor(a, [100]);
    const y1 = randomTensor(b, [37]);
    const y2 = randomTensor(b, [63]);
    expect([...y1.data, ...y2.data]).toEqual(Array.from(x.data));
    const other = randomTensor(new SeededRandom('t', flag), [100]);
    expect(Array.from(other.data)).not.toEqual(Array.from(x.data));
  });

  it('refuses to seed without the insecureDeterministic flag', () => {
    expect(() => new SeededRandom('s', {} as InsecureDeterministicOption)).toThrow(ProtocolError);
    expect(() => new SeededRandom('s', { insecureDeterministic: false } as unknown as InsecureDeterministicOption)).toThrow(
      /insecureDeterministic/,
    );
  });

  it('crypto randomness fills every word (top bits set about half the time)', () => {
    const t = randomTensor(new CryptoRandom(), [4096]);
    let top = 0;
    for (const w of t.data) top += Number(w >> 63n);
    // Binomial(4096, 1/2): sd = 32; 6 sd either side.
    expect(top).toBeGreaterThan(2048 - 192);
    expect(top).toBeLessThan(2048 + 192);
  });
});
