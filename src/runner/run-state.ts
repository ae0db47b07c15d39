/**
 * What a run folder's `run.json` says after any stop, and how it stays true: the state a reader
 * derives (a `running` run whose process is gone is `stale`), the synchronous write a signal
 * handler makes, and the disk space reserved up front so that a full disk still ends `failed`.
 */
import { readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RunManifest, RunStatus } from './run-folder.js';
import { writeManifest } from './run-folder.js';
import { processAlive } from '../util/process-alive.js';

/** What a reader should believe of a run: its recorded status, or `stale` for a dead `running` run. */
export type RunState = RunStatus | 'stale';

/**
 * The state of a run: `stale` when `run.json` says `running` but was written on this host by a
 * process that no longer exists; otherwise the recorded status. A run of another host, or one
 * recorded before manifests named their process, is taken at its word.
 */
export function runState(manifest: Pick<RunManifest, 'status' | 'pid' | 'host'>, probe: { host: string; alive: (pid: number) => boolean } = { host: hostname(), alive: processAlive }): RunState {
  if (manifest.status !== 'running' || typeof manifest.pid !== 'number') return manifest.status;
  if (manifest.host?.['hostname'] !== probe.host) return 'running';
  return probe.alive(manifest.pid) ? 'running' : 'stale';
}

/** Writes `run.json` atomically and synchronously (for signal handlers, which cannot await). */
export function writeManifestSync(dir: string, manifest: RunManifest): void {
  const path = join(dir, 'run.json');
  const tmp = `${path}.tmp-${process.pid}-signal`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Name of the file that holds disk space for the last manifest write. */
export const RESERVE_FILE = '.run.json.reserve';
/** Bytes reserved: several times a large manifest (files list, facts, a long error). */
export const RESERVE_BYTES = 256 * 1024;

/**
 * Reserves disk space in `dir` for the final manifest write (see {@link writeFinalManifest}).
 * Synchronous, so that no signal handler can run while the file is being created (an in-flight
 * asynchronous write would create it after the handler removed it).
 */
export function reserveManifestSpace(dir: string): void {
  writeFileSync(join(dir, RESERVE_FILE), Buffer.alloc(RESERVE_BYTES));
}

/**
 * Writes the run's last manifest. When the disk is full, the reserve is released and the write
 * tried again, so a run that failed for want of space is still recorded `failed`; an error that
 * is too long for the space is cut. The reserve is removed in every case.
 */
export async function writeFinalManifest(dir: string, manifest: RunManifest): Promise<void> {
  try {
    await writeManifest(dir, manifest);
  } catch (first) {
    await rm(join(dir, RESERVE_FILE), { force: true });
    if (manifest.error !== null && manifest.error.length > 4000) manifest.error = `${manifest.error.slice(0, 4000)}...`;
    try {
      await writeManifest(dir, manifest);
    } catch {
      throw first;
    }
  }
  await rm(join(dir, RESERVE_FILE), { force: true });
}

/** Synchronous cleanup of a run folder after a signal: the reserve and this process's temporary files. */
export function cleanUpAfterSignal(dir: string): void {
  if (!existsSync(dir)) return;
  rmSync(join(dir, RESERVE_FILE), { force: true });
  for (const name of readdirSync(dir)) if (name.includes(`.tmp-${process.pid}-`)) rmSync(join(dir, name), { force: true, recursive: true });
}

/** Users with a complete model (a `user-*` folder holding `done.json`) in one models folder. */
export function countTrainedIn(modelsDir: string): number {
  if (!existsSync(modelsDir)) return 0;
  return readdirSync(modelsDir, { withFileTypes: true }).filter((u) => u.isDirectory() && u.name.startsWith('user-') && existsSync(join(modelsDir, u.name, 'done.json'))).length;
}

/** Users with a complete model in every models folder below `modelsRoot` (`<results>/models`). */
export function countTrainedUsers(modelsRoot: string): number {
  if (!existsSync(modelsRoot)) return 0;
  return readdirSync(modelsRoot, { withFileTypes: true }).reduce((n, d) => n + (d.isDirectory() ? countTrainedIn(join(modelsRoot, d.name)) : 0), 0);
}
