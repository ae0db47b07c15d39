import type { Argv, CommandModule } from 'yargs';
import type { CliContext } from '../context.js';
import { PROTOCOL_VERSIONS, type ProtocolVersion } from '../../mpc-sim/protocols/protocol-version.js';

interface ServeArgs {
  role: 's0' | 's1' | 'dealer';
  keys: string;
  state: string;
  listen: string;
  peer?: string;
  dealer?: string;
  timeout: number;
  retry: number;
  fixed: number;
  protocol?: ProtocolVersion;
  'insecure-seed'?: string;
}

/** `privedge serve --role s0|s1|dealer`: runs one party of a networked deployment until stopped (docs/network.md). */
export function serveCommand(ctx: CliContext): CommandModule<object, ServeArgs> {
  return {
    command: 'serve',
    describe: 'Run S0, S1 or the dealer of a private-prediction deployment over TLS (see docs/network.md)',
    builder: (y: Argv) =>
      y
        .option('role', { choices: ['s0', 's1', 'dealer'] as const, demandOption: true, describe: 'Which party this process is' })
        .option('keys', { type: 'string', demandOption: true, describe: 'Key folder (privedge keys); only <keys>/<role>/ is read' })
        .option('state', { type: 'string', demandOption: true, describe: "This party's own folder (mode 0700): enrolled shares, or the dealer's weight masks" })
        .option('listen', { type: 'string', demandOption: true, describe: 'host:port to listen on' })
        .option('peer', { type: 'string', describe: "S1's host:port (S0 only)" })
        .option('dealer', { type: 'string', describe: "The dealer's host:port (S0 and S1)" })
        .option('timeout', { type: 'number', default: 30000, describe: 'Per-round timeout, ms' })
        .option('retry', { type: 'number', default: 5000, describe: 'Keep retrying the dealer and S1 at start for this long, ms' })
        .option('fixed', { type: 'number', choices: [16, 20], default: 20, describe: 'Fixed-point fraction bits' })
        .option('protocol', { choices: PROTOCOL_VERSIONS, describe: 'Protocol version of S0 and S1 (default v1; both must use the same; see docs/private-prediction-v2.md)' })
        .option('insecure-seed', { type: 'string', describe: 'INSECURE, tests only: deterministic dealer seed' }) as unknown as Argv<ServeArgs>,
    handler: async (args) => {
      const { serve } = await import('../../mpc-sim/deploy/serve.js');
      const log = (line: string): void => void ctx.stdout.write(`${line}\n`);
      await serve(
        {
          role: args.role,
          keys: args.keys,
          state: args.state,
          listen: args.listen,
          timeoutMs: args.timeout,
          retryMs: args.retry,
          fracBits: args.fixed,
          ...(args.protocol === undefined ? {} : { protocol: args.protocol }),
          ...(args.peer === undefined ? {} : { peer: args.peer }),
          ...(args.dealer === undefined ? {} : { dealer: args.dealer }),
          ...(args['insecure-seed'] === undefined ? {} : { insecureSeed: args['insecure-seed'] }),
        },
        log,
      );
    },
  };
}
