import type { Argv, CommandModule } from 'yargs';
import type { CliContext, ConfigArgs } from '../context.js';
import { UsageError } from '../../errors.js';
import { configOptions } from './shared.js';

interface TileArgs extends ConfigArgs {
  out: string;
  rows: number;
  columns: number;
  margin: number;
  gap: number;
  force: boolean;
}

/** A whole number within [min, max] given to `option`, else a usage error naming it. */
function wholeNumber(option: string, min: number, max: number): (value: unknown) => number {
  return (value) => {
    const text = Array.isArray(value) ? String(value.at(-1)) : String(value);
    const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${option}: expected a whole number from ${min} to ${max}, got "${text}"`);
    return n;
  };
}

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
  const tile: CommandModule<object, TileArgs> = {
    command: 'tile <config>',
    describe: "Compose page-level images from the config's word images: each writer's words (sorted ids) tiled rows x columns on white paper, grey PNG <out>/w<label>/page<k>.png",
    builder: (y: Argv) =>
      configOptions(y)
        .option('out', { type: 'string', demandOption: true, describe: 'Folder to write the pages to (replaced atomically; must be empty or absent unless --force)' })
        .option('rows', { type: 'string', default: '2', coerce: wholeNumber('rows', 1, 64), describe: 'Words per page, down' })
        .option('columns', { type: 'string', default: '2', coerce: wholeNumber('columns', 1, 64), describe: 'Words per page, across' })
        .option('margin', { type: 'string', default: '24', coerce: wholeNumber('margin', 0, 4096), describe: 'White border around the words, in pixels' })
        .option('gap', { type: 'string', default: '16', coerce: wholeNumber('gap', 0, 4096), describe: 'White space between words, in pixels' })
        .option('force', { type: 'boolean', default: false, describe: 'Replace a non-empty --out folder' }) as unknown as Argv<TileArgs>,
    handler: async (args) => {
      const [{ loadConfig }, registry] = await Promise.all([import('../../config/load.js'), ctx.experiments()]);
      const { config } = await loadConfig(args.config, { experiments: [...registry.values()], overrides: args.set ?? [], ...(args.seed !== undefined ? { seed: args.seed } : {}) });
      const [{ tilePages, formatTileSummary }, { Rng }] = await Promise.all([import('../../datasets/tile-pages.js'), import('../../util/rng.js')]);
      const layout = { rows: args.rows, columns: args.columns, margin: args.margin, gap: args.gap };
      const summary = await tilePages(config.dataset, Rng.fromSeed(config.seed).child('data'), { out: args.out, layout, force: args.force, reporter: ctx.reporter });
      ctx.stdout.write(formatTileSummary(summary, layout));
    },
  };
  return {
    command: 'datasets <command>',
    describe: 'Dataset tools',
    builder: (y: Argv) => y.command(inspect).command(tile).demandCommand(1, 'name a datasets command (inspect, tile)'),
    handler: () => undefined,
  };
}
