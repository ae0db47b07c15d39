import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { RunError } from '../errors.js';
import type { CsvSeries } from '../report/csv-series.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Status of a run as recorded in `run.json` (a reader also derives `stale`: see runner/run-state.ts). */
export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

/** The manifest `run.json` of a run folder. */
export interface RunManifest {
  readonly experiment: string;
  readonly runId: string;
  readonly configName: string;
  readonly configFile: string;
  readonly overrides: readonly string[];
  readonly seed: number;
  status: RunStatus;
  readonly startedAt: string;
  endedAt: string | null;
  durationSeconds: number | null;
  error: string | null;
  /** The signal that interrupted the run (`SIGINT`, `SIGTERM`), when `status` is `interrupted`. */
  signal?: string | null;
  /** The process that ran it (with `host.hostname`, tells a live run from a stale one). */
  readonly pid?: number;
  readonly git: { commit: string | null; dirty: boolean | null };
  readonly versions: Record<string, string>;
  backend: { requested: string; name: string | null; detail?: string; kernels?: string } ;
  readonly host: Record<string, string | number>;
  /** Files the run wrote, relative to the run folder. */
  files: string[];
  /** Facts the experiment recorded (cache hits, timings, notes). */
  facts: Record<string, unknown>;
  /** Rows and series (systems, conditions, ...) of each chart input as written, checked by `figures`. */
  series?: Record<string, CsvSeries>;
}

/** The run folder of an experiment: `<root>/<experiment>/<runId>/`. */
export function runFolderPath(root: string, experiment: string, runId: string): string {
  return join(root, experiment, runId);
}

/**
 * Starts a run folder afresh (an older run with the same id is removed) and writes the resolved
 * config and a `running` manifest.
 */
export async function startRunFolder(dir: string, resolvedConfig: unknown, manifest: RunManifest): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'config.resolved.yaml'), toYaml(resolvedConfig, { aliasDuplicateObjects: false }));
  await writeManifest(dir, manifest);
}

/** Writes `run.json` atomically. */
export async function writeManifest(dir: string, manifest: RunManifest): Promise<void> {
  await writeFileAtomic(join(dir, 'run.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Reads a run folder's `run.json`. */
export async function readManifest(dir: string): Promise<RunManifest> {
  const path = join(dir, 'run.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RunError(path, 'not a run folder (no run.json)');
  }
  try {
    return JSON.parse(text) as RunManifest;
  } catch (error) {
    throw new RunError(path, `corrupt run manifest: ${(error as Error).message}`);
  }
}
