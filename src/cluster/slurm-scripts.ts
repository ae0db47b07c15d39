/**
 * Slurm job scripts for a sharded PrivEdge run, and which of them to submit.
 *
 * A pipeline has up to four stages, each waiting for the one before it (`--dependency=afterok`):
 * `train` (a job array, task i runs `privedge train --shard i/n`), `evaluate` (`privedge run`,
 * which finds every shard's models), `predict` (a job array of `privedge predict-private
 * --shard i/m` over the identification run) and `merge` (`predict-private --merge`). Each task
 * writes a marker `done/<stage>[-i-of-n]` into the job folder when its command succeeded and exits
 * at once when its marker is already there, so a re-submission runs only what is missing.
 *
 * Everything here is pure (text in, text out); {@link ./slurm-job.ts} writes and submits.
 */

import type { QueryOrder } from '../private-fidelity/query-order.js';

/** sbatch resources of every job of a pipeline. */
export interface SlurmResources {
  /** `--cpus-per-task`. */
  readonly cpusPerTask: number;
  /** `--mem`, e.g. `4G`. */
  readonly mem: string;
  /** `--time`, e.g. `4:00:00`. */
  readonly time: string;
  readonly partition?: string;
  readonly account?: string;
  /** `--gres`, e.g. `gpu:1`: requested by the training and evaluation jobs only (2PC runs on CPUs). */
  readonly gres?: string;
  /** More sbatch options for every job, e.g. `--qos=long`. */
  readonly extra: readonly string[];
}

/** The private-prediction stage: `predict-private` over the identification run, then `--merge`. */
export interface PredictStage {
  readonly shards: number;
  /** Absolute path of the identification run folder the evaluation job writes. */
  readonly runDir: string;
  readonly queries: number | 'all';
  readonly order: QueryOrder;
  readonly fixed: 16 | 20;
}

/** Everything the scripts of one pipeline depend on (paths absolute). */
export interface SlurmPipeline {
  /** Job-name prefix, e.g. `privedge-smoke`. */
  readonly name: string;
  /** The job folder: scripts, `config.resolved.yaml`, `logs/`, `done/`. */
  readonly jobDir: string;
  /** Working directory of every job (`--chdir`): relative dataset paths resolve against it. */
  readonly workDir: string;
  /** Results root (`--out`). */
  readonly outDir: string;
  /** The frozen resolved config every job reads. */
  readonly configFile: string;
  /** Shell words that run privedge on a node, e.g. `node /opt/privedge/bin/privedge.js` (a shell function `privedge` wraps them). */
  readonly privedge: string;
  /** Shell lines run before each command, e.g. `module load cuda/11.8`. */
  readonly setup: readonly string[];
  readonly trainShards: number;
  readonly predict?: PredictStage;
  readonly resources: SlurmResources;
}

/** The stages of a pipeline, in order. */
export type StageName = 'train' | 'evaluate' | 'predict' | 'merge';

/** One stage: a job array of `shards` tasks, or a single job. */
export interface Stage {
  readonly name: StageName;
  readonly shards?: number;
  readonly script: string;
}

/** One sbatch submission of a plan. */
export interface Submission {
  readonly stage: StageName;
  readonly script: string;
  /** `--array` spec, for an array stage. */
  readonly array?: string;
  /** The stage submitted just before, whose job this one waits for (`afterok`). */
  readonly after?: StageName;
  /** Markers of this stage to delete before submitting (the stage before it runs again). */
  readonly clearMarkers: readonly string[];
}

/** Quotes a string for a POSIX shell. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The stages of a pipeline. */
export function pipelineStages(p: SlurmPipeline): Stage[] {
  const stages: Stage[] = [
    { name: 'train', shards: p.trainShards, script: 'train.sbatch' },
    { name: 'evaluate', script: 'evaluate.sbatch' },
  ];
  if (p.predict) stages.push({ name: 'predict', shards: p.predict.shards, script: 'predict.sbatch' }, { name: 'merge', script: 'merge.sbatch' });
  return stages;
}

/** Name of the marker a task writes into `done/` when it succeeded: `train-2-of-4`, `evaluate`. */
export function markerName(stage: StageName, shard?: { index: number; count: number }): string {
  return shard ? `${stage}-${shard.index}-of-${shard.count}` : stage;
}

/** Every marker of a stage. */
function stageMarkers(stage: Stage): string[] {
  if (stage.shards === undefined) return [markerName(stage.name)];
  return Array.from({ length: stage.shards }, (_, index) => markerName(stage.name, { index, count: stage.shards! }));
}

/** A Slurm `--array` spec of task indices, runs collapsed: [0,1,2,5,7,8] -> `0-2,5,7-8`. */
export function arraySpec(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new RangeError('arraySpec: no task indices');
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * What to submit, given the markers already in `done/`: each stage's missing tasks (an array
 * spec of the missing shards), waiting for the stage submitted before it. Once a stage is
 * submitted, every later stage runs again in full (its markers are cleared), since its inputs
 * are being rewritten. An empty plan means every stage is complete.
 */
