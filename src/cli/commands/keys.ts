import type { Argv, CommandModule } from 'yargs';
import type { CliContext } from '../context.js';

interface KeysArgs {
  out: string;
}

/** `privedge keys --out <dir>`: writes a fresh pre-shared key per link of a deployment (mode 0600). */
export function keysCommand(ctx: CliContext): CommandModule<object, KeysArgs> {
  return {
    command: 'keys',
    describe: 'Generate the TLS pre-shared keys of a deployment: <out>/<role>/<peer>.psk, mode 0600 (see docs/network.md)',
    builder: (y: Argv) => y.option('out', { type: 'string', demandOption: true, describe: 'Folder to create; copy <out>/<role>/ to the host of that role' }) as unknown as Argv<KeysArgs>,
    handler: async (args) => {
      const { generateKeys } = await import('../../mpc-sim/transport/keys.js');
      for (const file of generateKeys(args.out)) ctx.stdout.write(`${file}\n`);
    },
  };
}
