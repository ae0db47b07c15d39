import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { runCli } from '../../testing/cli.js';
import { projectRoot } from '../../testing/fixtures.js';
import { parseScaleOption, parseSeedOption, parseShard } from './shared.js';

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

describe('--seed', () => {
  it('takes a whole number >= 0 (the last one when repeated)', () => {
    expect(parseSeedOption('7')).toBe(7);
    expect(parseSeedOption(['1', '0'])).toBe(0);
    for (const bad of ['abc', '-1', '1.5', '', '1e3']) expect(() => parseSeedOption(bad), bad).toThrow(`--seed: expected a whole number >= 0, got "${bad}"`);
    expect(parseScaleOption(2)).toBe(2);
  });

  it('is a usage error naming the option, not the config file (exit 2), for every command that reads a config', async () => {
    for (const command of [['run'], ['train'], ['datasets', 'inspect']]) {
      let err = '';
      const code = await runCli([...command, join(projectRoot, 'configs/smoke.yaml'), '--seed', 'abc'], { stdout: { write: () => undefined }, stderr: { write: (t: string) => (err += t) } });
      expect(code, command.join(' ')).toBe(2);
      expect(err.split('\n')[0], command.join(' ')).toBe('error: --seed: expected a whole number >= 0, got "abc"');
    }
  });
});
