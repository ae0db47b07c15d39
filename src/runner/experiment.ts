import type { z } from 'zod';
import type { ExperimentSchemaEntry, PrivedgeConfig } from '../config/schema.js';
import type { PreparedDataset } from '../datasets/prepare.js';
import type { BackendChoice } from '../models/backend.js';
import type { Reporter } from '../progress/reporter.js';
import type { ChartDefinition } from '../report/charts.js';
import type { Row } from '../report/csv.js';
import type { DeepReadonly } from '../util/deep-freeze.js';
import type { Rng } from '../util/rng.js';

/** What an experiment gets to work with. Everything is injected; nothing is global. */
export interface ExperimentContext {
  readonly config: DeepReadonly<PrivedgeConfig>;
  /** The run folder; write through the helpers below so writes are atomic and recorded. */
  readonly dir: string;
  /** The root random stream of the config's seed; take named children from it. */
  readonly rng: Rng;
  readonly reporter: Reporter;
  /** The results root (`--out` or `output.dir`); trained models live in `<root>/models/<hash>`. */
  readonly resultsRoot: string;
  /** The config's dataset, loaded, partitioned and transformed (shared by all experiments of a run). */
  dataset(): Promise<PreparedDataset>;
  /** Selects and activates the tfjs backend (once per process) and records it in run.json. */
  tensorflow(): Promise<BackendChoice>;
  /** Writes a long-format CSV into the run folder. */
  writeCsv(name: string, rows: readonly Row[], columns?: readonly string[]): Promise<void>;
  /** Writes any other file (an image, a JSON) into the run folder. */
  writeFile(name: string, data: string | Uint8Array): Promise<void>;
  /** Records a fact in run.json (`facts`). */
  record(key: string, value: unknown): void;
}

/**
 * An experiment as the registry lists it: what config validation and `--help` need (id,
 * description, option schema) and `load()`, which imports the implementation (TF.js and the
 * rest) only when the experiment runs or its charts are rebuilt.
 */
export interface ExperimentEntry extends ExperimentSchemaEntry {
  load(): Promise<Experiment>;
}

/** The experiments by id, as commands and the runner take them. */
export type ExperimentRegistry = ReadonlyMap<string, ExperimentEntry>;

/** One experiment module: `{ id, schema, defaults, charts, run }` (an entry that is already loaded). */
export interface Experiment<S extends z.ZodObject = z.ZodObject> extends ExperimentSchemaEntry {
  readonly schema: S;
  /** The options an empty entry resolves to (`schema.parse({})`). */
  readonly defaults: z.infer<S>;
  /** Charts rebuilt from the run's CSV files after the run and by `privedge figures`. */
  readonly charts: readonly ChartDefinition[];
  run(ctx: ExperimentContext, options: z.infer<S>): Promise<void>;
  /** Itself: an experiment is its own loaded registry entry. */
  load(): Promise<Experiment>;
}

/** Defines an experiment, deriving `defaults` from its schema. */
export function defineExperiment<S extends z.ZodObject>(spec: Omit<Experiment<S>, 'defaults' | 'load'>): Experiment<S> {
  const experiment: Experiment<S> = { ...spec, defaults: spec.schema.parse({}) as z.infer<S>, load: () => Promise.resolve(experiment) };
  return experiment;
}
