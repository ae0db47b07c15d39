/** The command line from the TypeScript sources (as bin/privedge.js runs the compiled one), for the fault tests. */
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), { experiments: async () => (await import('../experiments/index.js')).experimentRegistry });
