import { dirname, join, resolve } from 'node:path';
import { RunError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { findRunFolders } from '../runner/figures.js';
import { reportPageHtml, type ExperimentGroup } from './page.js';
import { readRunData, type RunData } from './run-data.js';

/** Options of {@link writeHtmlReport}. */
export interface HtmlReportOptions {
  /** The page to write; default `<dir>/report.html`. */
  readonly out?: string;
  /** Data rows shown per CSV file (default 50); the rest is counted, never inlined. */
  readonly maxRows?: number;
  /** Largest non-chart image embedded, in bytes (default 2 MiB). */
  readonly maxImageBytes?: number;
  /** Experiment ids in the order the page lists them (e.g. the registry's); others follow by name. */
  readonly experimentOrder?: readonly string[];
  readonly title?: string;
  /** Time stamp shown on the page (default now). */
  readonly generatedAt?: Date;
}

/** What {@link writeHtmlReport} wrote. */
export interface HtmlReportResult {
  readonly out: string;
  readonly runs: number;
  readonly experiments: number;
  readonly bytes: number;
  /** Runs not completed, by state (`failed`, `interrupted`, `running`, `stale`). */
  readonly unfinished: Readonly<Record<string, number>>;
}

/**
 * Groups runs by experiment (in `order`, then by name) and sorts each group newest first (by
 * `startedAt`; runs that started at the same time keep their folder order).
 */
export function groupRuns(runs: readonly RunData[], order: readonly string[] = []): ExperimentGroup[] {
  const byExperiment = new Map<string, RunData[]>();
  for (const run of runs) {
    const list = byExperiment.get(run.manifest.experiment) ?? [];
    list.push(run);
    byExperiment.set(run.manifest.experiment, list);
  }
  const rank = (id: string): number => (order.includes(id) ? order.indexOf(id) : order.length);
  return [...byExperiment.keys()]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((experiment) => ({
      experiment,
      runs: [...byExperiment.get(experiment)!].sort((a, b) => String(b.manifest.startedAt ?? '').localeCompare(String(a.manifest.startedAt ?? ''))),
    }));
}

/**
 * Writes one static, self-contained HTML page (atomically) showing every run folder at or below
 * `dir`: charts inline, CSV files as tables (the first rows), resolved configs and manifests.
 * Throws a {@link RunError} naming `dir` when it is missing or holds no run folder.
 */
export async function writeHtmlReport(dir: string, options: HtmlReportOptions = {}): Promise<HtmlReportResult> {
  const root = resolve(dir);
  const out = resolve(options.out ?? join(root, 'report.html'));
  const folders = await findRunFolders(root);
  if (folders.length === 0) throw new RunError(dir, 'no run folders (folders with run.json) found');
  const runs: RunData[] = [];
  for (const folder of folders) {
    runs.push(await readRunData(folder, { maxRows: options.maxRows ?? 50, maxImageBytes: options.maxImageBytes ?? 2 * 1024 * 1024 }));
  }
  const groups = groupRuns(runs, options.experimentOrder);
  const page = reportPageHtml(
    { title: options.title ?? 'privedge results', source: root, generatedAt: options.generatedAt ?? new Date(), reportDir: dirname(out) },
    groups,
  );
  await writeFileAtomic(out, page);
  const unfinished: Record<string, number> = {};
  for (const run of runs) if (run.state !== 'completed') unfinished[run.state] = (unfinished[run.state] ?? 0) + 1;
  return { out, runs: runs.length, experiments: groups.length, bytes: Buffer.byteLength(page), unfinished };
}
