/** A task in progress: call `tick` as units complete and `done` at the end. */
export interface ProgressTask {
  tick(units?: number): void;
  done(): void;
}

/** Where long steps report progress and notes. Injected, never global. */
export interface Reporter {
  /** Starts a task of `total` units (e.g. images, iterations). */
  task(label: string, total: number): ProgressTask;
  /** An informational line. */
  info(message: string): void;
  /** A warning line. */
  warn(message: string): void;
}

/** Writes nothing (tests). */
export const silentReporter: Reporter = {
  task: () => ({ tick: () => undefined, done: () => undefined }),
  info: () => undefined,
  warn: () => undefined,
};

/** Something lines can be written to (process.stderr by default). */
export interface LineSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of the terminal and plain reporters. */
export interface ConsoleReporterOptions {
  readonly sink?: LineSink;
  /** Injected clock (ms), for tests. */
  readonly now?: () => number;
  /** Minimum interval between redraws (TTY) or lines (plain), in ms. */
  readonly intervalMs?: number;
}

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * A progress bar with rate and ETA redrawn in place (throttled) on a terminal; on a non-terminal
 * (CI logs) plain lines at most every `intervalMs` (default 10 s) plus one at the end.
 */
export function consoleReporter(options: ConsoleReporterOptions = {}): Reporter {
  const sink = options.sink ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = Boolean(sink.isTTY);
  const interval = options.intervalMs ?? (tty ? 100 : 10_000);
  return {
    info: (message) => void sink.write(`${message}\n`),
    warn: (message) => void sink.write(`warning: ${message}\n`),
    task(label, total) {
      const start = now();
      let count = 0;
      let last = Number.NEGATIVE_INFINITY;
      let finished = false;
      const line = (): string => {
        const elapsed = (now() - start) / 1000;
        const rate = elapsed > 0 ? count / elapsed : 0;
        const eta = rate > 0 ? (total - count) / rate : Number.NaN;
        const pct = total > 0 ? Math.min(100, (100 * count) / total) : 100;
        const width = Math.max(10, Math.min(30, (sink.columns ?? 80) - label.length - 50));
        const filled = Math.round((pct / 100) * width);
        const bar = tty ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
        return `${label} ${bar}${count}/${total} (${pct.toFixed(0)}%) ${formatDuration(elapsed)} elapsed, ETA ${count >= total ? '0s' : formatDuration(eta)}`;
      };
      const draw = (force: boolean): void => {
        const t = now();
        if (!force && t - last < interval) return;
        last = t;
        sink.write(tty ? `\r${line()}\u001b[K` : `${line()}\n`);
      };
      if (!tty) draw(true);
      return {
        tick(units = 1) {
          count += units;
          if (!finished) draw(false);
        },
        done() {
          if (finished) return;
          finished = true;
          count = Math.max(count, total);
          draw(true);
          if (tty) sink.write('\n');
        },
      };
    },
  };
}
