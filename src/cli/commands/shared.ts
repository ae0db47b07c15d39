import type { Argv } from 'yargs';

/** Adds the positional config and the `--set` / `--seed` options. */
export function configOptions<T>(y: Argv<T>) {
  return y
    .positional('config', { type: 'string', demandOption: true, describe: 'YAML config file' })
    .option('set', { type: 'string', array: true, describe: 'Override a config key before validation: --set dataset.users.maxUsers=5 (repeatable)' })
    .option('seed', { type: 'number', describe: 'Override the config seed' });
}
