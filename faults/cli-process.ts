/**
 * Fault-test support: runs `privedge` in a child process (from the sources, through tsx) and
 * optionally stops it with a signal once its output shows it reached a given point.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../src/testing/fixtures.js';

/** How a `privedge` process ended. */
export interface CliResult {
  /** Exit code, or null when a signal killed it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The first line of stderr that is an error or interruption (not progress). */
  readonly message: string;
}

/** Sends `signal` once stderr or stdout contains `when` (a string, or a file that exists). */
export interface StopWhen {
  readonly signal: NodeJS.Signals;
  readonly outputContains?: string;
  readonly fileExists?: string;
}

/** Runs `privedge <args>` and resolves when the process ends (killed after `timeoutMs` at the latest). */
export function privedge(args: readonly string[], options: { stop?: StopWhen; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'faults/privedge-cli.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  const maybeStop = (): void => {
    const stop = options.stop;
    if (!stop || sent) return;
    const reached = (stop.outputContains !== undefined && (stderr + stdout).includes(stop.outputContains)) || (stop.fileExists !== undefined && existsSync(stop.fileExists));
    if (reached) {
      sent = true;
      child.kill(stop.signal);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (t: string) => ((stdout += t), maybeStop()));
  child.stderr.setEncoding('utf8').on('data', (t: string) => ((stderr += t), maybeStop()));
  const poll = setInterval(maybeStop, 100);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      // Let the pipes drain.
      setTimeout(() => {
        const message = stderr.split('\n').find((l) => /^(error|warning|interrupted)/.test(l)) ?? '';
        resolve({ code, signal, stdout, stderr, message });
      }, 50);
    });
  });
}

/** The `run.json` of a run folder. */
export async function manifestOf(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
}