export function submissionPlan(p: SlurmPipeline, done: ReadonlySet<string>): Submission[] {
  const plan: Submission[] = [];
  let after: StageName | undefined;
  for (const stage of pipelineStages(p)) {
    const markers = stageMarkers(stage);
    const rerun = after !== undefined;
    const missing = markers.flatMap((m, index) => (rerun || !done.has(m) ? [index] : []));
    if (missing.length === 0) continue;
    plan.push({
      stage: stage.name,
      script: stage.script,
      ...(stage.shards !== undefined ? { array: arraySpec(missing) } : {}),
      ...(after !== undefined ? { after } : {}),
      clearMarkers: rerun ? markers.filter((m) => done.has(m)) : [],
    });
    after = stage.name;
  }
  return plan;
}

/** The sbatch arguments of a submission (the script last), given the job id it waits for. */
export function sbatchArguments(p: SlurmPipeline, s: Submission, afterJob?: string): string[] {
  if (s.after !== undefined && afterJob === undefined) throw new Error(`sbatchArguments: ${s.stage} waits for ${s.after}, whose job id is missing`);
  return [
    '--parsable',
    ...(s.array !== undefined ? [`--array=${s.array}`] : []),
    ...(afterJob !== undefined ? [`--dependency=afterok:${afterJob}`, '--kill-on-invalid-dep=yes'] : []),
    `${p.jobDir}/${s.script}`,
  ];
}

/** The `#SBATCH` lines of a stage: name, folder, per-task log and resources. */
function sbatchHeader(p: SlurmPipeline, stage: Stage): string[] {
  const r = p.resources;
  const log = stage.shards !== undefined ? `${stage.name}-%a.%A.log` : `${stage.name}.%j.log`;
  const gpu = r.gres !== undefined && (stage.name === 'train' || stage.name === 'evaluate');
  const small = stage.name === 'merge';
  return [
    `--job-name=${p.name}-${stage.name}`,
    `--chdir=${p.workDir}`,
    `--output=${p.jobDir}/logs/${log}`,
    `--cpus-per-task=${small ? 1 : r.cpusPerTask}`,
    `--mem=${r.mem}`,
    `--time=${r.time}`,
    ...(r.partition !== undefined ? [`--partition=${r.partition}`] : []),
    ...(r.account !== undefined ? [`--account=${r.account}`] : []),
    ...(gpu ? [`--gres=${r.gres}`] : []),
    ...r.extra,
  ].map((option) => `#SBATCH ${option}`);
}

/** The privedge command line of a stage (`$shard` is the task's shard index). */
function stageCommand(p: SlurmPipeline, stage: Stage): string {
  const q = shellQuote;
  const privedge = 'privedge';
  switch (stage.name) {
    case 'train':
      return `${privedge} train ${q(p.configFile)} --out ${q(p.outDir)} --shard "$shard/${stage.shards}"`;
    case 'evaluate':
      return `${privedge} run ${q(p.configFile)} --out ${q(p.outDir)}`;
    case 'predict': {
      const d = p.predict!;
      const which = d.queries === 'all' ? '--all' : `--queries ${d.queries}`;
      return `${privedge} predict-private --run ${q(d.runDir)} ${which} --order ${d.order} --fixed-point-bits ${d.fixed} --shard "$shard/${stage.shards}" --log --resume`;
    }
    case 'merge':
      return `${privedge} predict-private --run ${q(p.predict!.runDir)} --merge`;
  }
}

const DESCRIPTIONS: Record<StageName, string> = {
  train: 'training array: task i trains users i, i+n, ... (privedge train --shard i/n)',
  evaluate: 'evaluation: runs every experiment of the config with the trained models (privedge run)',
  predict: 'private-prediction array: task i runs every n-th query through 2PC (predict-private --shard i/n)',
  merge: 'merge of the private-prediction shards (predict-private --merge)',
};

/**
 * The sbatch script of a stage. The array spec and dependency are given on the sbatch command
 * line (`privedge slurm` computes them); the shard count is written in the script, not taken from
 * `SLURM_ARRAY_TASK_COUNT`, which counts only the tasks of a partial re-submission.
 */
export function stageScript(p: SlurmPipeline, stage: Stage): string {
  const doneDir = shellQuote(`${p.jobDir}/done`);
  const marker = stage.shards !== undefined ? `${doneDir}/${stage.name}-"$shard"-of-${stage.shards}` : `${doneDir}/${stage.name}`;
  const what = stage.shards !== undefined ? `shard $shard of ${stage.shards}` : stage.name;
  return [
    '#!/bin/bash',
    `# privedge ${DESCRIPTIONS[stage.name]}.`,
    '# Written by `privedge slurm`: run that command again to (re)submit only what is missing.',
    ...sbatchHeader(p, stage),
    'set -euo pipefail',
    ...(stage.shards !== undefined ? ['shard="${SLURM_ARRAY_TASK_ID:?submit this script as a job array (sbatch --array=...)}"'] : []),
    `marker=${marker}`,
    `if [ -e "$marker" ]; then echo "${stage.name}: ${what} is already complete ($marker)"; exit 0; fi`,
    `echo "${stage.name}: ${what} on $(hostname), $(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
    ...p.setup,
    `privedge() { ${p.privedge} "$@"; }`,
    stageCommand(p, stage),
    'touch "$marker"',
    `echo "${stage.name}: ${what} done, $(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
    '',
  ].join('\n');
}
