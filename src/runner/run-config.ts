import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { DiskError, errorMessage, PrivedgeError, RunError } from '../errors.js';
import { writeSplitsCsv } from '../datasets/audit.js';
import { prepareDataset, type PreparedDataset } from '../datasets/prepare.js';
import type { BackendChoice, RequestedBackend } from '../models/backend.js';
import { initTensorflow } from '../models/runtime.js';
import { silentReporter, type Reporter } from '../progress/reporter.js';
import { renderChart, type ChartDefinition } from '../report/charts.js';
import { writeCsv } from '../report/csv.js';
import { recordSeries } from '../report/csv-series.js';
import { gitState, hostInfo, libraryVersions } from './environment.js';
import { runFolderPath, startRunFolder, type RunManifest } from './run-folder.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { shortHash, stableStringify } from '../util/hash.js';
import { Rng } from '../util/rng.js';
import type { ExperimentContext, ExperimentRegistry } from './experiment.js';
import { reserveManifestSpace, writeFinalManifest } from './run-state.js';
import { noInterrupts, type Interrupts } from './signals.js';
import { interruptedRunHandler } from './stop-run.js';

/** Each image's split (image, user, split, group), written into every run folder whose experiment loads the dataset. */
const SPLITS_CSV = 'splits.csv';

/** Result of one experiment of a run. */
export interface ExperimentOutcome {
  readonly experiment: string;
  readonly dir: string;
  readonly status: 'completed' | 'failed';
  readonly error?: string;
}

/** Options of {@link runConfig}. */
export interface RunOptions {
  readonly registry: ExperimentRegistry;
  /** Results root; overrides `output.dir`. */
  readonly outDir?: string;
  readonly reporter?: Reporter;
  /** Where to register what a SIGINT/SIGTERM records (the command line's signal listener). */
  readonly interrupts?: Interrupts;
  /** The command that resumes this run, for the line printed when a signal stops it. */
  readonly resumeCommand?: string;
  /**
   * Run only the config's experiments with these ids (`privedge run --only`), in config order;
   * their run folders are the same as in a full run (the run id does not depend on the others).
   */
  readonly only?: readonly string[];
}

/**
 * The id of an experiment's run: a short hash of everything in the resolved config that can
 * change its results (not the output settings, the name or the other experiments).
 */
export function runIdFor(config: LoadedConfig['config'], index: number): string {
  const { output: _o, name: _n, description: _d, experiments, ...rest } = config;
  return shortHash({ ...rest, experiment: experiments[index] });
}

/**
 * Runs every experiment a config lists, in order, each into its own run folder
 * `<out>/<experiment>/<run-id>/`. A failing experiment marks its folder `failed` with the error and
 * stops the run (the error is rethrown).
 */
export async function runConfig(loaded: LoadedConfig, options: RunOptions): Promise<ExperimentOutcome[]> {
  const { config } = loaded;
  const reporter = options.reporter ?? silentReporter;
  const root = resolve(options.outDir ?? config.output.dir);
  const [git, versions] = await Promise.all([gitState(), libraryVersions()]);
  const shared: SharedState = { datasets: new Map(), rootRng: Rng.fromSeed(config.seed), environment: { git, versions, host: hostInfo() } };
  const outcomes: ExperimentOutcome[] = [];
  const only = selectedExperiments(config.experiments.map((e) => e.id), options.only);
  for (let index = 0; index < config.experiments.length; index++) {
    const entry = config.experiments[index]!;
    if (!only.has(entry.id)) continue;
    const registered = options.registry.get(entry.id);
    if (!registered) throw new PrivedgeError('CONFIG', `experiments[${index}]: no experiment "${entry.id}" is registered`);
    const experiment = await registered.load();
    const runId = runIdFor(config, index);
    const dir = runFolderPath(root, entry.id, runId);
    const manifest = newManifest(loaded, entry.id, runId, shared.environment);
    await openRunFolder(dir, root, config, manifest);
    reporter.info(`${entry.id}: run folder ${dir}`);
    const started = performance.now();
    const files = new Set<string>(manifest.files);
    const stopHandler = (options.interrupts ?? noInterrupts).onInterrupt(
      interruptedRunHandler({ dir, root, manifest, files, started, resumeCommand: options.resumeCommand ?? `privedge run ${loaded.file}` }),
    );
    const ctx = experimentContext(config, { dir, root, reporter, manifest, files }, shared);
    try {
      reserveManifestSpace(dir);
      const { id: _id, ...experimentOptions } = entry as { id: string } & Record<string, unknown>;
      await experiment.run(ctx, experimentOptions);
      manifest.series = await recordSeries(dir, experiment.charts.flatMap((c) => c.inputs));
      await renderCharts(dir, entry.id, experiment.charts, config.output, files);
      manifest.status = 'completed';
      outcomes.push({ experiment: entry.id, dir, status: 'completed' });
    } catch (error) {
      manifest.status = 'failed';
      manifest.error = errorMessage(error);
      outcomes.push({ experiment: entry.id, dir, status: 'failed', error: manifest.error });
      // A disk error names its file; the user also needs the run folder it leaves behind.
      if (error instanceof DiskError) throw new PrivedgeError('RUN', `${error.message}; run folder ${dir} marked failed`, { cause: error });
      throw error;
    } finally {
      stopHandler();
      manifest.endedAt = new Date().toISOString();
      manifest.durationSeconds = Math.round((performance.now() - started) / 10) / 100;
      manifest.files = [...files].sort();
      await writeFinalManifest(dir, manifest);
    }
  }
  return outcomes;
}

