import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RunError } from '../errors.js';
import { silentReporter, type Reporter } from '../progress/reporter.js';
import type { ExperimentRegistry } from './experiment.js';
import { renderChart, type ChartFormat } from '../report/charts.js';
import { missingSeries } from '../report/csv-series.js';
import { readManifest } from './run-folder.js';

/** Run folders (folders with a run.json) at or below `dir`. */
export async function findRunFolders(dir: string): Promise<string[]> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new RunError(dir, 'is not a folder');
  } catch (error) {
    if (error instanceof RunError) throw error;
    throw new RunError(dir, 'folder not found');
  }
  if (existsSync(join(dir, 'run.json'))) return [dir];
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && !entry.name.startsWith('.')) out.push(...(await findRunFolders(join(dir, entry.name))));
  }
  return out;
}

/**
 * Rebuilds every chart (spec, SVG, PNG) of every run folder at or below `dir` from the CSV files
 * in it alone: no dataset is read, nothing is trained or evaluated. A CSV file that lacks rows,
 * systems or series run.json recorded is warned about (and listed in `problems`).
 */
export async function regenerateFigures(
  dir: string,
  registry: ExperimentRegistry,
  options: { formats: readonly ChartFormat[]; pngScale: number; reporter?: Reporter },
): Promise<{ dir: string; charts: string[]; problems: string[] }[]> {
  const reporter = options.reporter ?? silentReporter;
  const runs = await findRunFolders(dir);
  if (runs.length === 0) throw new RunError(dir, 'no run folders (folders with run.json) found');
  const out: { dir: string; charts: string[]; problems: string[] }[] = [];
  for (const run of runs) {
    const manifest = await readManifest(run);
    const experiment = await registry.get(manifest.experiment)?.load();
    if (!experiment) throw new RunError(join(run, 'run.json'), `unknown experiment "${manifest.experiment}"`);
    if (manifest.status !== 'completed') {
      reporter.warn(`${run}: run is ${manifest.status}; rebuilding the charts whose CSV files exist`);
    }
    const problems = await missingSeries(run, manifest.series ?? {});
    for (const p of problems) reporter.warn(`${p}: its charts are drawn without them`);
    const charts: string[] = [];
    for (const chart of experiment.charts) {
      if (manifest.status !== 'completed' && !chart.inputs.every((i) => existsSync(join(run, i)))) continue;
      await renderChart(run, chart, options.formats, options.pngScale);
      charts.push(chart.name);
    }
    out.push({ dir: run, charts, problems });
  }
  return out;
}
