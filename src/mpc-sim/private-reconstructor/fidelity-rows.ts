import { ShapeError } from '../../errors.js';
import type { Cell } from '../../report/csv.js';
import { FIDELITY_COLUMNS, GARBAGE_ERROR, LAYER_COLUMNS } from './fidelity.js';

/** One row of `private_predictions*.csv`, as parsed (numbers and booleans typed). */
export type FidelityRow = Readonly<Record<(typeof FIDELITY_COLUMNS)[number], Cell>>;
/** One row of `private_cost_layers*.csv`. */
export type LayerRow = Readonly<Record<(typeof LAYER_COLUMNS)[number], Cell>>;

/** The outputs of one `--shard i/n` process. */
export interface FidelityShard {
  readonly index: number;
  readonly count: number;
  /** Where the rows came from, for error messages. */
  readonly source: string;
  readonly predictions: readonly FidelityRow[];
  readonly layers: readonly LayerRow[];
}

/** The summary a fidelity run prints, computed from its rows. */
export interface FidelitySummary {
  readonly queries: number;
  readonly agree: number;
  /** Max over queries of the per-query max |dissimilarity error| (undefined if none recorded). */
  readonly maxDissimilarityError: number | undefined;
  /** Queries with an error above {@link GARBAGE_ERROR}. */
  readonly suspectedFailures: number;
  /** Smallest plaintext margin among the queries (undefined if none recorded). */
  readonly smallestMargin: number | undefined;
  readonly meanOnlineSeconds: number;
  readonly meanOfflineSeconds: number;
  readonly meanRounds: number;
  readonly meanBytes: number;
  /** The rows whose private label differs from the plaintext label. */
  readonly disagreements: readonly FidelityRow[];
  /**
   * The queries an error of the size seen could flip: plaintext margin below twice the largest
   * dissimilarity error of the queries without a suspected failure (two dissimilarities, each off
   * by up to that much, can swap when they are closer than twice it); and how many of them agree.
   */
  readonly atRisk: { readonly below: number; readonly queries: number; readonly agree: number } | undefined;
}

/**
 * Summarises fidelity rows: those `fidelityRows` builds, or those read back from
 * `private_predictions*.csv` (one shard's, a merged file's, or the partial files of a run).
 */
