import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { ExperimentSchemaEntry } from '../config/schema.js';
import { prepareDataset, type PreparedDataset } from '../datasets/prepare.js';
import { toFloatImages } from '../datasets/tensors.js';
import { RunError } from '../errors.js';
import type { FixedPointBits } from '../mpc-sim/encoding/fixed-point.js';
import type { ProtocolVersion } from '../mpc-sim/protocols/versions.js';
import { noInterrupts, type Interrupts } from '../runner/signals.js';
import { FIDELITY_COLUMNS, LAYER_COLUMNS, fidelityRow, layerRows, plaintextMargin, runPrivateFidelity, type FidelityQuery, type FidelityResult } from '../mpc-sim/private-reconstructor/fidelity.js';
import { fidelitySummaryLines, summarizeFidelityRows, type FidelityRow } from '../mpc-sim/private-reconstructor/fidelity-rows.js';
import { mseFloat64 } from '../mpc-sim/private-reconstructor/float64-reference.js';
import { readReconstructorWeights } from '../mpc-sim/private-reconstructor/reconstructor.js';
import { ringKernelInfo } from '../mpc-sim/ring/native-kernel.js';
import { loadUserModel, type Shard } from '../models/rec-adv/train-users.js';
import { initTensorflow } from '../models/runtime.js';
import type { Reporter } from '../progress/reporter.js';
import { appendCsvRow, readCsv, readCsvIfPresent, readGrowingCsv, writeCsv } from '../report/csv.js';
import { readManifest } from '../runner/run-folder.js';
import { withFileLock } from '../util/file-lock.js';
import { Rng } from '../util/rng.js';
import { plaintextDissimilarities, plaintextLabels, protocolSuffix, resumableRows, selectQueries } from './queries.js';
import type { QueryOrder } from './query-order.js';
import { FLOAT64_COLUMNS, FLOAT64_DISSIMILARITY_FILE, compareWithFloat64, float64Labels, float64Rows, float64SummaryLines, mergeFloat64Rows } from './float64-reference.js';
import { mergeShardFiles, readFinishedQueries, readImageList } from './shard-files.js';

/** Options of {@link predictPrivate} (the `predict-private` command's, parsed). */
export interface PredictPrivateOptions {
  /** Folder of a completed identification run. */
  readonly run: string;
  readonly queries: number;
  readonly all: boolean;
  readonly order: QueryOrder;
  /** A file listing the test image ids to query instead. */
  readonly imagesFile?: string;
  readonly shard?: Shard;
  readonly fixedPointBits: FixedPointBits;
  /** Protocol version (`src/mpc-sim/protocols/versions.ts`); default `v1`. */
  readonly protocol?: ProtocolVersion;
  readonly validate: boolean;
  readonly resume: boolean;
  /** Print one line per finished query. */
  readonly log: boolean;
}

/** What {@link predictPrivate} and {@link mergePrivatePredictions} print and read configs with. */
export interface FidelityIo {
  readonly experiments: readonly ExperimentSchemaEntry[];
  readonly reporter: Reporter;
  readonly print: (line: string) => void;
  /** Where SIGINT/SIGTERM handlers are registered (default: none). */
  readonly interrupts?: Interrupts;
}

const VALIDATION_COLUMNS = ['step', 'maxAbsError', 'maxAbsValue'] as const;

/**
 * `--merge`: merges the shards' outputs in `run` into the unsharded files and prints their
 * summary; with `partial`, prints the summary of every query finished so far and writes nothing.
 */
export async function mergePrivatePredictions(run: string, partial: boolean, io: Pick<FidelityIo, 'print'>, protocol?: string): Promise<void> {
  const dir = resolve(run);
  const tag = protocolSuffix(protocol);
  const rows = partial ? await readFinishedQueries(dir, tag) : await mergeShardFiles(dir, tag);
  if (partial) io.print('so far (finished shards and the partial files of running or interrupted ones; nothing written):');
  for (const line of fidelitySummaryLines(summarizeFidelityRows(rows))) io.print(line);
  for (const line of await float64Lines(dir, rows)) io.print(line);
}

