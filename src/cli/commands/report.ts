import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';

interface ReportArgs {
  dir: string;
  out?: string;
  maxRows?: number;
}

/** `privedge report <dir>`: one static HTML page of every run below a results folder. */
export function reportCommand(ctx: CliContext): CommandModule<object, ReportArgs> {
  return {
    command: 'report <dir>',
    describe: 'Write one self-contained HTML page of every run below a results folder: charts, tables, configs, manifests',
    builder: (y: Argv) =>
      y
        .positional('dir', { type: 'string', demandOption: true, describe: 'A results folder (or one run folder)' })
        .option('out', { type: 'string', describe: 'The page to write (default <dir>/report.html)' })
        .option('max-rows', { type: 'number', default: 50, describe: 'Rows shown per CSV file; the rest are counted' }) as unknown as Argv<ReportArgs>,
    handler: async (args) => {
      const maxRows = args.maxRows ?? 50;
      if (!Number.isInteger(maxRows) || maxRows < 0) throw new UsageError(`--max-rows: expected a whole number >= 0, got ${String(args.maxRows)}`);
      const { writeHtmlReport } = await import('../../html-report/report.js');
      const result = await writeHtmlReport(args.dir, {
        ...(args.out === undefined ? {} : { out: args.out }),
        maxRows,
        experimentOrder: [...(await ctx.experiments()).keys()],
      });
      const unfinished = Object.entries(result.unfinished).map(([state, n]) => `${n} ${state}`);
      ctx.stdout.write(`${result.runs} run(s) of ${result.experiments} experiment(s)${unfinished.length > 0 ? ` (${unfinished.join(', ')})` : ''}  ${result.out}\n`);
    },
  };
}
