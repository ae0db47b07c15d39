import type { Argv, CommandModule } from 'yargs';
import type { CliContext, ConfigArgs } from '../context.js';
import { configOptions } from './shared.js';

interface InspectArgs extends ConfigArgs {
  all?: boolean;
}

/** `privedge datasets inspect <config.yaml>`: users, images per user, splits, size and pixel statistics. */
export function datasetsCommand(ctx: CliContext): CommandModule<object, object> {
  const inspect: CommandModule<object, InspectArgs> = {
    command: 'inspect <config>',
    describe: "Print the config's users, images per user, train/validation/test sizes, image size and pixel statistics",
    builder: (y: Argv) => configOptions(y).option('all', { type: 'boolean', default: false, describe: 'List every user' }) as unknown as Argv<InspectArgs>,
    handler: async (args) => {
      const [{ loadConfig }, registry] = await Promise.all([import('../../config/load.js'), ctx.experiments()]);
      const { config } = await loadConfig(args.config, { experiments: [...registry.values()], overrides: args.set ?? [], ...(args.seed !== undefined ? { seed: args.seed } : {}) });
      const [{ formatInspection }, { prepareDataset }, { Rng }] = await Promise.all([import('../../datasets/inspect.js'), import('../../datasets/prepare.js'), import('../../util/rng.js')]);
      const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'), { reporter: ctx.reporter });
      ctx.stdout.write(formatInspection(data, Boolean(args.all)));
    },
  };
  return {
    command: 'datasets <command>',
    describe: 'Dataset tools',
    builder: (y: Argv) => y.command(inspect).demandCommand(1, 'name a datasets command (inspect)'),
    handler: () => undefined,
  };
}
