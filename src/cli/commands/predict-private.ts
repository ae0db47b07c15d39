import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/load.js';
import { prepareDataset } from '../../datasets/prepare.js';
import { toFloatImages } from '../../datasets/tensors.js';
import { RunError, UsageError } from '../../errors.js';
import { CryptoDealer } from '../../mpc-sim/dealer/stream-dealer.js';
import { FIXED16, FIXED20 } from '../../mpc-sim/encoding/fixed-point.js';
import { FIDELITY_COLUMNS, LAYER_COLUMNS, fidelityRow, layerRows, pickQueries, runPrivateFidelity } from '../../mpc-sim/models/fidelity.js';
import { fidelitySummaryLines, mergeFidelityShards, summarizeFidelityRows, type FidelityRow, type FidelityShard, type LayerRow } from '../../mpc-sim/models/fidelity-rows.js';
import { createInProcessSession } from '../../mpc-sim/parties/in-process.js';
import { ringKernelInfo } from '../../mpc-sim/ring/native-kernel.js';
import { loadUserModel, parseShard } from '../../models/rec-adv/train-users.js';
import { initTensorflow } from '../../models/runtime.js';
import { appendCsvRow, readCsv, readGrowingCsv, writeCsv } from '../../report/csv.js';
import { readManifest } from '../../report/run-folder.js';
import { Rng } from '../../util/rng.js';
import type { CliContext } from '../context.js';

interface PredictPrivateArgs {
  run: string;
  queries: number;
  images?: string;
  all: boolean;
  order: 'spread' | 'first';
  fixed: number;
  validate: boolean;
  shard?: string;
  log: boolean;
  merge: boolean;
  partial: boolean;
  resume: boolean;
}

const VALIDATION_COLUMNS = ['step', 'maxAbsError', 'maxAbsValue'] as const;

/**
 * `privedge predict-private --run <identification run>`: replays K test images of an
 * identification run through the 2PC protocol (in process, CryptoDealer) with its trained
 * models, and checks that the private labels equal the plaintext ones. A fidelity tool: it also
 * reveals the N dissimilarities of each query (a counted debug reveal, excluded from the reported
 * rounds and bytes) to measure their error against the run's `dissimilarity.csv`. Writes
 * `private_predictions.csv`, `private_cost_layers.csv` (mean per query) and, with `--validate`,
 * `private_validation.csv` into the run folder. `--shard i/n` writes them with a
 * `.shard-i-of-n` suffix; `--merge` then checks that all n shards are there and merges them
 * into the unsuffixed files, printing the same summary (no 2PC is run). Each finished query is
 * appended to `private_predictions[suffix].partial.csv` as it completes; `--resume` keeps those
 * and runs only the rest (per-layer costs then cover the queries of the resumed process).
 */
