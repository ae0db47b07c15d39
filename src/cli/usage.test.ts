import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';
import { projectRoot } from '../testing/fixtures.js';

/** Runs the command line with captured streams and the real experiment registry. */
async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

describe('usage errors exit 2 and name the option', () => {
  it('--shard outside 0 <= i < n, or not i/n, in train and predict-private', async () => {
    const config = `${projectRoot}/configs/smoke.yaml`;
    for (const bad of ['5/4', '3/2', 'x']) {
      for (const argv of [['train', config, '--shard', bad, '--quiet'], ['predict-private', '--run', '/nonexistent/run', '--shard', bad, '--quiet']]) {
        const r = await cli(argv);
        expect(r.code, argv.join(' ')).toBe(2);
        expect(r.err).toBe(`error: --shard takes i/n with 0 <= i < n, got "${bad}"\nRun "privedge --help" for usage.\n`);
        expect(r.out).toBe('');
      }
    }
  });

  it('predict-private: --partial without --merge, --queries below 1, --float64-reference with a 2PC option', async () => {
    expect((await cli(['predict-private', '--run', '/nonexistent/run', '--partial', '--quiet'])).err).toContain('--partial only goes with --merge');
    const r = await cli(['predict-private', '--run', '/nonexistent/run', '--queries', '0', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--queries must be a positive integer, got 0');
    for (const other of ['--merge', '--resume', '--validate']) {
      const c = await cli(['predict-private', '--run', '/nonexistent/run', '--float64-reference', other, '--quiet']);
      expect(c.code, other).toBe(2);
      expect(c.err).toContain(`--float64-reference (float64 dissimilarities of the picked images, no 2PC) does not go with ${other}`);
    }
  });
});
