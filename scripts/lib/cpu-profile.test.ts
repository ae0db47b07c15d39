import { describe, expect, it } from 'vitest';
import { selfTimes, type CpuProfile } from './cpu-profile.js';

describe('selfTimes', () => {
  it('sums the sampled time per function on top of the stack, merging call paths, largest first', () => {
    const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '', -1) },
        { id: 2, callFrame: frame('finish', 'file:///work/src/mpc-sim/protocols/drelu.ts', 340) },
        { id: 3, callFrame: frame('finish', 'file:///work/src/mpc-sim/protocols/drelu.ts', 340) }, // another call path
        { id: 4, callFrame: frame('(garbage collector)', '', -1) },
        { id: 5, callFrame: frame('', 'node:internal/buffer', 1054) },
        { id: 6, callFrame: frame('', '', 0) }, // a native function
        { id: 7, callFrame: frame('add', 'file:///work/src/mpc-sim/ring/elementwise.ts', 0) }, // line unknown
      ],
      samples: [2, 4, 3, 5, 4, 2, 9, 6, 7],
      timeDeltas: [1000, 2500, 500, 250, 2500, 1000, 4000, 125, 100],
    };
    expect(selfTimes(profile)).toEqual([
      { name: '(garbage collector)', ms: 5 },
      { name: 'finish protocols/drelu.ts:341', ms: 2.5 },
      { name: '(anonymous) node:internal/buffer:1055', ms: 0.25 },
      { name: '(anonymous)', ms: 0.125 },
      { name: 'add ring/elementwise.ts', ms: 0.1 },
    ]);
  });
});
