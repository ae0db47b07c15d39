import { realpathSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { QUERY_ORDERS, type QueryOrder } from '../../private-fidelity/query-order.js';
import type { CliContext, ConfigArgs } from '../context.js';
import { configOptions } from './shared.js';

interface SlurmArgs extends ConfigArgs {
  out?: string;
  backend?: string;
  shards: number;
  privateShards: number;
  queries: number;
  all: boolean;
  order: QueryOrder;
  fixedPointBits: number;
  cpusPerTask: number;
  mem: string;
  time: string;
  partition?: string;
  account?: string;
  gres?: string;
  sbatch?: string[];
  setup?: string[];
  privedge?: string;
  dryRun: boolean;
}

/** Shell words that run this very privedge: this node binary and this launcher script. */
function thisPrivedge(quote: (s: string) => string): string {
  const script = process.argv[1];
  if (script === undefined) throw new UsageError('cannot tell how privedge was started: give --privedge "<command>"');
  return `${quote(process.execPath)} ${quote(realpathSync(script))}`;
}

/**
 * `privedge slurm <config.yaml>`: writes the Slurm scripts of a sharded run (training array,
 * evaluation, and optionally a private-prediction array and its merge) into
 * `<out>/slurm/<name>-<hash>/` and submits, each stage after the one before (`afterok`), only the
 * tasks whose `done/` markers are missing, so running it again re-submits what failed.
 */
export function slurmCommand(ctx: CliContext): CommandModule<object, SlurmArgs> {
  return {
    command: 'slurm <config>',
    describe: 'Write Slurm job-array scripts for a sharded run (train, evaluate, private prediction, merge) and submit the missing tasks',
    builder: (y: Argv) =>
      configOptions(y)
        .option('out', { type: 'string', describe: 'Results root folder (overrides output.dir); the job folder is <out>/slurm/<name>-<hash>' })
        .option('backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend of every job (overrides the config key backend)' })
        .option('shards', { type: 'number', demandOption: true, describe: 'Tasks of the training array (task i trains users i, i+n, ...)' })
        .option('private-shards', { type: 'number', default: 0, describe: 'Tasks of the private-prediction array over the identification run (0: no private stage)' })
        .option('queries', { type: 'number', default: 10, describe: 'Private stage: test images to query' })
        .option('all', { type: 'boolean', default: false, describe: 'Private stage: query every test image' })
        .option('order', { choices: QUERY_ORDERS, default: 'spread' as QueryOrder, describe: 'Private stage: which K test images, in which order (as predict-private --order)' })
        .option('fixed-point-bits', { type: 'number', choices: [16, 20], default: 20, describe: 'Private stage: fixed-point fractional bits' })
        .option('cpus-per-task', { type: 'number', default: 2, describe: 'sbatch --cpus-per-task of each task' })
        .option('mem', { type: 'string', default: '8G', describe: 'sbatch --mem of each task' })
        .option('time', { type: 'string', default: '4:00:00', describe: 'sbatch --time of each task' })
        .option('partition', { type: 'string', describe: 'sbatch --partition' })
        .option('account', { type: 'string', describe: 'sbatch --account' })
        .option('gres', { type: 'string', describe: 'sbatch --gres of the training and evaluation jobs, e.g. gpu:1 (with --backend tensorflow)' })
        .option('sbatch', { type: 'string', array: true, describe: 'Another sbatch option for every job, e.g. --sbatch=--qos=long (repeatable)' })
        .option('setup', { type: 'string', array: true, describe: 'A shell line every job runs first, e.g. "module load cuda/11.8" (repeatable)' })
        .option('privedge', { type: 'string', describe: 'Shell command that runs privedge on the nodes (default: this node and this privedge, by absolute path)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Write the scripts and print the sbatch commands without submitting' }) as unknown as Argv<SlurmArgs>,
    handler: async (args) => {
      const whole = (name: string, v: number, min: number): number => {
        if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be a whole number >= ${min}, got ${v}`);
        return v;
      };
      const shards = whole('shards', args.shards, 1);
      const privateShards = whole('private-shards', args.privateShards, 0);
      const cpus = whole('cpus-per-task', args.cpusPerTask, 1);
      if (!args.all) whole('queries', args.queries, 1);
      for (const option of args.sbatch ?? []) if (!option.startsWith('--')) throw new UsageError(`--sbatch takes an sbatch option such as --qos=long, got "${option}"`);

      const { loadConfig } = await import('../../config/load.js');
      const { shellQuote } = await import('../../cluster/slurm-scripts.js');
      const { slurmPipeline, submitPipeline, systemSbatch, writeJobFolder } = await import('../../cluster/slurm-job.js');
      const overrides = [...(args.set ?? []), ...(args.backend ? [`backend=${args.backend}`] : [])];
      const registry = await ctx.experiments();
      const { config } = await loadConfig(args.config, { experiments: [...registry.values()], overrides, ...(args.seed !== undefined ? { seed: args.seed } : {}) });
      const pipeline = slurmPipeline(config, args.config, {
        outDir: args.out ?? config.output.dir,
        workDir: process.cwd(),
        privedge: args.privedge ?? thisPrivedge(shellQuote),
        setup: args.setup ?? [],
        trainShards: shards,
        ...(privateShards > 0 ? { predict: { shards: privateShards, queries: args.all ? ('all' as const) : args.queries, order: args.order, fixed: args.fixedPointBits === 16 ? (16 as const) : (20 as const) } } : {}),
        resources: {
          cpusPerTask: cpus,
          mem: args.mem,
          time: args.time,
          ...(args.partition !== undefined ? { partition: args.partition } : {}),
          ...(args.account !== undefined ? { account: args.account } : {}),
          ...(args.gres !== undefined ? { gres: args.gres } : {}),
          extra: args.sbatch ?? [],
        },
      });
      await writeJobFolder(pipeline, config);
      const out = ctx.stdout;
      out.write(`job folder: ${pipeline.jobDir}\n`);
      const jobs = await submitPipeline(pipeline, systemSbatch, { dryRun: args.dryRun });
      if (jobs.length === 0) out.write(`every stage is complete (markers in ${pipeline.jobDir}/done): nothing to submit\n`);
      for (const j of jobs) out.write(`${args.dryRun ? 'would submit' : `submitted job ${j.jobId}:`} ${j.stage.padEnd(8)} sbatch ${j.args.join(' ')}\n`);
      if (jobs.length > 0 && !args.dryRun) out.write(`logs: ${pipeline.jobDir}/logs/\n`);
    },
  };
}
