import yargs from 'yargs';
import { PrivedgeError, UsageError } from '../errors.js';
import { consoleReporter, silentReporter } from '../progress/reporter.js';
import { listenForInterrupts, noInterrupts } from '../runner/signals.js';
import { configCommand } from './commands/config.js';
import { datasetsCommand } from './commands/datasets.js';
import { enrolCommand } from './commands/enrol.js';
import { figuresCommand } from './commands/figures.js';
import { keysCommand } from './commands/keys.js';
import { predictPrivateCommand } from './commands/predict-private.js';
import { queryCommand } from './commands/query.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { slurmCommand } from './commands/slurm.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import type { ExperimentRegistry } from '../runner/experiment.js';
import type { CliContext } from './context.js';

/** The experiments and streams `main` uses (the bin passes `experiments/index.ts`'s registry, imported on use; tests inject streams). */
export interface MainIo {
  readonly experiments: () => Promise<ExperimentRegistry>;
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  readonly context?: Partial<CliContext>;
  /** Handle SIGINT/SIGTERM (record the stop, exit 130/143); default true when `stderr` is the process's. */
  readonly handleSignals?: boolean;
}

/**
 * Runs the command line and returns the exit code: 0 on success, 1 when a command failed, 2 on
 * wrong usage. Errors print one line (`error: ...`); `--verbose` adds the stack trace.
 */
export async function main(argv: readonly string[], io: MainIo): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const verbose = argv.includes('--verbose');
  const quiet = argv.includes('--quiet');
  const signals = (io.handleSignals ?? stderr === process.stderr) ? listenForInterrupts(stderr) : undefined;
  const ctx: CliContext = {
    stdout,
    reporter: quiet ? silentReporter : consoleReporter({ sink: stderr }),
    experiments: once(io.experiments),
    interrupts: signals ?? noInterrupts,
    ...io.context,
  };
  try {
    await yargs([...argv])
      .scriptName('privedge')
      .usage('$0 <command> [options]\n\nPrivEdge research harness: YAML config in, CSV results and Vega-Lite charts out.')
      .command(runCommand(ctx))
      .command(trainCommand(ctx))
      .command(predictPrivateCommand(ctx))
      .command(datasetsCommand(ctx))
      .command(figuresCommand(ctx))
      .command(reportCommand(ctx))
      .command(configCommand(ctx))
      .command(slurmCommand(ctx))
      .command(keysCommand(ctx))
      .command(serveCommand(ctx))
      .command(enrolCommand(ctx))
      .command(queryCommand(ctx))
      .option('verbose', { type: 'boolean', default: false, describe: 'Print stack traces of errors' })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress output' })
      .demandCommand(1, 'name a command (see --help)')
      .strict()
      .recommendCommands()
      .exitProcess(false)
      .fail((message, error) => {
        // yargs reports its own checks (and errors thrown by option coercion) as a YError: usage.
        if (error && error.name !== 'YError') throw error;
        throw new UsageError(error?.message ?? message);
      })
      .help()
      .alias('h', 'help')
      .version()
      .wrap(Math.min(110, (stderr as { columns?: number }).columns ?? 100))
      .parseAsync();
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.write(`error: ${error.message}\nRun "privedge --help" for usage.\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`error: ${error instanceof PrivedgeError ? message : `unexpected failure: ${message}`}\n`);
    if (verbose && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
    return 1;
  } finally {
    signals?.dispose();
  }
}

/** `load`, called at most once. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
