import { appendFile, readFile, stat } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { RunError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** A cell of a long-format results table. */
export type Cell = string | number | boolean | null;
/** One row of a results table. */
export type Row = Readonly<Record<string, Cell>>;

/**
 * Writes rows as CSV (header first; columns in `columns` order, else first-seen order) atomically.
 * Numbers are written with full round-trip precision; null becomes an empty cell; a non-finite
 * number is written as `NaN`, `Infinity` or `-Infinity`.
 */
export async function writeCsv(path: string, rows: readonly Row[], columns?: readonly string[]): Promise<void> {
  const header = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  await writeFileAtomic(path, stringify([header, ...rows.map((row) => csvRecord(row, header))]));
}

/**
 * Appends one row to a CSV file that grows while a long job runs (header first when the file
 * is new or empty), so an interrupted job keeps what it finished. Not atomic: a crash can leave
 * a torn last line, which {@link readGrowingCsv} drops.
 */
export async function appendCsvRow(path: string, row: Row, columns: readonly string[]): Promise<void> {
  const fresh = await stat(path).then(
    (s) => s.size === 0,
    () => true,
  );
  const record = csvRecord(row, columns);
  await appendFile(path, stringify(fresh ? [columns, record] : [record]));
}

/**
 * Reads a file written by {@link appendCsvRow}: a last line without its newline (torn by a
 * crash) is dropped. Returns null if the file does not exist.
 * @throws RunError naming the file if the complete lines are not valid CSV.
 */
export async function readGrowingCsv(path: string): Promise<Record<string, Cell>[] | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const end = text.lastIndexOf('\n');
  return parseCsvText(end < 0 ? '' : text.slice(0, end + 1), path);
}

/** One row's cells in `columns` order (a missing cell is empty). */
function csvRecord(row: Row, columns: readonly string[]): string[] {
  return columns.map((c) => formatCell(row[c] ?? null));
}

function formatCell(value: Cell): string {
  if (value === null) return '';
  return String(value);
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Reads a results CSV: numeric-looking cells (no leading zeros) become numbers, empty cells null. */
export async function readCsv(path: string): Promise<Record<string, Cell>[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RunError(path, 'CSV file not found');
  }
  return parseCsvText(text, path);
}

/**
 * {@link readCsv} of an optional file: null if it does not exist.
 * @throws RunError naming the file if it exists but cannot be read or is not valid CSV.
 */
export async function readCsvIfPresent(path: string): Promise<Record<string, Cell>[] | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RunError(path, `cannot read: ${(error as Error).message}`);
  }
  return parseCsvText(text, path);
}

/** Parses results CSV text (see {@link readCsv}). */
export function parseCsvText(text: string, path = 'csv'): Record<string, Cell>[] {
  try {
    return parse(text, {
      columns: true,
      skip_empty_lines: true,
      cast: (value: string, context: { header: boolean }): Cell => {
        if (context.header) return value;
        if (value === '') return null;
        if (NUMBER.test(value)) return Number(value);
        if (value === 'NaN') return Number.NaN;
        if (value === 'Infinity') return Number.POSITIVE_INFINITY;
        if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
        if (value === 'true') return true;
        if (value === 'false') return false;
        return value;
      },
    }) as Record<string, Cell>[];
  } catch (error) {
    throw new RunError(path, `malformed CSV: ${(error as Error).message}`);
  }
}