/** The trained models folder of a completed identification run (from its run.json). */
async function identificationModels(dir: string): Promise<string> {
  const manifest = await readManifest(dir);
  const runJson = join(dir, 'run.json');
  if (manifest.experiment !== 'identification') throw new RunError(runJson, `not an identification run (experiment '${manifest.experiment}')`);
  if (manifest.status !== 'completed') throw new RunError(runJson, `the run is not completed (status '${manifest.status}')`);
  const models = manifest.facts['models'] as { dir?: unknown } | undefined;
  if (typeof models?.dir !== 'string') throw new RunError(runJson, 'no facts.models.dir recorded');
  return resolve(models.dir);
}

/** A completed identification run opened for a fidelity pass: its folder, models, config, data and picked queries. */
async function openRun(options: PredictPrivateOptions, io: FidelityIo) {
  const dir = resolve(options.run);
  const modelsDir = await identificationModels(dir);
  const { config } = await loadConfig(join(dir, 'config.resolved.yaml'), { experiments: io.experiments });
  const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'), { reporter: io.reporter });
  return { dir, modelsDir, config, data, q: await selectRunQueries(dir, data, options) };
}

/** The queries of a run: test positions, ids, true and plaintext labels, plaintext dissimilarities. */
interface Queries {
  readonly users: readonly string[];
  readonly testIndices: readonly number[];
  readonly picked: readonly number[];
  readonly ids: readonly string[];
  readonly trueLabels: readonly string[];
  readonly plaintext: readonly string[];
  readonly dissimilarities: readonly (readonly number[])[];
  readonly suffix: string;
}

async function selectRunQueries(dir: string, data: PreparedDataset, options: PredictPrivateOptions): Promise<Queries> {
  const users = data.partition.users.map((u) => u.user);
  const testIndices = data.partition.users.flatMap((u) => u.test);
  const trueLabels = data.partition.users.flatMap((u) => u.test.map(() => u.user));
  const testIds = testIndices.map((i) => data.images.ids[i]!);
  const predictionsPath = join(dir, 'predictions.csv');
  const dissimilarityPath = join(dir, 'dissimilarity.csv');
  const dissimilarityRows = await readCsv(dissimilarityPath);
  // --order margin ranks every test image by its plaintext margin, so it reads all their dissimilarities (once).
  const everyTest = options.order === 'margin' ? plaintextDissimilarities(dissimilarityRows, testIds, users, dissimilarityPath) : undefined;
  const margins = everyTest?.map((d) => plaintextMargin(d) ?? Infinity);
  const images = options.imagesFile === undefined ? undefined : await readImageList(resolve(options.imagesFile), new Set(testIds));
  const { picked, suffix } = selectQueries(testIds, { ...options, ...(images === undefined ? {} : { images }), ...(margins === undefined ? {} : { margins }) });
  const ids = picked.map((q) => testIds[q]!);
  return {
    users,
    testIndices,
    picked,
    ids,
    trueLabels: picked.map((q) => trueLabels[q]!),
    plaintext: plaintextLabels(await readCsv(predictionsPath), ids, predictionsPath),
    dissimilarities: everyTest === undefined ? plaintextDissimilarities(dissimilarityRows, ids, users, dissimilarityPath) : picked.map((q) => everyTest[q]!),
    suffix,
  };
}

/**
 * Replays test images of a completed identification run through 2PC private prediction with its
 * trained models and writes `private_predictions[suffix].csv`, `private_cost_layers[suffix].csv`
 * and, with `validate`, `private_validation[suffix].csv` into the run folder (see the
 * `predict-private` command). Each finished query is appended to
 * `private_predictions[suffix].partial.csv`; with `resume` the rows there are kept and only the
 * rest run.
 */
