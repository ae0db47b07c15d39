import type { Argv, CommandModule } from 'yargs';
import type { CliContext } from '../context.js';
import { parseScaleOption } from './shared.js';

interface FiguresArgs {
  dir: string;
  formats?: string[];
  scale?: number;
}

/** `privedge figures <dir>`: rebuilds every chart of every run under a folder from its CSV files alone. */
export function figuresCommand(ctx: CliContext): CommandModule<object, FiguresArgs> {
  return {
    command: 'figures <dir>',
    describe: 'Re-render every chart of a run folder (or of every run below a results folder) from its CSV files alone',
    builder: (y: Argv) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'A run folder or a results folder' })
        .option('formats', { type: 'string', array: true, choices: ['svg', 'png'], default: ['svg', 'png'], describe: 'Formats to render besides .vl.json' })
        .option('scale', { type: 'number', default: 2, describe: 'PNG pixels per SVG pixel' }) as unknown as Argv<FiguresArgs>,
    handler: async (args) => {
      // Every option is checked before any file is touched.
      const pngScale = parseScaleOption(args.scale ?? 2);
      const { regenerateFigures } = await import('../../runner/figures.js');
      const rebuilt = await regenerateFigures(args.dir, await ctx.experiments(), {
        formats: (args.formats ?? ['svg', 'png']) as ('svg' | 'png')[],
        pngScale,
        reporter: ctx.reporter,
      });
      for (const r of rebuilt) ctx.stdout.write(`${r.charts.length} chart(s)  ${r.dir}\n`);
    },
  };
}
