import type { Argv, CommandModule } from 'yargs';
import type { CliContext } from '../context.js';

interface QueryArgs {
  image: string;
  servers: string;
  keys: string;
  out?: string;
  threshold?: number;
  timeout: number;
  fixed: number;
}

/** `privedge query`: one private prediction of an image by a networked deployment (docs/network.md). */
export function queryCommand(ctx: CliContext): CommandModule<object, QueryArgs> {
  return {
    command: 'query',
    describe: 'Private prediction of one image by S0 and S1 over TLS: prints the predicted user (see docs/network.md)',
    builder: (y: Argv) =>
      y
        .option('image', { type: 'string', demandOption: true, describe: 'Image file (PNG, JPEG, PGM, ...), resized to the models\' input' })
        .option('servers', { type: 'string', demandOption: true, describe: "S0's and S1's host:port, comma-separated" })
        .option('keys', { type: 'string', demandOption: true, describe: 'Key folder holding client/*.psk' })
        .option('out', { type: 'string', describe: 'CSV file to add a row to (only when the query succeeds)' })
        .option('threshold', { type: 'number', describe: 'Also learn whether the smallest dissimilarity is below this' })
        .option('timeout', { type: 'number', default: 30000, describe: 'Per-message timeout, ms' })
        .option('fixed', { type: 'number', choices: [16, 20], default: 20, describe: 'Fixed-point fraction bits (as the servers)' }) as unknown as Argv<QueryArgs>,
    handler: async (args) => {
      const { queryImage } = await import('../../mpc-sim/deploy/client-commands.js');
      const r = await queryImage({
        image: args.image,
        servers: args.servers,
        keys: args.keys,
        timeoutMs: args.timeout,
        fracBits: args.fixed,
        ...(args.out === undefined ? {} : { out: args.out }),
        ...(args.threshold === undefined ? {} : { threshold: args.threshold }),
      });
      const below = r.belowThreshold === undefined ? '' : `, below threshold: ${r.belowThreshold ? 'yes' : 'no'}`;
      ctx.stdout.write(`user ${r.user} (index ${r.index}${below}); ${r.seconds.toFixed(2)} s, ${r.rounds} rounds, ${((r.onlineBytes[0] + r.onlineBytes[1]) / 1e6).toFixed(1)} MB online\n`);
    },
  };
}
