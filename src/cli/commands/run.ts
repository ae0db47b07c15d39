import type { Argv, CommandModule } from 'yargs';
import type { CliContext, ConfigArgs } from '../context.js';
import { configOptions } from './shared.js';

interface RunArgs extends ConfigArgs {
  out?: string;
  backend?: string;
  only?: string[];
}

/** `privedge run <config.yaml>`: runs every experiment the config lists. */
export function runCommand(ctx: CliContext): CommandModule<object, RunArgs> {
  return {
    command: 'run <config>',
    describe: 'Run every experiment a config lists; each writes results/<experiment>/<run-id>/',
    builder: (y: Argv) =>
      configOptions(y)
        .option('out', { type: 'string', describe: 'Results root folder (overrides output.dir)' })
        .option('backend', { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend (overrides the config key backend)' })
        .option('only', {
          type: 'string',
          array: true,
          describe: 'Run only these experiments of the config (ids, comma-separated or repeated), into the same run folders as a full run',
          coerce: (v: string[]) => v.flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter((s) => s !== ''),
        }) as unknown as Argv<RunArgs>,
    handler: async (args) => {
      const overrides = [...(args.set ?? []), ...(args.backend ? [`backend=${args.backend}`] : [])];
      const [{ loadConfig }, registry] = await Promise.all([import('../../config/load.js'), ctx.experiments()]);
      const loaded = await loadConfig(args.config, { experiments: [...registry.values()], overrides, ...(args.seed !== undefined ? { seed: args.seed } : {}) });
      const resumeCommand = ['privedge run', args.config, ...(args.out ? ['--out', args.out] : []), ...(args.set ?? []).map((s) => `--set '${s}'`), ...(args.seed !== undefined ? ['--seed', String(args.seed)] : []), ...(args.backend ? ['--backend', args.backend] : []), ...(args.only ? ['--only', args.only.join(',')] : [])].join(' ');
      const { runConfig } = await import('../../runner/run-config.js');
      const outcomes = await runConfig(loaded, { registry, reporter: ctx.reporter, interrupts: ctx.interrupts, resumeCommand, ...(args.out ? { outDir: args.out } : {}), ...(args.only ? { only: args.only } : {}) });
      for (const o of outcomes) ctx.stdout.write(`${o.status.padEnd(9)} ${o.experiment.padEnd(20)} ${o.dir}\n`);
    },
  };
}