export function predictPrivateCommand(ctx: CliContext): CommandModule<object, PredictPrivateArgs> {
  return {
    command: 'predict-private',
    describe: 'Re-run test images of an identification run through 2PC private prediction and compare with the plaintext labels and dissimilarities',
    builder: (y: Argv) =>
      y
        .option('run', { type: 'string', demandOption: true, describe: 'Folder of a completed identification run' })
        .option('queries', { type: 'number', default: 10, describe: 'Number of test images to query' })
        .option('images', { type: 'string', describe: 'A file listing test image ids (one per line, as in predictions.csv) to query instead of --queries/--all, in test-set order' })
        .option('all', { type: 'boolean', default: false, describe: 'Query every test image (overrides --queries)' })
        .option('order', { choices: ['spread', 'first'] as const, default: 'spread' as const, describe: 'spread: K images evenly spaced over the test set; first: the first K' })
        .option('fixed', { type: 'number', choices: [16, 20], default: 20, describe: 'Fixed-point fractional bits' })
        .option('log', { type: 'boolean', default: false, describe: 'Print one line per query as it completes (for long runs)' })
        .option('shard', { type: 'string', describe: 'i/n: query only every n-th picked image starting at i (run n processes in parallel); outputs get a .shard-i-of-n suffix' })
        .option('resume', {
          type: 'boolean',
          default: false,
          describe: 'Keep the queries an interrupted run with the same options recorded in private_predictions[.shard-i-of-n].partial.csv and run only the rest',
        })
        .option('merge', {
          type: 'boolean',
          default: false,
          describe: 'Merge the outputs of --shard 0/n ... n-1/n (all must be complete) into private_predictions.csv and private_cost_layers.csv, and print the summary',
        })
        .option('partial', {
          type: 'boolean',
          default: false,
          describe: 'With --merge: only print the summary over every query finished so far (final and .partial.csv files of all shards), writing nothing',
        })
        .option('validate', {
          type: 'boolean',
          default: false,
          describe: 'Debug: reveal every intermediate layer of every user and print its error against the plaintext layer',
        }) as unknown as Argv<PredictPrivateArgs>,
    handler: async (args) => {
      const dir = resolve(args.run);
      if (args.merge && args.partial) {
        const rows = await readFinishedQueries(dir);
        ctx.stdout.write(`so far (finished shards and the partial files of running or interrupted ones; nothing written):\n`);
        for (const line of fidelitySummaryLines(summarizeFidelityRows(rows))) ctx.stdout.write(`${line}\n`);
        return;
      }
      if (args.partial) throw new UsageError('--partial only goes with --merge');
      if (args.merge) {
        const { predictions, layers } = mergeFidelityShards(await readShards(dir));
        await writeCsv(join(dir, 'private_predictions.csv'), predictions, FIDELITY_COLUMNS);
        await writeCsv(join(dir, 'private_cost_layers.csv'), layers, LAYER_COLUMNS);
        for (const line of fidelitySummaryLines(summarizeFidelityRows(predictions))) ctx.stdout.write(`${line}\n`);
        return;
      }
      if (!args.all && (!Number.isInteger(args.queries) || args.queries < 1)) throw new UsageError(`--queries must be a positive integer, got ${args.queries}`);
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
      const shard = args.shard === undefined ? undefined : parseShard(args.shard);
      const chosen = args.images === undefined ? undefined : await readImageList(resolve(args.images), new Set(testIndices.map((i) => data.images.ids[i]!)));
      const candidates =
        chosen === undefined ? pickQueries(testIndices.length, args.all ? testIndices.length : args.queries, args.order) : testIndices.flatMap((t, q) => (chosen.has(data.images.ids[t]!) ? [q] : []));
      const picked = candidates.filter((_, i) => shard === undefined || i % shard.count === shard.index);
      const suffix = `${chosen === undefined ? '' : '.images'}${shard === undefined ? '' : `.shard-${shard.index}-of-${shard.count}`}`;
      const ids = picked.map((q) => data.images.ids[testIndices[q]!]!);

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
      const dissimilarityPath = join(dir, 'dissimilarity.csv');
      const plainMse = new Map<string, Map<string, number>>();
      for (const row of await readCsv(dissimilarityPath)) {
        const image = String(row['image']);
        let m = plainMse.get(image);
        if (m === undefined) plainMse.set(image, (m = new Map()));
        m.set(String(row['user']), Number(row['mse']));
      }
      const plaintextDissimilarities = ids.map((id) =>
        users.map((u) => {
          const v = plainMse.get(id)?.get(u);
          if (v === undefined) throw new RunError(dissimilarityPath, `no dissimilarity of test image '${id}' for user '${u}'`);
          return v;
        }),
      );

      // Rows of an interrupted run with the same options (--resume), else a fresh partial file.
      const partialPath = join(dir, `private_predictions${suffix}.partial.csv`);
      const earlier = new Map<string, FidelityRow>();
      if (args.resume) {
        const queried = new Set(ids);
        for (const row of (await readGrowingCsv(partialPath)) ?? []) {
          const image = String(row['image']);
          if (!queried.has(image)) throw new RunError(partialPath, `test image '${image}' is not among this run's queries: it was written with other --queries/--order/--shard options`);
          earlier.set(image, row as FidelityRow);
        }
      } else {
        await rm(partialPath, { force: true });
      }
      const todo = ids.flatMap((id, q) => (earlier.has(id) ? [] : [q]));
      if (earlier.size > 0) ctx.reporter.info(`resuming: ${earlier.size} of ${ids.length} queries already in ${partialPath}`);
      const fresh = new Map<string, FidelityRow>();

      // A signal keeps the finished queries (appended to the partial file as each completes).
      const stopped = ctx.interrupts.onInterrupt(
        (signal) => `interrupted by ${signal}: kept ${earlier.size + fresh.size} of ${ids.length} finished queries in ${partialPath}; resume with the same command and --resume`,
      );
      await initTensorflow(config.backend);
      const session = createInProcessSession({ encoding: args.fixed === 16 ? FIXED16 : FIXED20, dealer: new CryptoDealer() });
      const { width, height, channels } = data.config.image;
      const size = width * height * channels;
      const images = toFloatImages(data.images, todo.map((q) => testIndices[picked[q]!]!)).data;
      const kernel = ringKernelInfo();
      ctx.reporter.info(`ring kernel: ${kernel.kind}${kernel.isa === undefined ? '' : ` (${kernel.isa})`}`);
      let done = 0;
      const task = ctx.reporter.task(`private prediction: enrol ${users.length} users, ${todo.length} queries`, users.length + todo.length);
      const results =
        todo.length === 0
          ? undefined
          : await runPrivateFidelity(
              session,
              users,
              (u) => loadUserModel(modelsDir, u),
              todo.map((_, k) => images.subarray(k * size, (k + 1) * size)),
              todo.map((q) => plaintextLabels[q]!),
              {
                plaintextDissimilarities: todo.map((q) => plaintextDissimilarities[q]!),
                validate: args.validate,
                tick: async (r) => {
                  task.tick();
                  if (r === undefined) return;
                  const q = todo[done++]!;
                  const row = fidelityRow(r, ids[q]!, trueLabels[picked[q]!]!);
                  fresh.set(ids[q]!, row);
                  await appendCsvRow(partialPath, row, FIDELITY_COLUMNS);
                  if (args.log) {
                    ctx.stdout.write(`query ${earlier.size + done}/${ids.length} ${ids[q]}: ${r.agree ? 'agree' : 'DISAGREE'} (plaintext ${r.plaintext}, private ${r.private}), margin ${r.margin?.toExponential(2) ?? 'n/a'}, max error ${r.maxDissimilarityError?.toExponential(2) ?? 'n/a'}\n`);
                  }
                },
              },
            );
      task.done();
      stopped();

      const rows = ids.map((id) => fresh.get(id) ?? earlier.get(id)!);
      await writeCsv(join(dir, `private_predictions${suffix}.csv`), rows, FIDELITY_COLUMNS);
      await writeCsv(join(dir, `private_cost_layers${suffix}.csv`), results === undefined ? [] : layerRows(results), LAYER_COLUMNS);
      await rm(partialPath, { force: true });
      const out = ctx.stdout;
      for (const line of fidelitySummaryLines(summarizeFidelityRows(rows))) out.write(`${line}\n`);
      if (results?.validation !== undefined) {
        await writeCsv(join(dir, `private_validation${suffix}.csv`), results.validation.map((v) => ({ ...v })), VALIDATION_COLUMNS);
        out.write('per-layer max |private - plaintext| (over users and queries):\n');
        for (const v of results.validation) out.write(`  ${v.step.padEnd(24)} ${v.maxAbsError.toExponential(2)}  (max |value| ${v.maxAbsValue.toFixed(3)})\n`);
      }
    },
  };
}

