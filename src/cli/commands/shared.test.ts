import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { parseShard } from './shared.js';

describe('parseShard', () => {
  it('reads i/n with 0 <= i < n', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShard(' 1/2 ')).toEqual({ index: 1, count: 2 });
  });

  it('throws a usage error naming the option for anything else', () => {
    for (const bad of ['5/4', '3/2', '2/2', 'x', '1/0', '-1/2', '1.5/2', '1/2/3', '']) {
      const call = () => parseShard(bad);
      expect(call, bad).toThrow(UsageError);
      expect(call, bad).toThrow(`--shard takes i/n with 0 <= i < n, got "${bad}"`);
    }
    expect(() => parseShard('x', '--slice')).toThrow('--slice takes i/n');
  });
});
