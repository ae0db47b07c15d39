import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentRegistry } from '../../experiments/index.js';
import { parseConfigText } from '../config/load.js';
import { runIdFor } from '../runner/run-config.js';
import { tempDir } from '../testing/fixtures.js';
import { readMarkers, slurmPipeline, submitPipeline, writeJobFolder, type SlurmJobRequest } from './slurm-job.js';

const yaml = `
name: tiny
seed: 7
dataset: { source: { type: mnist }, users: { maxUsers: 4, maxImagesPerUser: 20 } }
training: { gf: 4, df: 4, iterations: 5, batchSize: 4 }
experiments:
  - dataset-summary
  - { id: identification, baselines: [] }
`;
const load = (text = yaml) => parseConfigText(text, 'tiny.yaml', { experiments: [...experimentRegistry.values()] }).config;

describe('Slurm job folder', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });
  const request = (over: Partial<SlurmJobRequest> = {}): SlurmJobRequest => ({
    outDir: join(tmp.dir, 'results'),
    workDir: tmp.dir,
    privedge: 'echo privedge',
    setup: [],
    trainShards: 4,
    predict: { shards: 2, queries: 6, order: 'spread', fixed: 20 },
    resources: { cpusPerTask: 1, mem: '1G', time: '10:00', extra: [] },
    ...over,
  });

  it('lives in <out>/slurm/<name>-<hash of what the jobs compute>; the private stage queries the identification run', () => {
    const config = load();
    const p = slurmPipeline(config, 'tiny.yaml', request());
    expect(p.jobDir).toMatch(new RegExp(`^${join(tmp.dir, 'results', 'slurm', 'tiny-')}[0-9a-f]{10}$`));
    expect(p.configFile).toBe(join(p.jobDir, 'config.resolved.yaml'));
    expect(p.predict?.runDir).toBe(join(tmp.dir, 'results', 'identification', runIdFor(config, 1)));
    // Resources do not change the folder (a re-submission with a longer --time finds the markers); shard counts and queries do.
    expect(slurmPipeline(config, 'tiny.yaml', request({ resources: { cpusPerTask: 8, mem: '64G', time: '2-00:00:00', gres: 'gpu:1', extra: [] } })).jobDir).toBe(p.jobDir);
    expect(slurmPipeline(config, 'tiny.yaml', request({ trainShards: 8 })).jobDir).not.toBe(p.jobDir);
    expect(slurmPipeline(config, 'tiny.yaml', request({ predict: { shards: 2, queries: 7, order: 'spread', fixed: 20 } })).jobDir).not.toBe(p.jobDir);
    expect(slurmPipeline(load(yaml.replace('seed: 7', 'seed: 8')), 'tiny.yaml', request()).jobDir).not.toBe(p.jobDir);
  });

  it('refuses a private stage without an identification experiment, and paths with white space', () => {
    expect(() => slurmPipeline(load(yaml.replace(/ {2}- \{ id: identification.*\n/, '')), 'tiny.yaml', request())).toThrow('--private-shards needs an identification experiment in tiny.yaml');
    expect(() => slurmPipeline(load(), 'tiny.yaml', request({ outDir: join(tmp.dir, 'my results') }))).toThrow(/--out .*my results" has white space/);
  });

  it('writes scripts whose tasks run their shard once, mark it done, and exit early when marked', async () => {
    const config = load();
    const p = slurmPipeline(config, 'tiny.yaml', request());
    const written = await writeJobFolder(p, config);
    expect(written.map((f) => f.slice(p.jobDir.length + 1))).toEqual(['train.sbatch', 'evaluate.sbatch', 'predict.sbatch', 'merge.sbatch']);
    expect(await readFile(p.configFile, 'utf8')).toContain('name: tiny');
    expect(await readdir(join(p.jobDir, 'logs'))).toEqual([]);
    const task = (script: string, env: Record<string, string>) => spawnSync('bash', [join(p.jobDir, script)], { encoding: 'utf8', env: { PATH: process.env['PATH']!, ...env } });

    const first = task('train.sbatch', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '1' });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`privedge train ${p.configFile} --out ${p.outDir} --shard 2/4\n`);
    expect([...(await readMarkers(p.jobDir))]).toEqual(['train-2-of-4']);
    const again = task('train.sbatch', { SLURM_ARRAY_TASK_ID: '2' });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('train: shard 2 of 4 is already complete');
    expect(again.stdout).not.toContain('privedge train');

    const notArray = task('train.sbatch', {});
    expect(notArray.status).not.toBe(0);
    expect(notArray.stderr).toContain('submit this script as a job array');
  });

  it('leaves no marker when the command fails', async () => {
    const config = load();
    const p = slurmPipeline(config, 'tiny.yaml', request({ privedge: 'false', trainShards: 3 }));
    await writeJobFolder(p, config);
    const failed = spawnSync('bash', [join(p.jobDir, 'evaluate.sbatch')], { encoding: 'utf8' });
    expect(failed.status).not.toBe(0);
    expect(existsSync(join(p.jobDir, 'done', 'evaluate'))).toBe(false);
  });

  it('submits the missing tasks, each stage afterok the job sbatch returned for the stage before, and logs them', async () => {
    const config = load();
    const p = slurmPipeline(config, 'tiny.yaml', request({ trainShards: 5 }));
    await writeJobFolder(p, config);
    for (const m of ['train-0-of-5', 'train-1-of-5', 'train-4-of-5', 'merge']) await writeFile(join(p.jobDir, 'done', m), '');
    const calls: string[][] = [];
    let next = 41;
    const sbatch = async (args: readonly string[]) => {
      calls.push([...args]);
      return `${next++};cluster-a\n`;
    };

    const dry = await submitPipeline(p, sbatch, { dryRun: true });
    expect(calls).toEqual([]);
    expect(dry.map((j) => j.args.join(' '))[1]).toBe(`--parsable --dependency=afterok:$train_job --kill-on-invalid-dep=yes ${p.jobDir}/evaluate.sbatch`);
    expect(await readMarkers(p.jobDir)).toContain('merge');

    const jobs = await submitPipeline(p, sbatch, { now: () => new Date('2026-12-03T12:00:00Z') });
    expect(jobs.map((j) => [j.stage, j.jobId])).toEqual([['train', '41'], ['evaluate', '42'], ['predict', '43'], ['merge', '44']]);
    expect(calls).toEqual([
      ['--parsable', '--array=2-3', `${p.jobDir}/train.sbatch`],
      ['--parsable', '--dependency=afterok:41', '--kill-on-invalid-dep=yes', `${p.jobDir}/evaluate.sbatch`],
      ['--parsable', '--array=0-1', '--dependency=afterok:42', '--kill-on-invalid-dep=yes', `${p.jobDir}/predict.sbatch`],
      ['--parsable', '--dependency=afterok:43', '--kill-on-invalid-dep=yes', `${p.jobDir}/merge.sbatch`],
    ]);
    // The merge runs again after the new predictions, so its old marker is gone.
    expect([...(await readMarkers(p.jobDir))].sort()).toEqual(['train-0-of-5', 'train-1-of-5', 'train-4-of-5']);
    const log = (await readFile(join(p.jobDir, 'submissions.log'), 'utf8')).trim().split('\n');
    expect(log).toHaveLength(4);
    expect(log[0]).toBe(`2026-12-03T12:00:00.000Z train job 41: sbatch --parsable --array=2-3 ${p.jobDir}/train.sbatch`);

    for (const m of ['train-2-of-5', 'train-3-of-5', 'evaluate', 'predict-0-of-2', 'predict-1-of-2', 'merge']) await writeFile(join(p.jobDir, 'done', m), '');
    calls.length = 0;
    expect(await submitPipeline(p, sbatch)).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('names the script when sbatch prints no job id', async () => {
    const config = load();
    const p = slurmPipeline(config, 'tiny.yaml', request({ trainShards: 6 }));
    await writeJobFolder(p, config);
    await expect(submitPipeline(p, async () => 'Submitted batch job 12\n')).rejects.toThrow('sbatch printed "Submitted batch job 12" for train.sbatch, not a job id');
  });
});