const SHARD_FILE = /^private_predictions\.shard-(\d+)-of-(\d+)\.csv$/;

/**
 * The completed shards of a sharded fidelity run in `dir` (a shard's CSV files are written when
 * its process ends).
 * @throws RunError naming the file if a shard's layer file is missing or no shard file exists.
 */
async function readShards(dir: string): Promise<FidelityShard[]> {
  const shards: FidelityShard[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const match = SHARD_FILE.exec(name);
    if (match === null) continue;
    const [index, count] = [Number(match[1]), Number(match[2])];
    const layersPath = join(dir, `private_cost_layers.shard-${index}-of-${count}.csv`);
    let layers: LayerRow[];
    try {
      layers = (await readCsv(layersPath)) as LayerRow[];
    } catch {
      throw new RunError(layersPath, `missing: shard ${index} of ${count} has predictions but no layer costs`);
    }
    shards.push({ index, count, source: name, predictions: (await readCsv(join(dir, name))) as FidelityRow[], layers });
  }
  if (shards.length === 0) throw new RunError(join(dir, 'private_predictions.shard-0-of-N.csv'), 'no shard outputs to merge (run with --shard i/n first)');
  return shards;
}

const FINISHED_FILE = /^private_predictions(\.shard-\d+-of-\d+)?(\.partial)?\.csv$/;

/**
 * Every query a (possibly sharded, possibly still running) fidelity run in `dir` has finished:
 * the rows of each final `private_predictions*.csv` and, for shards without one, of its
 * `.partial.csv` (torn last lines dropped). A sharded run's unsharded file is ignored.
 */
async function readFinishedQueries(dir: string): Promise<FidelityRow[]> {
  const names = (await readdir(dir)).filter((n) => FINISHED_FILE.test(n)).sort();
  const sharded = names.some((n) => n.includes('.shard-'));
  const rows: FidelityRow[] = [];
  for (const name of names) {
    const partial = name.endsWith('.partial.csv');
    if (sharded && !name.includes('.shard-')) continue;
    if (partial && names.includes(name.replace('.partial.csv', '.csv'))) continue;
    rows.push(...(((await readGrowingCsv(join(dir, name))) ?? []) as FidelityRow[]));
  }
  if (rows.length === 0) throw new RunError(join(dir, 'private_predictions.csv'), 'no finished queries yet');
  return rows;
}

/**
 * The test image ids listed in `path` (one per line; blank lines and lines starting with # are
 * skipped).
 * @throws RunError naming the file if it cannot be read, lists nothing, or lists an id that is
 *   not a test image of the run.
 */
async function readImageList(path: string, testIds: ReadonlySet<string>): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RunError(path, 'image list not found');
  }
  const ids = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (ids.length === 0) throw new RunError(path, 'the image list is empty');
  const unknown = ids.filter((id) => !testIds.has(id));
  if (unknown.length > 0) throw new RunError(path, `${unknown.length} listed image(s) are not test images of this run, e.g. '${unknown[0]}'`);
  return new Set(ids);
}
