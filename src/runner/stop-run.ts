import { join } from 'node:path';
import type { RunManifest } from './run-folder.js';
import { cleanUpAfterSignal, countTrainedUsers, writeManifestSync } from './run-state.js';
import type { InterruptHandler } from './signals.js';

/** What {@link interruptedRunHandler} records into. */
export interface RunBeingStopped {
  readonly dir: string;
  /** The results root (trained models live in `<root>/models/`). */
  readonly root: string;
  /** The live manifest of the run (mutated and written). */
  readonly manifest: RunManifest;
  /** Files the run wrote so far. */
  readonly files: ReadonlySet<string>;
  /** `performance.now()` at the start of the run. */
  readonly started: number;
  /** The command that resumes the run. */
  readonly resumeCommand: string;
}

/**
 * The signal handler of a running experiment: marks its `run.json` `interrupted` (with the signal
 * and the time, written atomically), removes this process's temporary files and the disk reserve,
 * and returns the line saying what was kept and how to resume.
 */
export function interruptedRunHandler(run: RunBeingStopped): InterruptHandler {
  return (signal, at) => {
    const { manifest, dir } = run;
    manifest.status = 'interrupted';
    manifest.signal = signal;
    manifest.endedAt = at.toISOString();
    manifest.durationSeconds = Math.round((performance.now() - run.started) / 10) / 100;
    manifest.files = [...run.files].sort();
    manifest.error = `interrupted by ${signal}`;
    cleanUpAfterSignal(dir);
    writeManifestSync(dir, manifest);
    const trained = countTrainedUsers(join(run.root, 'models'));
    return (
      `interrupted by ${signal}: ${dir} is marked interrupted (kept ${manifest.files.length} file(s) there` +
      `${trained > 0 ? `, and ${trained} trained user model(s) under ${join(run.root, 'models')}, which a rerun reuses` : ''}); ` +
      `resume with: ${run.resumeCommand}`
    );
  };
}
