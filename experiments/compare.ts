import { basename, join, resolve } from 'node:path';
import { collabDatasets, collabRows, collabTestSet } from '../src/compare/collab-rows.js';
import { heMismatch, heRows } from '../src/compare/he-rows.js';
import { identificationMismatch, identificationRows } from '../src/compare/identification-rows.js';
import { compareCharts, comparisonMarkdown } from '../src/compare/present.js';
import { COMPARISON_COLUMNS, exposureRows, tableRow, type SystemRow } from '../src/compare/rows.js';
import { candidateRuns, readRun, resolveRun, type RunFolder } from '../src/compare/runs.js';
import { RunError } from '../src/errors.js';
import type { Row } from '../src/report/csv.js';
import { runIdFor } from '../src/runner/run-config.js';
import { defineExperiment, type ExperimentContext } from '../src/runner/experiment.js';
import { compareOptions, KEY } from './options/compare.js';

async function collabRun(ctx: ExperimentContext, ref: string): Promise<RunFolder> {
  if (ref !== 'auto') return readRun(resolve(ref), 'collab');
  const own = ctx.config.experiments.findIndex((e) => e.id === 'collab');
  if (own >= 0) {
    const dir = join(ctx.resultsRoot, 'collab', runIdFor(ctx.config, own));
    try {
      return await readRun(dir, 'collab');
    } catch (error) {
      throw new RunError(dir, `${KEY}.collab: this config's collab run is not available (list collab before compare): ${(error as Error).message}`);
    }
  }
  const [first] = await candidateRuns(ctx.config, ctx.resultsRoot, 'collab');
  if (!first) throw new RunError(join(ctx.resultsRoot, 'collab'), `${KEY}.collab: auto: no completed collab run; add \`- collab\` before \`- compare\` in the config or name a run folder`);
  return readRun(first, 'collab');
}

/**
 * `compare`: the cross-system table on the same test split. Reads finished runs (never retrains):
 * the collab run (weight transmission, centralised SGD, owners alone; its test split is the
 * reference), an identification run (PrivEdge plaintext and 2PC prediction, centralised CNN
 * baselines) and a he-baseline run (2P-DNN), each checked to test on the same images with the
 * same labels. Every system is scored by the same code from its per-image predictions (or, for
 * the baselines, its confusion counts). Writes `comparison.csv` (accuracy, macro precision and
 * recall, training and prediction cost, who can learn what), `who_sees_what.csv` (per party) and
 * `comparison.md`.
 */
export const compare = defineExperiment({
  ...compareOptions,
  charts: compareCharts,
  async run(ctx, o) {
    const collab = await collabRun(ctx, o.collab);
    const names = await collabDatasets(collab);
    const table: Row[] = [];
    const exposure: Row[] = [];
    const sources: Record<string, unknown> = {};
    for (const [i, entry] of o.datasets.entries()) {
      const key = `${KEY}.datasets[${i}]`;
      const dataset = entry.name ?? names[0]!;
      const set = await collabTestSet(collab, dataset, o.undefinedPrecision, `${key}.name`);
      const rows: SystemRow[] = [];
      const find = async (ref: string | null, experiment: string, mismatch: (r: RunFolder) => Promise<string | null>, hint: string, field: string) =>
        resolveRun(ref, experiment, await candidateRuns(ctx.config, ctx.resultsRoot, experiment), mismatch, hint, `${key}.${field}`, join(ctx.resultsRoot, experiment));
      const ident = await find(
        entry.identification,
        'identification',
        (r) => identificationMismatch(r, set),
        `Run identification on the same dataset settings and seed (e.g. add it to this config), or set ${key}.identification: null.`,
        'identification',
      );
      if (ident) rows.push(...(await identificationRows(ident, set, entry.privatePrediction, `${key}.identification`)));
      const he = await find(entry.heBaseline, 'he-baseline', (r) => heMismatch(r, set), `Run he-baseline on the same dataset settings and seed, or set ${key}.heBaseline: null.`, 'heBaseline');
      if (he) rows.push(...(await heRows(he, set)));
      rows.push(...(await collabRows(collab, set, entry.partitions)));
      table.push(...rows.map((r) => tableRow(dataset, r)));
      exposure.push(...exposureRows(dataset, rows));
      sources[dataset] = { testImages: set.labels.size, collab: collab.dir, identification: ident?.dir ?? null, heBaseline: he?.dir ?? null };
      ctx.reporter.info(`compare ${dataset}: ${rows.length} systems (collab ${basename(collab.dir)}${ident ? `, identification ${basename(ident.dir)}` : ''}${he ? `, he-baseline ${basename(he.dir)}` : ''})`);
    }
    ctx.record('compare', sources);
    await ctx.writeCsv('comparison.csv', table, COMPARISON_COLUMNS);
    await ctx.writeCsv('who_sees_what.csv', exposure, ['dataset', 'system', 'party', 'learns']);
    await ctx.writeFile('comparison.md', comparisonMarkdown(table));
  },
});
