import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
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

const KEY = 'experiments.compare';
const runRef = z.union([z.literal('auto'), z.string().min(1)]);

const datasetEntry = z.strictObject({
  name: z.string().min(1).optional().describe('Dataset of the collab run the table is on (default: its first)'),
  partitions: z.array(z.string().min(1)).min(1).nullable().default(null).describe('Collab partitions (labels such as `iid`, `skew-0.8`) giving weight-transmission rows (null: all)'),
  identification: runRef.nullable().default('auto').describe('PrivEdge and centralised baselines: an identification run folder, `auto` (this config\'s run, else the newest completed one under the results root on the same test images), or null (leave out)'),
  heBaseline: runRef.nullable().default('auto').describe('2P-DNN: a he-baseline run folder, `auto` (as for identification), or null (leave out; it is an MNIST baseline)'),
  privatePrediction: z.boolean().default(true).describe('Require PrivEdge private (2PC) predictions in the identification run (private_predictions*.csv)'),
});

const schema = z.strictObject({
  collab: runRef.default('auto').describe('The collab run: `auto` (this config\'s collab entry, else the newest completed collab run under the results root) or a folder'),
  datasets: z
    .array(datasetEntry)
    .min(1)
    .default(() => [datasetEntry.parse({})])
    .describe(
      'One table section per dataset, each `{ name, partitions, identification, heBaseline, privatePrediction }`: `name` a dataset of the collab run (default: its first); `partitions` the collab partitions shown (null: all); `identification` (PrivEdge, centralised CNNs) and `heBaseline` (2P-DNN): a run folder, `auto` (default: this config\'s run, else the newest completed one under the results root testing on the same images) or null (leave out); `privatePrediction` (default true) requires PrivEdge 2PC rows',
    ),
  undefinedPrecision: z.enum(['zero', 'exclude']).default('zero').describe('How a class never predicted enters macro precision: as 0, or left out'),
});

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
  id: 'compare',
  description: 'Cross-system table on the same data: PrivEdge (plaintext, 2PC), centralised CNNs, 2P-DNN, weight transmission: scores, training and prediction cost, who learns what',
  schema,
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
