import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load.js';
import { prepareDataset } from '../../datasets/prepare.js';
import { toFloatImages } from '../../datasets/tensors.js';
import { RunError, UsageError } from '../../errors.js';
import { CryptoDealer } from '../../mpc-sim/dealer/stream-dealer.js';
import { FIXED16, FIXED20 } from '../../mpc-sim/encoding/fixed-point.js';
import { runPrivateFidelity } from '../../mpc-sim/models/fidelity.js';
import { createInProcessSession } from '../../mpc-sim/parties/in-process.js';
import { loadUserModel } from '../../models/rec-adv/train-users.js';
import { initTensorflow } from '../../models/runtime.js';
import { readCsv, writeCsv } from '../../report/csv.js';
import { readManifest } from '../../report/run-folder.js';
import { Rng } from '../../util/rng.js';
import type { CliContext } from '../context.js';

interface PredictPrivateArgs {
  run: string;
  queries: number;
  fixed: number;
}

const COLUMNS = ['image', 'trueUser', 'plaintextPredicted', 'privatePredicted', 'agree', 'rounds', 'onlineBytes', 'seconds'] as const;

/**
 * `privedge predict-private --run <identification run>`: replays the first K test images of an
 * identification run through the 2PC protocol (in process, CryptoDealer) and checks that the
 * private labels equal the plaintext ones. Writes `<run>/private_predictions.csv`.
 */
export function predictPrivateCommand(ctx: CliContext): CommandModule<object, PredictPrivateArgs> {
  return {
    command: 'predict-private',
    describe: 'Re-run the first K test images of an identification run through 2PC private prediction and compare with the plaintext labels',
    builder: (y: Argv) =>
      y
        .option('run', { type: 'string', demandOption: true, describe: 'Folder of a completed identification run' })
        .option('queries', { type: 'number', default: 10, describe: 'Number of test images to query (first K in identification order)' })
        .option('fixed', { type: 'number', choices: [16, 20], default: 20, describe: 'Fixed-point fractional bits' }) as unknown as Argv<PredictPrivateArgs>,
    handler: async (args) => {
      const dir = resolve(args.run);
      if (!Number.isInteger(args.queries) || args.queries < 1) throw new UsageError(`--queries must be a positive integer, got ${args.queries}`);
      const manifest = await readManifest(dir);
      const runJson = join(dir, 'run.json');
      if (manifest.experiment !== 'identification') throw new RunError(runJson, `not an identification run (experiment '${manifest.experiment}')`);
      if (manifest.status !== 'completed') throw new RunError(runJson, `the run is not completed (status '${manifest.status}')`);
      const models = manifest.facts['models'] as { dir?: unknown } | undefined;
      if (typeof models?.dir !== 'string') throw new RunError(runJson, 'no facts.models.dir recorded');
      const modelsDir = resolve(models.dir);

      const { config } = await loadConfig(join(dir, 'config.resolved.yaml'), { experiments: [...ctx.registry.values()] });
      const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'), { reporter: ctx.reporter });
      const users = data.partition.users.map((u) => u.user);
      const testIndices = data.partition.users.flatMap((u) => u.test);
      const trueLabels = data.partition.users.flatMap((u) => u.test.map(() => u.user));
      const k = Math.min(args.queries, testIndices.length);
      const ids = testIndices.slice(0, k).map((i) => data.images.ids[i]!);

      const predictionsPath = join(dir, 'predictions.csv');
      const plaintext = new Map<string, string>();
      for (const row of await readCsv(predictionsPath)) {
        if (row['system'] === 'privedge') plaintext.set(String(row['image']), String(row['predicted']));
      }
      const plaintextLabels = ids.map((id) => {
        const label = plaintext.get(id);
        if (label === undefined) throw new RunError(predictionsPath, `no privedge prediction for test image '${id}'`);
        return label;
      });

      await initTensorflow(config.backend);
      const session = createInProcessSession({ encoding: args.fixed === 16 ? FIXED16 : FIXED20, dealer: new CryptoDealer() });
      const { width, height, channels } = data.config.image;
      const size = width * height * channels;
      const queries = toFloatImages(data.images, testIndices.slice(0, k)).data;
      const task = ctx.reporter.task(`private prediction: enrol ${users.length} users, ${k} queries`, users.length + k);
      const results = await runPrivateFidelity(session, users, (u) => loadUserModel(modelsDir, u), Array.from({ length: k }, (_, q) => queries.subarray(q * size, (q + 1) * size)), plaintextLabels, () => task.tick());
      task.done();

      const rows = results.queries.map((r, q) => ({
        image: ids[q]!,
        trueUser: trueLabels[q]!,
        plaintextPredicted: r.plaintext,
        privatePredicted: r.private,
        agree: r.agree,
        rounds: r.rounds,
        onlineBytes: r.bytes,
        seconds: r.seconds,
      }));
      await writeCsv(join(dir, 'private_predictions.csv'), rows, COLUMNS);
      const s = results.summary;
      ctx.stdout.write(
        `private labels equal plaintext labels for ${s.agree} of ${s.queries} queries (${((100 * s.agree) / s.queries).toFixed(1)} %); ` +
          `per query: ${s.meanSeconds.toFixed(2)} s, ${s.meanRounds.toFixed(0)} rounds, ${(s.meanBytes / 1e6).toFixed(2)} MB online\n`,
      );
    },
  };
}