/**
 * The ids to run: all of `ids`, or those in `only`.
 * @throws PrivedgeError (CONFIG) naming `--only` and the config's ids if `only` lists an id the
 *   config does not have, or is empty.
 */
function selectedExperiments(ids: readonly string[], only: readonly string[] | undefined): Set<string> {
  if (only === undefined) return new Set(ids);
  const unknown = only.filter((id) => !ids.includes(id));
  if (only.length === 0 || unknown.length > 0) {
    throw new PrivedgeError('CONFIG', `--only: ${only.length === 0 ? 'no experiment id given' : `the config has no experiment ${unknown.map((u) => `"${u}"`).join(', ')}`} (it lists: ${ids.join(', ')})`);
  }
  return new Set(only);
}

/** What the experiments of one run share: prepared datasets (by dataset config), the TF.js backend, the seed's root stream, the environment. */
interface SharedState {
  readonly datasets: Map<string, Promise<PreparedDataset>>;
  backend?: Promise<BackendChoice>;
  readonly rootRng: Rng;
  readonly environment: Pick<RunManifest, 'git' | 'versions' | 'host'>;
}

/** The manifest of a run that starts now (`running`, nothing recorded yet). */
function newManifest(loaded: LoadedConfig, experiment: string, runId: string, environment: SharedState['environment']): RunManifest {
  const { config } = loaded;
  return {
    experiment,
    runId,
    configName: config.name ?? 'config',
    configFile: loaded.file,
    overrides: [...loaded.overrides],
    seed: config.seed,
    status: 'running',
    pid: process.pid,
    startedAt: new Date().toISOString(),
    endedAt: null,
    durationSeconds: null,
    error: null,
    git: environment.git,
    versions: environment.versions,
    backend: { requested: config.backend, name: null, detail: 'not initialised: this experiment does not use TF.js' },
    host: environment.host,
    files: ['config.resolved.yaml'],
    facts: {},
  };
}

/**
 * Creates the run folder with the resolved config and the first manifest.
 * @throws RunError naming the folder (and the results root to check) when it cannot be created.
 */
async function openRunFolder(dir: string, root: string, config: LoadedConfig['config'], manifest: RunManifest): Promise<void> {
  await startRunFolder(dir, config, manifest).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof PrivedgeError || typeof error.code !== 'string') throw error;
    throw new RunError(dir, `cannot create the run folder (${error.code}: ${error.message.replace(/^\w+: /, '')}); is ${root} writable? (--out or output.dir)`, { cause: error });
  });
}

/** The context one experiment runs with: its folder's writers (each file recorded in `files`), the shared dataset and backend, facts into the manifest. */
function experimentContext(
  config: LoadedConfig['config'],
  run: { dir: string; root: string; reporter: Reporter; manifest: RunManifest; files: Set<string> },
  shared: SharedState,
): ExperimentContext {
  const { dir, reporter, manifest, files } = run;
  return {
    config,
    dir,
    rng: shared.rootRng,
    reporter,
    resultsRoot: run.root,
    tensorflow: async () => {
      shared.backend ??= initTensorflow(config.backend as RequestedBackend);
      const choice = await shared.backend;
      manifest.backend = { requested: config.backend, name: choice.name, ...(choice.kernels ? { kernels: choice.kernels } : {}), detail: `${choice.module ?? 'built-in cpu backend'}${choice.skipped.length ? `; skipped ${choice.skipped.map((s) => `${s.module} (${s.reason})`).join(', ')}` : ''}` };
      return choice;
    },
    dataset: () => {
      const key = stableStringify(config.dataset);
      let prepared = shared.datasets.get(key);
      if (!prepared) {
        prepared = prepareDataset(config.dataset, shared.rootRng.child('data'), { reporter });
        shared.datasets.set(key, prepared);
      }
      // Every run that uses the dataset records each image's split, for auditing results image by image.
      return prepared.then(async (data) => {
        if (!files.has(SPLITS_CSV)) {
          await writeSplitsCsv(join(dir, SPLITS_CSV), data);
          files.add(SPLITS_CSV);
        }
        return data;
      });
    },
    writeCsv: async (name, rows, columns) => {
      await writeCsv(join(dir, name), rows, columns);
      files.add(name);
    },
    writeFile: async (name, data) => {
      await writeFileAtomic(join(dir, name), data);
      files.add(name);
    },
    record: (key, value) => {
      manifest.facts[key] = value;
    },
  };
}

/**
 * Renders every chart of the experiment from the CSVs it wrote (spec and each configured format).
 * @throws PrivedgeError naming the chart when one of its input files was not written.
 */
async function renderCharts(dir: string, experiment: string, charts: readonly ChartDefinition[], output: LoadedConfig['config']['output'], files: Set<string>): Promise<void> {
  for (const chart of charts) {
    if (!chart.inputs.every((input) => existsSync(join(dir, input)))) {
      throw new PrivedgeError('RUN', `${experiment}: chart ${chart.name} needs ${chart.inputs.join(', ')}, which the experiment did not write`);
    }
    await renderChart(dir, chart, output.charts, output.pngScale);
    files.add(`${chart.name}.vl.json`);
    for (const format of output.charts) files.add(`${chart.name}.${format}`);
  }
}
