/**
 * What a chart's CSV files held when the run wrote them, so that a chart rebuilt later from an
 * edited or truncated file does not silently lose a system or a series: `run.json` records, per
 * chart input, its row count and the distinct values of its series columns (`system`,
 * `condition`, ...); `privedge figures` warns and `npm run check:report` fails when a file now
 * lacks some of them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from './csv.js';

/** Columns whose values name the systems and series a chart draws. */
export const SERIES_COLUMNS = ['system', 'systemLabel', 'condition', 'group', 'metric', 'part', 'dataset', 'percent', 'quality', 'topology', 'split', 'partition', 'users'] as const;

/** Columns with more distinct values than this are not recorded (they are data, not series). */
const MAX_VALUES = 200;

/** What run.json records of one CSV file. */
export interface CsvSeries {
  readonly rows: number;
  /** Distinct values of each series column present, sorted. */
  readonly values: Readonly<Record<string, readonly string[]>>;
}

async function seriesOf(path: string): Promise<CsvSeries> {
  const rows = await readCsv(path);
  const values: Record<string, string[]> = {};
  for (const column of SERIES_COLUMNS) {
    if (rows.length === 0 || !(column in rows[0]!)) continue;
    const distinct = [...new Set(rows.map((r) => String(r[column])))].sort();
    if (distinct.length <= MAX_VALUES) values[column] = distinct;
  }
  return { rows: rows.length, values };
}

/** The series of each CSV file in `dir` among `files` (files that do not exist are left out). */
export async function recordSeries(dir: string, files: Iterable<string>): Promise<Record<string, CsvSeries>> {
  const out: Record<string, CsvSeries> = {};
  for (const file of [...new Set(files)].sort()) if (existsSync(join(dir, file))) out[file] = await seriesOf(join(dir, file));
  return out;
}

/**
 * What the CSV files in `dir` lack of what run.json recorded: a missing file, fewer rows, or a
 * missing value of a series column (each problem one line naming the file).
 */
export async function missingSeries(dir: string, expected: Readonly<Record<string, CsvSeries>>): Promise<string[]> {
  const problems: string[] = [];
  for (const [file, want] of Object.entries(expected)) {
    const path = join(dir, file);
    if (!existsSync(path)) {
      problems.push(`${path}: missing (run.json records ${want.rows} rows)`);
      continue;
    }
    const have = await seriesOf(path);
    if (have.rows < want.rows) problems.push(`${path}: ${have.rows} rows, run.json records ${want.rows} (truncated?)`);
    for (const [column, values] of Object.entries(want.values)) {
      const present = new Set(have.values[column] ?? []);
      const lost = values.filter((v) => !present.has(v));
      if (lost.length > 0) problems.push(`${path}: no rows for ${column} ${lost.slice(0, 5).map((v) => `'${v}'`).join(', ')}${lost.length > 5 ? ` and ${lost.length - 5} more` : ''}, which run.json records`);
    }
  }
  return problems;
}
