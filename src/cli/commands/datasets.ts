import type { Argv, CommandModule } from 'yargs';
import type { CliContext, ConfigArgs } from '../context.js';
import { configOptions } from './shared.js';

interface InspectArgs extends ConfigArgs {
  all?: boolean;
  splits?: string;
}

/**
 * `privedge datasets inspect <config.yaml>`: users, images per user, splits, source sizes, patches,
 * groups, duplicates and leakage, size and pixel statistics; `--splits file.csv` writes each image's
 * split (image, user, split, group).
 */
export function datasetsCommand(ctx: CliContext): CommandModule<object, object> {
  const inspect: CommandModule<object, InspectArgs> = {
    command: 'inspect <config>',
    describe: "Print the config's users, images per user, train/validation/test sizes, source sizes, patches, groups, duplicates and cross-split leakage, image size and pixel statistics",
    builder: (y: Argv) =>
      configOptions(y)
        .option('all', { type: 'boolean', default: false, describe: 'List every user' })
        .option('splits', { type: 'string', describe: 'Write each used image\'s split to this CSV (image, user, split, group)' }) as unknown as Argv<InspectArgs>,
    handler: async (args) => {
      const [{ loadConfig }, registry] = await Promise.all([import('../../config/load.js'), ctx.experiments()]);
      const { config } = await loadConfig(args.config, { experiments: [...registry.values()], overrides: args.set ?? [], ...(args.seed !== undefined ? { seed: args.seed } : {}) });
      const [{ inspectionReport }, { writeSplitsCsv }, { prepareDataset }, { Rng }, { resolve }] = await Promise.all([
        import('../../datasets/inspect.js'),
        import('../../datasets/audit.js'),
        import('../../datasets/prepare.js'),
        import('../../util/rng.js'),
        import('node:path'),
      ]);
      // Warnings are part of the printed report; do not print them twice.
      const reporter = { ...ctx.reporter, warn: () => undefined };
      const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'), { reporter });
      ctx.stdout.write(await inspectionReport(data, Boolean(args.all)));
      if (args.splits) {
        await writeSplitsCsv(resolve(args.splits), data);
        ctx.stdout.write(`splits         written to ${args.splits}\n`);
      }
    },
  };
  return {
    command: 'datasets <command>',
    describe: 'Dataset tools',
    builder: (y: Argv) => y.command(inspect).demandCommand(1, 'name a datasets command (inspect)'),
    handler: () => undefined,
  };
}
