/**
 * Bootstrap intervals of macro precision and recall for the `predictions.csv` of an existing
 * identification run folder (runs made before `identification` wrote `metrics_intervals.csv`):
 * the same function and the same seed stream as the experiment (`<seed>` / identification /
 * bootstrap / <system>), so the figures equal what the experiment writes today.
 *
 *   node --import tsx scripts/prediction-intervals.ts <run folder> [--resamples 1000] [--level 0.95]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { bootstrapMacroIntervals } from '../src/metrics/bootstrap.js';
import { readCsv } from '../src/report/csv.js';
import { naturalCompare } from '../src/util/natural-sort.js';
import { Rng } from '../src/util/rng.js';

const [dir] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (!dir) {
  console.error('usage: prediction-intervals.ts <identification run folder> [--resamples N] [--level L]');
  process.exit(2);
}
const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const config = parse(await readFile(join(dir, 'config.resolved.yaml'), 'utf8')) as { seed: number; experiments: { id: string; undefinedPrecision?: 'zero' | 'exclude' }[] };
const entry = config.experiments.find((e) => e.id === 'identification');
const rows = await readCsv(join(dir, 'predictions.csv'));
const users = [...new Set(rows.map((r) => String(r['trueUser'])))].sort(naturalCompare);
const root = Rng.fromSeed(config.seed);
console.log(['system', 'metric', 'value', 'lower', 'upper', 'level', 'resamples'].join(','));
for (const system of [...new Set(rows.map((r) => String(r['system'])))]) {
  const mine = rows.filter((r) => r['system'] === system);
  const ci = bootstrapMacroIntervals(
    mine.map((r) => String(r['trueUser'])),
    mine.map((r) => String(r['predicted'])),
    users,
    { resamples: flag('--resamples', 1000), level: flag('--level', 0.95), policy: entry?.undefinedPrecision ?? 'zero', rng: root.child('identification').child('bootstrap').child(system) },
  );
  for (const [metric, i] of [['precision', ci.precision], ['recall', ci.recall]] as const) console.log([system, metric, i.value, i.lower, i.upper, ci.level, ci.resamples].join(','));
}
