import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds and child names', () => {
    const a = Rng.fromSeed(42).child('partition');
    const b = Rng.fromSeed(42).child('partition');
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    const c = Rng.fromSeed(43).child('partition');
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(seqA);
    const d = Rng.fromSeed(42).child('init');
    expect(Array.from({ length: 5 }, () => d.nextUint32())).not.toEqual(seqA);
  });

  it('derives children by name, independent of how much the parent was used', () => {
    const parent = Rng.fromSeed(1);
    const before = parent.child('x').nextUint32();
    parent.nextUint32();
    parent.nextUint32();
    expect(parent.child('x').nextUint32()).toBe(before);
  });

  it('draws integers uniformly in range and floats in [0, 1)', () => {
    const r = Rng.fromSeed(7);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.nextInt(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500); // ~5 sigma
    for (let i = 0; i < 1000; i++) {
      const f = r.nextFloat();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
    expect(() => r.nextInt(0)).toThrow(RangeError);
  });

  it('shuffles into a permutation', () => {
    const p = Rng.fromSeed(3).permutation(100);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