export function summarizeFidelityRows(rows: readonly FidelityRow[]): FidelitySummary {
  const n = rows.length;
  const numbers = (column: (typeof FIDELITY_COLUMNS)[number]): number[] =>
    rows.map((r) => r[column]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const mean = (column: (typeof FIDELITY_COLUMNS)[number]): number => (n === 0 ? 0 : numbers(column).reduce((s, v) => s + v, 0) / n);
  const errors = numbers('maxDissimilarityError');
  const margins = numbers('plaintextMargin');
  const sound = errors.filter((e) => e <= GARBAGE_ERROR);
  const below = sound.length === 0 ? undefined : 2 * Math.max(...sound);
  const risky = below === undefined ? [] : rows.filter((r) => typeof r.plaintextMargin === 'number' && r.plaintextMargin < below);
  return {
    queries: n,
    agree: rows.filter((r) => r.agree === true).length,
    maxDissimilarityError: errors.length === 0 ? undefined : Math.max(...errors),
    suspectedFailures: errors.filter((e) => e > GARBAGE_ERROR).length,
    smallestMargin: margins.length === 0 ? undefined : Math.min(...margins),
    meanOnlineSeconds: mean('onlineSeconds'),
    meanOfflineSeconds: mean('offlineSeconds'),
    meanRounds: mean('rounds'),
    meanBytes: mean('onlineBytes'),
    disagreements: rows.filter((r) => r.agree !== true),
    atRisk: below === undefined ? undefined : { below, queries: risky.length, agree: risky.filter((r) => r.agree === true).length },
  };
}

/**
 * Merges the outputs of `--shard i/n` processes into one run's: the prediction rows of all
 * shards (shard 0's first, each in its own order) and the per-layer mean cost per query,
 * weighted by each shard's number of queries.
 * @throws ShapeError if the shards disagree on n, a shard index is missing or repeated, a test
 *   image appears in two shards, or the shards' layer lists differ.
 */
export function mergeFidelityShards(shards: readonly FidelityShard[]): { predictions: FidelityRow[]; layers: Record<(typeof LAYER_COLUMNS)[number], string | number>[] } {
  const what = 'fidelity shards';
  if (shards.length === 0) throw new ShapeError(what, 'no shard outputs to merge');
  const count = shards[0]!.count;
  const odd = shards.find((s) => s.count !== count);
  if (odd !== undefined) throw new ShapeError(what, `${odd.source} is shard ${odd.index} of ${odd.count}, but ${shards[0]!.source} is of ${count}`);
  const byIndex = new Map<number, FidelityShard>();
  for (const s of shards) {
    const seen = byIndex.get(s.index);
    if (seen !== undefined) throw new ShapeError(what, `shard ${s.index} of ${count} twice: ${seen.source} and ${s.source}`);
    byIndex.set(s.index, s);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new ShapeError(what, `shard(s) ${missing.join(', ')} of ${count} missing (found ${[...byIndex.keys()].sort((a, b) => a - b).join(', ')})`);
  const ordered = [...byIndex.values()].sort((a, b) => a.index - b.index);

  const owner = new Map<string, string>();
  const predictions: FidelityRow[] = [];
  for (const s of ordered) {
    for (const row of s.predictions) {
      const image = String(row.image);
      const other = owner.get(image);
      if (other !== undefined) throw new ShapeError(what, `test image '${image}' is in both ${other} and ${s.source}`);
      owner.set(image, s.source);
      predictions.push(row);
    }
  }

  const layerNames = ordered[0]!.layers.map((l) => String(l.layer));
  for (const s of ordered) {
    const names = s.layers.map((l) => String(l.layer));
    if (names.join(',') !== layerNames.join(',')) throw new ShapeError(what, `${s.source} has layers [${names.join(', ')}], ${ordered[0]!.source} has [${layerNames.join(', ')}]`);
  }
  const total = ordered.reduce((a, s) => a + s.predictions.length, 0);
  const numeric = LAYER_COLUMNS.filter((c) => c !== 'layer');
  const layers = layerNames.map((layer, j) => {
    const row: Record<(typeof LAYER_COLUMNS)[number], string | number> = { layer, rounds: 0, onlineBytesS0: 0, onlineBytesS1: 0, offlineBytesS0: 0, offlineBytesS1: 0, seconds: 0 };
    for (const column of numeric) {
      let sum = 0;
      for (const s of ordered) sum += Number(s.layers[j]![column]) * s.predictions.length;
      row[column] = total === 0 ? 0 : sum / total;
    }
    return row;
  });
  return { predictions, layers };
}

/**
 * `agree / queries` in percent with two decimals, rounded down so that anything short of every
 * query never prints as 100.00 (2,837 of 2,838 is 99.96, not 100.0).
 */
export function agreementPercent(agree: number, queries: number): string {
  return queries === 0 ? '0.00' : (Math.floor((10000 * agree) / queries) / 100).toFixed(2);
}

/** The lines a fidelity run prints for `summary` (agreement, errors, disagreements, mean cost). */
export function fidelitySummaryLines(summary: FidelitySummary): string[] {
  const s = summary;
  const lines = [
    `private labels equal plaintext labels for ${s.agree} of ${s.queries} queries (${agreementPercent(s.agree, s.queries)} %); ` +
      `max |dissimilarity error| ${s.maxDissimilarityError?.toExponential(2) ?? 'n/a'}; ` +
      `suspected truncation failures (error > ${GARBAGE_ERROR}): ${s.suspectedFailures}`,
  ];
  if (s.atRisk !== undefined) {
    lines.push(`queries at risk (plaintext margin below 2 x the largest sound error, ${s.atRisk.below.toExponential(2)}): ${s.atRisk.queries}, of which ${s.atRisk.agree} agree`);
  }
  for (const r of s.disagreements) {
    lines.push(`  disagreement on ${String(r.image)}: plaintext ${String(r.plaintextPredicted)}, private ${String(r.privatePredicted)}, plaintext margin ${fmt(r.plaintextMargin)}, max error ${fmt(r.maxDissimilarityError)}`);
  }
  lines.push(
    `per query: online ${s.meanOnlineSeconds.toFixed(2)} s, offline ${s.meanOfflineSeconds.toFixed(2)} s, ${s.meanRounds.toFixed(0)} rounds, ` +
      `${(s.meanBytes / 1e6).toFixed(2)} MB online (debug reveals excluded)`,
  );
  return lines;
}

function fmt(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toExponential(2) : 'n/a';
}
