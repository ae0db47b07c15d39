import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { CliContext, ConfigArgs } from '../context.js';
import { configOptions, parseShard } from './shared.js';

interface TrainArgs extends ConfigArgs {
  out?: string;
  shard?: string;
  backend?: string;
}

/** `privedge train <config.yaml>`: trains every selected user's RAN (resumable, shardable). */
export function trainCommand(ctx: CliContext): CommandModule<object, TrainArgs> {
  return {
    command: 'train <config>',
    describe: "Train every enrolled user's reconstructive adversarial network (skips users already trained; --shard i/n for job arrays)",
    builder: (y: Argv) =>
      configOptions(y)
        .option('out', { type: 'string', describe: 'Results root folder (overrides output.dir); models go to <out>/models/<hash>' })
        .option('shard', { type: 'string', describe: 'Train only users i, i+n, i+2n, ... (e.g. 0/4 .. 3/4 for a 4-job array)' })
        .option('backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend (overrides the config key backend)' }) as unknown as Argv<TrainArgs>,
    handler: async (args) => {
      const shard = args.shard === undefined ? undefined : parseShard(args.shard);
      const overrides = [...(args.set ?? []), ...(args.backend ? [`backend=${args.backend}`] : [])];
      const [{ loadConfig }, registry] = await Promise.all([import('../../config/load.js'), ctx.experiments()]);
      const { config } = await loadConfig(args.config, { experiments: [...registry.values()], overrides, ...(args.seed !== undefined ? { seed: args.seed } : {}) });
      const [{ prepareDataset }, { modelsFolder, trainUsers }, { countTrainedIn }, { writeTrainingOutputs }, { Rng }] = await Promise.all([
        import('../../datasets/prepare.js'),
        import('../../models/rec-adv/train-users.js'),
        import('../../runner/run-state.js'),
        import('../../runner/training-outputs.js'),
        import('../../util/rng.js'),
      ]);
      const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'), { reporter: ctx.reporter });
      const outDir = resolve(args.out ?? config.output.dir);
      const modelsDir = modelsFolder(config, outDir);
      const stop = ctx.interrupts.onInterrupt((signal) => {
        return `interrupted by ${signal}: kept the ${countTrainedIn(modelsDir)} user model(s) trained so far in ${modelsDir} (users in training restart from scratch); resume with the same command: privedge train ${args.config} ...`;
      });
      const outcome = await trainUsers(config, data, { outDir, writeOutputs: writeTrainingOutputs, reporter: ctx.reporter, ...(shard ? { shard } : {}) }).finally(stop);
      ctx.stdout.write(`models: ${outcome.modelsDir}\ntrained ${outcome.trained.length}, already trained ${outcome.skipped.length}, left to other shards ${outcome.otherShards.length}\n`);
    },
  };
}
