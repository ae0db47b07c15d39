import type { Argv, CommandModule } from 'yargs';
import type { CliContext } from '../context.js';

interface EnrolArgs {
  model: string;
  user: string;
  servers: string;
  keys: string;
  timeout: number;
  fixed: number;
}

/** `privedge enrol`: shares a user's trained reconstructor and enrols it at S0 and S1 (docs/network.md). */
export function enrolCommand(ctx: CliContext): CommandModule<object, EnrolArgs> {
  return {
    command: 'enrol',
    describe: "Secret-share a user's trained reconstructor and enrol it at both servers of a deployment (see docs/network.md)",
    builder: (y: Argv) =>
      y
        .option('model', { type: 'string', demandOption: true, describe: "The user's model folder (results/models/<hash>/user-<name>)" })
        .option('user', { type: 'string', demandOption: true, describe: 'Model id to enrol it under' })
        .option('servers', { type: 'string', demandOption: true, describe: "S0's and S1's host:port, comma-separated" })
        .option('keys', { type: 'string', demandOption: true, describe: 'Key folder holding client/*.psk' })
        .option('timeout', { type: 'number', default: 30000, describe: 'Per-message timeout, ms' })
        .option('fixed', { type: 'number', choices: [16, 20], default: 20, describe: 'Fixed-point fraction bits (as the servers)' }) as unknown as Argv<EnrolArgs>,
    handler: async (args) => {
      const { enrolModel } = await import('../../mpc-sim/deploy/client-commands.js');
      const ids = await enrolModel({ model: args.model, user: args.user, servers: args.servers, keys: args.keys, timeoutMs: args.timeout, fracBits: args.fixed });
      ctx.stdout.write(`enrolled '${args.user}'; the servers hold ${ids.length} users: ${ids.join(', ')}\n`);
    },
  };
}
