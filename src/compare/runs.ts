import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RunError } from '../errors.js';
import { readCsv, type Cell } from '../report/csv.js';
import { readManifest, type RunManifest } from '../runner/run-folder.js';
import type { DeepReadonly } from '../util/deep-freeze.js';
import type { PrivedgeConfig } from '../config/schema.js';
import { runIdFor } from '../runner/run-config.js';

/** A completed run folder and what compare reads from it. */
export interface RunFolder {
  readonly dir: string;
  readonly manifest: RunManifest;
  /** The run's resolved config (`config.resolved.yaml`). */
  readonly config: Record<string, unknown>;
}

/** Reads a completed run folder; a missing, failed or unfinished run is an error naming the folder. */
export async function readRun(dir: string, experiment: string): Promise<RunFolder> {
  const manifest = await readManifest(dir);
  if (manifest.experiment !== experiment) throw new RunError(dir, `is a ${manifest.experiment} run, not a ${experiment} run`);
  if (manifest.status !== 'completed') throw new RunError(dir, `the ${experiment} run is ${manifest.status}${manifest.error ? ` (${manifest.error})` : ''}; re-run it first`);
  const path = join(dir, 'config.resolved.yaml');
  let config: Record<string, unknown>;
  try {
    config = parseYaml(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new RunError(path, 'cannot read the resolved config of the run');
  }
  return { dir, manifest, config };
}

/** A CSV file of a run; missing is an error naming the file and what writes it. */
export async function runCsv(run: RunFolder, file: string, writtenBy: string): Promise<Record<string, Cell>[]> {
  const path = join(run.dir, file);
  if (!existsSync(path)) throw new RunError(path, `not found (written by ${writtenBy})`);
  return readCsv(path);
}

/**
 * The private-prediction queries of an identification run: `private_predictions.csv` and every
 * complete set of `private_predictions.shard-i-of-n.csv` files (`predict-private --shard`),
 * deduplicated by image. Null when there are none.
 */
export async function privatePredictionRows(run: RunFolder): Promise<{ rows: Record<string, Cell>[]; files: string[] } | null> {
  const names = await readdir(run.dir);
  const files = names.includes('private_predictions.csv') ? ['private_predictions.csv'] : [];
  const shards = new Map<number, Set<number>>();
  for (const n of names) {
    const m = /^private_predictions\.shard-(\d+)-of-(\d+)\.csv$/.exec(n);
    if (m) shards.set(Number(m[2]), (shards.get(Number(m[2])) ?? new Set()).add(Number(m[1])));
  }
  for (const [count, got] of shards) {
    if (got.size === count) for (let i = 0; i < count; i++) files.push(`private_predictions.shard-${i}-of-${count}.csv`);
  }
  if (files.length === 0) return null;
  const byImage = new Map<string, Record<string, Cell>>();
  for (const f of files) for (const row of await readCsv(join(run.dir, f))) if (!byImage.has(String(row['image']))) byImage.set(String(row['image']), row);
  return { rows: [...byImage.values()], files };
}

/** Where to find a run: `auto`, a folder, or null (leave the system out). */
export type RunRef = 'auto' | string | null;

/**
 * The run folders of `experiment` that `auto` considers, best first: the entries of the current
 * config (their run ids are known), then every run folder of that experiment under the results
 * root, newest first.
 */
export async function candidateRuns(config: DeepReadonly<PrivedgeConfig>, resultsRoot: string, experiment: string): Promise<string[]> {
  const own = config.experiments.flatMap((e, i) => (e.id === experiment ? [join(resultsRoot, experiment, runIdFor(config, i))] : []));
  const folder = join(resultsRoot, experiment);
  const others: { dir: string; ended: string }[] = [];
  if (existsSync(folder)) {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const dir = join(folder, entry.name);
      if (!entry.isDirectory() || own.includes(dir) || !existsSync(join(dir, 'run.json'))) continue;
      try {
        const m = await readManifest(dir);
        if (m.status === 'completed') others.push({ dir, ended: m.endedAt ?? '' });
      } catch {
        // not a readable run folder: not a candidate
      }
    }
  }
  return [...own.filter((d) => existsSync(join(d, 'run.json'))), ...others.sort((a, b) => b.ended.localeCompare(a.ended)).map((o) => o.dir)];
}

/**
 * Resolves a run reference: a folder is read as given (relative to the working directory);
 * `auto` takes the first candidate that `accept` accepts (it returns null, or why not). Failing
 * that, the error names the experiment, every folder looked at and why each was refused, and
 * `hint` (how to produce the run or leave it out).
 */
export async function resolveRun(ref: RunRef, experiment: string, candidates: readonly string[], accept: (run: RunFolder) => Promise<string | null>, hint: string, keyPath: string, searched: string): Promise<RunFolder | null> {
  if (ref === null) return null;
  if (ref !== 'auto') {
    const run = await readRun(resolve(ref), experiment);
    const why = await accept(run);
    if (why) throw new RunError(run.dir, `${keyPath}: this ${experiment} run cannot be compared: ${why}`);
    return run;
  }
  const refused: string[] = [];
  for (const dir of candidates) {
    try {
      const run = await readRun(dir, experiment);
      const why = await accept(run);
      if (why === null) return run;
      refused.push(`${basename(dir)}: ${why}`);
    } catch (error) {
      refused.push(`${basename(dir)}: ${(error as Error).message}`);
    }
  }
  const looked = refused.length === 0 ? 'there is none' : `refused ${refused.join('; ')}`;
  throw new RunError(searched, `${keyPath}: auto: no completed ${experiment} run on the same test images (${looked}). ${hint}`);
}
