import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import type { Shard } from '../../models/rec-adv/train-users.js';

/** Adds the positional config and the `--set` / `--seed` options. */
export function configOptions<T>(y: Argv<T>) {
  return y
    .positional('config', { type: 'string', demandOption: true, describe: 'YAML config file' })
    .option('set', { type: 'string', array: true, describe: 'Override a config key before validation: --set dataset.users.maxUsers=5 (repeatable)' })
    .option('seed', { type: 'number', describe: 'Override the config seed' });
}

/**
 * Parses a `--shard i/n` value: whole numbers with 0 <= i < n.
 * @throws UsageError (exit 2) naming the option otherwise (`5/4`, `3/2`, `x`, `1/0`).
 */
export function parseShard(text: string, option = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new UsageError(`${option} takes i/n with 0 <= i < n, got "${text}"`);
  return { index, count };
}