export async function predictPrivate(options: PredictPrivateOptions, io: FidelityIo): Promise<void> {
  const { dir, modelsDir, config, data, q } = await openRun(options, io);

  // Rows of an interrupted run with the same options (--resume), else a fresh partial file.
  const partialPath = join(dir, `private_predictions${q.suffix}.partial.csv`);
  const earlier = options.resume ? resumableRows((await readGrowingCsv(partialPath)) ?? [], q.ids, partialPath) : new Map<string, FidelityRow>();
  if (!options.resume) await rm(partialPath, { force: true });
  const todo = q.ids.flatMap((id, k) => (earlier.has(id) ? [] : [k]));
  if (earlier.size > 0) io.reporter.info(`resuming: ${earlier.size} of ${q.ids.length} queries already in ${partialPath}`);

  await initTensorflow(config.backend);
  const { width, height, channels } = data.config.image;
  const size = width * height * channels;
  const images = toFloatImages(data.images, todo.map((k) => q.testIndices[q.picked[k]!]!)).data;
  const kernel = ringKernelInfo();
  io.reporter.info(`ring kernel: ${kernel.kind}${kernel.isa === undefined ? '' : ` (${kernel.isa})`}`);
  let done = 0;
  const task = io.reporter.task(`private prediction: enrol ${q.users.length} users, ${todo.length} queries`, q.users.length + todo.length);
  const fresh = new Map<string, FidelityRow>();
  // A signal keeps the finished queries (appended to the partial file as each completes).
  const stopped = (io.interrupts ?? noInterrupts).onInterrupt(
    (signal) => `interrupted by ${signal}: kept ${earlier.size + fresh.size} of ${q.ids.length} finished queries in ${partialPath}; resume with the same command and --resume`,
  );
  const record = async (r: FidelityQuery): Promise<void> => {
    const k = todo[done++]!;
    const row = fidelityRow(r, q.ids[k]!, q.trueLabels[k]!);
    fresh.set(q.ids[k]!, row);
    await appendCsvRow(partialPath, row, FIDELITY_COLUMNS);
    if (options.log) {
      io.print(`query ${earlier.size + done}/${q.ids.length} ${q.ids[k]}: ${r.agree ? 'agree' : 'DISAGREE'} (plaintext ${r.plaintext}, private ${r.private}), margin ${r.margin?.toExponential(2) ?? 'n/a'}, max error ${r.maxDissimilarityError?.toExponential(2) ?? 'n/a'}`);
    }
  };
  const results: FidelityResult | undefined =
    todo.length === 0
      ? undefined
      : await runPrivateFidelity(
          options.fixedPointBits,
          q.users,
          (u) => loadUserModel(modelsDir, u),
          todo.map((_, k) => images.subarray(k * size, (k + 1) * size)),
          todo.map((k) => q.plaintext[k]!),
          {
            plaintextDissimilarities: todo.map((k) => q.dissimilarities[k]!),
            validate: options.validate,
            ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
            tick: async (r) => {
              task.tick();
              if (r !== undefined) await record(r);
            },
          },
        );
  task.done();
  stopped();
  await writeOutputs(dir, q, results, (id) => fresh.get(id) ?? earlier.get(id)!, io);
  await rm(partialPath, { force: true });
}

/** Writes the final CSV files of a fidelity run and prints its summary (and validation). */
async function writeOutputs(dir: string, q: Queries, results: FidelityResult | undefined, row: (id: string) => FidelityRow, io: FidelityIo): Promise<void> {
  const rows = q.ids.map(row);
  await writeCsv(join(dir, `private_predictions${q.suffix}.csv`), rows, FIDELITY_COLUMNS);
  await writeCsv(join(dir, `private_cost_layers${q.suffix}.csv`), results === undefined ? [] : layerRows(results), LAYER_COLUMNS);
  for (const line of fidelitySummaryLines(summarizeFidelityRows(rows))) io.print(line);
  for (const line of await float64Lines(dir, rows)) io.print(line);
  if (results?.validation !== undefined) {
    await writeCsv(join(dir, `private_validation${q.suffix}.csv`), results.validation.map((v) => ({ ...v })), VALIDATION_COLUMNS);
    io.print('per-layer max |private - plaintext| (over users and queries):');
    for (const v of results.validation) io.print(`  ${v.step.padEnd(24)} ${v.maxAbsError.toExponential(2)}  (max |value| ${v.maxAbsValue.toFixed(3)})`);
  }
}

