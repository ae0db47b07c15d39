/** Test support: run folders written by hand, with real charts, hostile cells and long tables. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { renderChart, type ChartDefinition } from '../report/charts.js';
import { writeCsv, type Row } from '../report/csv.js';
import { runFolderPath, startRunFolder, writeManifest, type RunManifest } from '../runner/run-folder.js';

/** Text that would become markup (and run script) if the report forgot to escape it. */
export const HOSTILE = `<script>document.title='pwned'</script></td></tr></table><b id="pwned">x</b><img src=x onerror="document.title='pwned'">`;

/** A heat map: vega draws its legend with a `gradient_0` fill, so two of them in one page collide. */
export const heatmapChart: ChartDefinition = {
  name: 'heatmap',
  inputs: ['cells.csv'],
  build: (t) => ({
    data: { values: t['cells.csv'] as Record<string, unknown>[] },
    mark: 'rect',
    encoding: { x: { field: 'col', type: 'nominal' }, y: { field: 'row', type: 'nominal' }, color: { field: 'value', type: 'quantitative' } },
  }),
};

/** Bars labelled by the hostile cells of `labels.csv`. */
export const labelsChart: ChartDefinition = {
  name: 'labels',
  inputs: ['labels.csv'],
  build: (t) => ({
    data: { values: t['labels.csv'] as Record<string, unknown>[] },
    mark: 'bar',
    encoding: { x: { field: 'label', type: 'nominal' }, y: { field: 'n', type: 'quantitative' } },
  }),
};

/** Writes a run folder `<root>/<experiment>/<runId>/` with a manifest, a config and the given CSV tables and charts. */
export async function writeSyntheticRun(
  root: string,
  run: { experiment: string; runId: string; startedAt: string; status?: RunManifest['status']; error?: string; pid?: number; hostname?: string; signal?: string },
  tables: Readonly<Record<string, readonly Row[]>>,
  charts: readonly ChartDefinition[] = [],
): Promise<string> {
  const dir = runFolderPath(root, run.experiment, run.runId);
  const manifest: RunManifest = {
    experiment: run.experiment,
    runId: run.runId,
    configName: 'synthetic',
    configFile: 'synthetic.yaml',
    overrides: [],
    seed: 1,
    status: run.status ?? 'completed',
    startedAt: run.startedAt,
    endedAt: run.startedAt,
    durationSeconds: 1,
    error: run.error ?? null,
    ...(run.signal === undefined ? {} : { signal: run.signal }),
    ...(run.pid === undefined ? {} : { pid: run.pid }),
    git: { commit: null, dirty: null },
    versions: {},
    backend: { requested: 'cpu', name: null },
    host: run.hostname === undefined ? {} : { hostname: run.hostname },
    files: [],
    facts: { note: HOSTILE },
  };
  await startRunFolder(dir, { name: 'synthetic', note: HOSTILE }, manifest);
  for (const [file, rows] of Object.entries(tables)) await writeCsv(join(dir, file), rows);
  for (const chart of charts) await renderChart(dir, chart, ['svg', 'png'], 1);
  await writeManifest(dir, manifest);
  return dir;
}

/** A small grey PNG (not a chart rendering: it has no SVG of the same name). */
export async function writeSmallPng(path: string): Promise<void> {
  await writeFile(path, await sharp({ create: { width: 24, height: 16, channels: 3, background: '#777777' } }).png().toBuffer());
}
