import { execFile } from 'node:child_process';
import { appendFile, chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { PrivedgeConfig } from '../config/schema.js';
import { PrivedgeError, UsageError } from '../errors.js';
import { runIdFor } from '../runner/run-config.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { DeepReadonly } from '../util/deep-freeze.js';
import { shortHash } from '../util/hash.js';
import { pipelineStages, sbatchArguments, stageScript, submissionPlan, type PredictStage, type SlurmPipeline, type SlurmResources, type StageName } from './slurm-scripts.js';

/** What `privedge slurm` was asked for, besides the config. */
export interface SlurmJobRequest {
  readonly outDir: string;
  readonly workDir: string;
  readonly privedge: string;
  readonly setup: readonly string[];
  readonly trainShards: number;
  /** The private-prediction stage, if any (its run folder is derived from the config). */
  readonly predict?: Omit<PredictStage, 'runDir'>;
  readonly resources: SlurmResources;
}

/**
 * The pipeline of a resolved config: its job folder is `<out>/slurm/<name>-<hash>/`, the hash
 * over everything that changes what the jobs compute (the config less its output settings, the
 * shard counts and the query options; not the resources, so a re-submission with a longer
 * `--time` finds the markers of the first). The predict stage queries the identification run
 * that the evaluation job writes (`<out>/identification/<run id>`).
 * @throws UsageError if a path has white space (sbatch cannot quote it) or the predict stage is
 *   asked for a config without an identification experiment.
 */
export function slurmPipeline(config: DeepReadonly<PrivedgeConfig>, configFile: string, request: SlurmJobRequest): SlurmPipeline {
  const outDir = resolve(request.outDir);
  const workDir = resolve(request.workDir);
  const { output: _o, name: _n, description: _d, ...computed } = config;
  const name = (config.name ?? 'config').replace(/[^A-Za-z0-9._-]/g, '-');
  const jobDir = join(outDir, 'slurm', `${name}-${shortHash({ computed, trainShards: request.trainShards, predict: request.predict ?? null })}`);
  for (const [what, path] of [['--out', outDir], ['the working directory', workDir]] as const) {
    if (/\s/.test(path)) throw new UsageError(`${what} "${path}" has white space, which #SBATCH lines cannot quote`);
  }
  let predict: PredictStage | undefined;
  if (request.predict) {
    const index = config.experiments.findIndex((e) => e.id === 'identification');
    if (index < 0) throw new UsageError(`--private-shards needs an identification experiment in ${configFile}`);
    predict = { ...request.predict, runDir: join(outDir, 'identification', runIdFor(config as PrivedgeConfig, index)) };
  }
  return {
    name: `privedge-${name}`,
    jobDir,
    workDir,
    outDir,
    configFile: join(jobDir, 'config.resolved.yaml'),
    privedge: request.privedge,
    setup: request.setup,
    trainShards: request.trainShards,
    ...(predict ? { predict } : {}),
    resources: request.resources,
  };
}

/** Writes the job folder: the frozen config every job reads, one script per stage, `logs/`, `done/`. */
export async function writeJobFolder(p: SlurmPipeline, config: DeepReadonly<PrivedgeConfig>): Promise<string[]> {
  await mkdir(join(p.jobDir, 'logs'), { recursive: true });
  await mkdir(join(p.jobDir, 'done'), { recursive: true });
  await writeFileAtomic(p.configFile, stringify(config, { aliasDuplicateObjects: false }));
  const written: string[] = [];
  for (const stage of pipelineStages(p)) {
    const path = join(p.jobDir, stage.script);
    await writeFileAtomic(path, stageScript(p, stage));
    await chmod(path, 0o755);
    written.push(path);
  }
  return written;
}

/** The markers in the job folder's `done/` (none before the first task finished). */
export async function readMarkers(jobDir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(join(jobDir, 'done')));
  } catch {
    return new Set();
  }
}

/** Runs `sbatch` with these arguments and returns what it printed. */
export type Sbatch = (args: readonly string[]) => Promise<string>;

/** The real `sbatch` (from PATH). */
export const systemSbatch: Sbatch = (args) =>
  new Promise((resolvePrinted, reject) => {
    execFile('sbatch', [...args], (error, stdout, stderr) => {
      if (error === null) return resolvePrinted(stdout);
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new PrivedgeError(
          'SLURM',
          missing ? 'sbatch not found: run privedge slurm on a Slurm login node (or with --dry-run to only write the scripts)' : `sbatch ${args.join(' ')} failed: ${(stderr || error.message).trim()}`,
        ),
      );
    });
  });

/** One job submitted by {@link submitPipeline}. */
export interface SubmittedJob {
  readonly stage: StageName;
  readonly jobId: string;
  readonly args: readonly string[];
}

/**
 * Submits what the markers say is missing ({@link submissionPlan}), each stage waiting for the
 * one submitted before it, and appends each submission to `submissions.log` in the job folder.
 * With `dryRun`, submits nothing and returns the sbatch arguments with `$<stage>_job` in place of
 * the job ids. An empty result means every stage is complete.
 */
export async function submitPipeline(p: SlurmPipeline, sbatch: Sbatch, options: { dryRun?: boolean; now?: () => Date } = {}): Promise<SubmittedJob[]> {
  const plan = submissionPlan(p, await readMarkers(p.jobDir));
  const jobs = new Map<StageName, string>();
  const submitted: SubmittedJob[] = [];
  for (const s of plan) {
    const args = sbatchArguments(p, s, s.after === undefined ? undefined : jobs.get(s.after));
    let jobId = `$${s.stage}_job`;
    if (!options.dryRun) {
      for (const m of s.clearMarkers) await rm(join(p.jobDir, 'done', m), { force: true });
      const printed = (await sbatch(args)).trim();
      const match = /^(\d+)(;\S+)?$/.exec(printed);
      if (match === null) throw new PrivedgeError('SLURM', `sbatch printed "${printed}" for ${s.script}, not a job id${submitted.length ? ` (already submitted: ${submitted.map((j) => `${j.stage} ${j.jobId}`).join(', ')})` : ''}`);
      jobId = match[1]!;
      await appendFile(join(p.jobDir, 'submissions.log'), `${(options.now ?? (() => new Date()))().toISOString()} ${s.stage} job ${jobId}: sbatch ${args.join(' ')}\n`);
    }
    jobs.set(s.stage, jobId);
    submitted.push({ stage: s.stage, jobId, args });
  }
  return submitted;
}
