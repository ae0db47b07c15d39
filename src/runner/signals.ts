/**
 * Ctrl-C and SIGTERM (what Slurm and Kubernetes send before SIGKILL): stop the work, record the
 * stop, say what was kept and how to resume, and exit with the conventional code (128 + signal
 * number: 130 for SIGINT, 143 for SIGTERM).
 */
import { constants } from 'node:os';

/** The signals handled. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * Records a stop, synchronously (the process exits right after), and returns the line to print
 * (what was kept and how to resume), or undefined for nothing to say.
 */
export type InterruptHandler = (signal: StopSignal, at: Date) => string | undefined;

/** Where running work registers what to record when a signal stops it. */
export interface Interrupts {
  /** Adds a handler; the returned function removes it (call it when the work ends). */
  onInterrupt(handler: InterruptHandler): () => void;
}

/** Handlers that never fire: for library callers and tests that handle no signal. */
export const noInterrupts: Interrupts = { onInterrupt: () => () => undefined };

/** The exit code of a process stopped by `signal`: 128 + its number. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** What {@link listenForInterrupts} needs from the process; injected by tests. */
export interface SignalHost {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
  exit(code: number): void;
}

/**
 * Handles SIGINT and SIGTERM until `dispose()`: runs every registered handler (latest first), writes
 * their lines to `stderr`, then exits with {@link signalExitCode}. A handler that throws is reported
 * and the others still run. A second signal while handling exits at once.
 */
export function listenForInterrupts(stderr: { write(text: string): unknown }, host: SignalHost = process as unknown as SignalHost): Interrupts & { dispose(): void } {
  const handlers: InterruptHandler[] = [];
  let handling = false;
  const listener = (signal: StopSignal) => (): void => {
    const code = signalExitCode(signal);
    if (handling) return host.exit(code);
    handling = true;
    const at = new Date();
    const lines: string[] = [];
    for (const handler of [...handlers].reverse()) {
      try {
        const line = handler(signal, at);
        if (line) lines.push(line);
      } catch (error) {
        lines.push(`could not record the interruption: ${(error as Error).message}`);
      }
    }
    if (lines.length === 0) lines.push(`interrupted by ${signal}`);
    stderr.write(`\n${lines.join('\n')}\n`);
    host.exit(code);
  };
  const onInt = listener('SIGINT');
  const onTerm = listener('SIGTERM');
  host.on('SIGINT', onInt);
  host.on('SIGTERM', onTerm);
  return {
    onInterrupt(handler) {
      handlers.push(handler);
      return () => {
        const i = handlers.indexOf(handler);
        if (i >= 0) handlers.splice(i, 1);
      };
    },
    dispose() {
      host.off('SIGINT', onInt);
      host.off('SIGTERM', onTerm);
    },
  };
}
