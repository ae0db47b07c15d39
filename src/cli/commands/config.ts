import type { Argv, CommandModule } from 'yargs';
import type { CliContext, ConfigArgs } from '../context.js';
import { configOptions } from './shared.js';

/** `privedge config <config.yaml>`: validates a config and prints it with every default filled in. */
export function configCommand(ctx: CliContext): CommandModule<object, ConfigArgs> {
  return {
    command: 'config <config>',
    describe: 'Validate a config and print it resolved (defaults filled in, overrides applied)',
    builder: (y: Argv) => configOptions(y) as unknown as Argv<ConfigArgs>,
    handler: async (args) => {
      const [{ loadConfig }, { stringify }, registry] = await Promise.all([import('../../config/load.js'), import('yaml'), ctx.experiments()]);
      const { config } = await loadConfig(args.config, { experiments: [...registry.values()], overrides: args.set ?? [], ...(args.seed !== undefined ? { seed: args.seed } : {}) });
      ctx.stdout.write(stringify(config, { aliasDuplicateObjects: false }));
    },
  };
}
