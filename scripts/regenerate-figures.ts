/**
 * Regenerates every figure of a results tree from its CSV files, then its HTML report:
 *
 *   node --import tsx scripts/regenerate-figures.ts <results dir> [--out report.html] [--scale 2] [--quiet]
 *
 * The same as `privedge figures <dir>` followed by `privedge report <dir>`; stops at the first failure.
 */
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';
import { experimentRegistry } from '../experiments/index.js';

const USAGE = 'usage: node --import tsx scripts/regenerate-figures.ts <results dir> [--out report.html] [--scale 2] [--quiet]';

/** The command line, or null (after printing why) when it is wrong. */
function commandLine(): { dir: string; out?: string; scale?: string; quiet: boolean; help: boolean } | null {
  try {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: { out: { type: 'string' }, scale: { type: 'string' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
    if (values.help) return { dir: '', quiet: true, help: true };
    if (positionals.length !== 1) throw new Error(`expected one results folder, got ${positionals.length}`);
    return { dir: positionals[0]!, ...(values.out ? { out: values.out } : {}), ...(values.scale ? { scale: values.scale } : {}), quiet: values.quiet, help: false };
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n${USAGE}`);
    return null;
  }
}

const args = commandLine();
if (!args) {
  process.exitCode = 2;
} else if (args.help) {
  console.log(USAGE);
} else {
  const quiet = args.quiet ? ['--quiet'] : [];
  let code = await main(['figures', args.dir, ...(args.scale ? ['--scale', args.scale] : []), ...quiet], { experiments: async () => experimentRegistry });
  if (code === 0) code = await main(['report', args.dir, ...(args.out ? ['--out', args.out] : []), ...quiet], { experiments: async () => experimentRegistry });
  process.exitCode = code;
}
