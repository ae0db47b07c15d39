import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import type { Shard } from '../../models/rec-adv/train-users.js';

/**
 * `--seed` as given (yargs would turn `abc` into NaN and the config would be blamed): a whole
 * number >= 0, else a usage error naming the option.
 */
export function parseSeedOption(value: unknown): number {
  const text = Array.isArray(value) ? String(value.at(-1)) : String(value);
  const seed = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed: expected a whole number >= 0, got "${text}"`);
  return seed;
}

/** `--scale` of `figures`: PNG pixels per SVG pixel, 0 < scale <= 8 (as `output.pngScale`). */
export function parseScaleOption(value: unknown): number {
  const scale = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 8) throw new UsageError(`--scale: expected a number > 0 and <= 8, got "${String(value)}"`);
  return scale;
}

/** Adds the positional config and the `--set` / `--seed` options. */
export function configOptions<T>(y: Argv<T>) {
  return y
    .positional('config', { type: 'string', demandOption: true, describe: 'YAML config file' })
    .option('set', { type: 'string', array: true, describe: 'Override a config key before validation: --set dataset.users.maxUsers=5 (repeatable)' })
    .option('seed', { type: 'string', coerce: parseSeedOption, describe: 'Override the config seed (a whole number >= 0)' });
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