/** The float64 comparison lines of `rows` when the run has a {@link FLOAT64_DISSIMILARITY_FILE}; none otherwise. */
async function float64Lines(dir: string, rows: readonly FidelityRow[]): Promise<string[]> {
  const path = join(dir, FLOAT64_DISSIMILARITY_FILE);
  const reference = await readCsvIfPresent(path);
  return reference === null ? [] : float64SummaryLines(compareWithFloat64(rows, float64Labels(reference, path)));
}

/**
 * `--float64-reference`: evaluates the picked test images (the same selection options as a
 * fidelity run) with every user's model in float64 (`mseFloat64`, no 2PC) and writes their
 * dissimilarities, beside the run's float32 ones, into {@link FLOAT64_DISSIMILARITY_FILE} (images
 * already there are replaced, others kept; `--shard i/n` processes merge into it in turn, under
 * `withFileLock`); prints how many float32 labels the float64 model changes and the largest
 * float32 error. Later fidelity summaries of the run compare with it.
 */
export async function float64Reference(options: PredictPrivateOptions, io: FidelityIo): Promise<void> {
  const { dir, modelsDir, config, data, q } = await openRun(options, io);
  await initTensorflow(config.backend);
  const { width, height, channels } = data.config.image;
  const size = width * height * channels;
  const images = toFloatImages(data.images, q.picked.map((p) => q.testIndices[p]!)).data;
  const float64 = q.ids.map(() => new Array<number>(q.users.length));
  const task = io.reporter.task(`float64 reference: ${q.ids.length} test images x ${q.users.length} users`, q.users.length);
  for (const [j, user] of q.users.entries()) {
    const model = await loadUserModel(modelsDir, user);
    const description = readReconstructorWeights(model);
    model.dispose();
    for (let k = 0; k < q.ids.length; k++) float64[k]![j] = mseFloat64(description, images.subarray(k * size, (k + 1) * size));
    task.tick();
  }
  task.done();
  const path = join(dir, FLOAT64_DISSIMILARITY_FILE);
  // Shards of this pass merge into the one file in turn.
  const rows = await withFileLock(path, async () => {
    const merged = mergeFloat64Rows((await readCsvIfPresent(path)) ?? [], float64Rows(q.ids, q.trueLabels, q.users, float64, q.dissimilarities));
    await writeCsv(path, merged, FLOAT64_COLUMNS);
    return merged;
  });
  const labels = float64Labels(rows, path);
  const picked = q.ids.map((id) => labels.get(id)!);
  const changed = q.ids.flatMap((_, k) => (picked[k]!.label === q.plaintext[k] ? [] : [k]));
  const worst = Math.max(...picked.map((ref) => ref.float32Error));
  io.print(`float64 reference of ${q.ids.length} test images written to ${path} (${labels.size} images in all)`);
  io.print(`the float64 label differs from the run's float32 label on ${changed.length} of ${q.ids.length}; largest |float32 - float64| dissimilarity ${worst.toExponential(2)}`);
  for (const k of changed) {
    const ref = picked[k]!;
    io.print(`  ${q.ids[k]!}: float32 ${q.plaintext[k]!} (margin ${(plaintextMargin(q.dissimilarities[k]!) ?? NaN).toExponential(2)}), float64 ${ref.label} (margin ${ref.margin?.toExponential(2) ?? 'n/a'})`);
  }
}
