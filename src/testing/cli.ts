import { experimentRegistry } from '../../experiments/index.js';
import { main, type MainIo } from '../cli/main.js';

/** Runs the command line as `bin/privedge.js` does (every experiment registered), with the given streams. */
export function runCli(argv: readonly string[], io: Omit<MainIo, 'experiments'> = {}): Promise<number> {
  return main(argv, { experiments: async () => experimentRegistry, ...io });
}
