import { existsSync } from 'node:fs';
import { readCsv, writeCsv, type Row } from '../../report/csv.js';
import type { QueryOptions, QueryResult, Servers } from './client.js';

/** Columns of a deployment's query log (`privedge query --out`). */
export const QUERY_COLUMNS = ['time', 'job', 'image', 'user', 'index', 'belowThreshold', 'seconds', 'rounds', 'onlineBytesS0', 'onlineBytesS1', 'dealerBytes'] as const;

/**
 * Runs one private query and, only if it succeeds, adds its row to the CSV file `out` (rewritten
 * atomically, so a failed or interrupted query never leaves a row or a torn file).
 */
export async function queryAndRecord(servers: Servers, image: Float32Array, inputShape: readonly [number, number, number], name: string, out: string | undefined, options: QueryOptions = {}): Promise<QueryResult> {
  const r = await servers.query(image, inputShape, options);
  if (out !== undefined) {
    const rows: Row[] = existsSync(out) ? await readCsv(out) : [];
    rows.push({
      time: new Date().toISOString(),
      job: r.job,
      image: name,
      user: r.user,
      index: r.index,
      belowThreshold: r.belowThreshold ?? null,
      seconds: r.seconds,
      rounds: r.rounds,
      onlineBytesS0: r.onlineBytes[0],
      onlineBytesS1: r.onlineBytes[1],
      dealerBytes: r.offlineBytes[0] + r.offlineBytes[1],
    });
    await writeCsv(out, rows, QUERY_COLUMNS);
  }
  return r;
}
