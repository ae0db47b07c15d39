import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse } from 'csv-parse';
import { RunError } from '../errors.js';
import { html, type Html } from './escape.js';

/** The first rows of a CSV file, as written (cells are not cast), and how many rows it has. */
export interface CsvPreview {
  /** File name, e.g. `metrics.csv`. */
  readonly file: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Data rows in the file (header not counted). */
  readonly totalRows: number;
  readonly bytes: number;
}

/**
 * Reads the header and the first `maxRows` data rows of a CSV file and counts the rest. The file
 * is streamed, so a 90,000-row table costs one pass and never sits in memory whole.
 */
export async function previewCsv(path: string, maxRows: number): Promise<CsvPreview> {
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch {
    throw new RunError(path, 'CSV file not found');
  }
  let columns: string[] | undefined;
  const rows: string[][] = [];
  let totalRows = 0;
  try {
    const parser = createReadStream(path).pipe(parse({ skip_empty_lines: true, relax_column_count: true }));
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!columns) {
        columns = record;
        continue;
      }
      if (rows.length < maxRows) rows.push(record);
      totalRows++;
    }
  } catch (error) {
    throw new RunError(path, `malformed CSV: ${(error as Error).message}`, { cause: error });
  }
  return { file: basename(path), columns: columns ?? [], rows, totalRows, bytes };
}

const NUMERIC = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|NaN|-?Infinity)$/;

/**
 * A CSV preview as an HTML table (numbers right-aligned), with a note naming the rows left out.
 * `href` links the note to the file itself.
 */
export function csvTableHtml(preview: CsvPreview, href: string): Html {
  const width = Math.max(preview.columns.length, ...preview.rows.map((r) => r.length));
  const header = Array.from({ length: width }, (_, i) => preview.columns[i] ?? '');
  const body = preview.rows.map(
    (row) => html`<tr>${header.map((_, i) => {
      const cell = row[i] ?? '';
      return NUMERIC.test(cell) ? html`<td class="num">${cell}</td>` : html`<td>${cell}</td>`;
    })}</tr>`,
  );
  const more = preview.totalRows - preview.rows.length;
  return html`<div class="table-wrap"><table>
<thead><tr>${header.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody>${body}</tbody>
</table></div>${more > 0 ? html`<p class="note">${more.toLocaleString('en-US')} more rows in <a href="${href}">${preview.file}</a></p>` : ''}`;
}
