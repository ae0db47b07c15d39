import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors.js';
import { reconstruct } from '../sharing/share.js';
import { ReplayDealer } from './replay-dealer.js';
import { DeterministicDealer } from './crypto-dealer.js';

describe('ReplayDealer', () => {
  it('records generated material and replays each answer once per matching request, first in first out', () => {
    const d = new ReplayDealer(new DeterministicDealer({ seed: 'replay', insecureDeterministic: true }));
    const first = d.mulTriple([4], 'mul');
    const second = d.mulTriple([4], 'mul');
    const other = d.truncationPair([2], 't', { fracBits: 8 });
    expect(d.pending).toBe(3);
    expect(d.generationSeconds).toBeGreaterThanOrEqual(0);
    d.mode = 'replay';
    expect(d.mulTriple([4], 'mul')).toBe(first);
    expect(d.truncationPair([2], 't', { fracBits: 8 })).toBe(other);
    expect(d.mulTriple([4], 'mul')).toBe(second);
    expect(d.pending).toBe(0);
    // The material is still a valid triple: c = a b.
    const a = reconstruct([first[0].a, first[1].a]).data;
    const b = reconstruct([first[0].b, first[1].b]).data;
    const c = reconstruct([first[0].c, first[1].c]).data;
    for (let i = 0; i < 4; i++) expect(c[i]).toBe(BigInt.asUintN(64, a[i]! * b[i]!));
    expect(() => d.mulTriple([4], 'mul')).toThrow(ProtocolError);
    expect(() => d.mulTriple([5], 'mul')).toThrow(/no recorded material for 'mulTriple mul \[5\]'/);
  });

  it('in generate mode answers from the inner dealer without keeping or timing anything', () => {
    const d = new ReplayDealer(new DeterministicDealer({ seed: 'replay-generate', insecureDeterministic: true }));
    d.mode = 'generate';
    const a = d.mulTriple([4], 'mul');
    const b = d.mulTriple([4], 'mul');
    expect(a).not.toBe(b);
    expect(d.pending).toBe(0);
    expect(d.generationSeconds).toBe(0);
    d.mode = 'replay';
    expect(() => d.mulTriple([4], 'mul')).toThrow(/no recorded material/);
  });
});
