import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../testing/fixtures.js';
import { main } from '../main.js';
import { parseScaleOption, parseSeedOption } from './shared.js';

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
      const code = await main([...command, join(projectRoot, 'configs/smoke.yaml'), '--seed', 'abc'], { stdout: { write: () => undefined }, stderr: { write: (t: string) => (err += t) } });
      expect(code, command.join(' ')).toBe(2);
      expect(err.split('\n')[0], command.join(' ')).toBe('error: --seed: expected a whole number >= 0, got "abc"');
    }
  });
});
