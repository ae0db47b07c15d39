import type { ExperimentRegistry } from '../runner/experiment.js';
import type { Reporter } from '../progress/reporter.js';
import type { Interrupts } from '../runner/signals.js';

/** What every command handler gets: injected output streams, reporter and the experiments. */
export interface CliContext {
  readonly stdout: { write(text: string): unknown };
  readonly reporter: Reporter;
  /** The experiment registry, imported on first use (so `--help` loads no option schema). */
  experiments(): Promise<ExperimentRegistry>;
  /** Where long-running commands register what SIGINT/SIGTERM records and prints. */
  readonly interrupts: Interrupts;
}

/** Options shared by commands that read a config. */
export interface ConfigArgs {
  config: string;
  set?: string[];
  seed?: number;
}
