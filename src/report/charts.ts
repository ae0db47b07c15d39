import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { RunError } from '../errors.js';
import { writeFilesAtomic } from '../util/atomic-write.js';
import { readCsv, type Cell } from './csv.js';

/** Tables read from a run's CSV files, by file name. */
export type Tables = Readonly<Record<string, readonly Record<string, Cell>[]>>;

/**
 * A chart of an experiment: which CSV files it reads and how it turns their rows into a
 * Vega-Lite spec. Charts are always built from the CSV files on disk, both during a run and in
 * `privedge figures`, so a figure can be regenerated (or restyled) without re-running anything.
 */
export interface ChartDefinition {
  /** File stem of the chart: `<name>.vl.json`, `.svg`, `.png`. */
  readonly name: string;
  /** CSV files (in the run folder) the chart reads. */
  readonly inputs: readonly string[];
  /** Builds a self-contained Vega-Lite spec (data inline) from the parsed tables. */
  build(tables: Tables): TopLevelSpec;
}

/** Output formats besides the `.vl.json` spec. */
export type ChartFormat = 'svg' | 'png';

/** Shared look of every chart. */
export const chartTheme = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14 },
  view: { stroke: null },
} as const;

/** The Vega-Lite version every spec is written for. */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A chart spec of the harness: `spec` with the Vega-Lite `$schema` first and the shared {@link chartTheme} as `config`. */
export function vegaLite(spec: TopLevelSpec): TopLevelSpec {
  return { $schema: VEGA_LITE_SCHEMA, ...spec, config: chartTheme };
}

/** Renders a Vega-Lite spec headless to SVG (vega `View.toSVG`, no canvas). The spec is not modified. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // vega tags inline data objects as it ingests them: render a copy.
  const compiled = vl.compile(structuredClone(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG to PNG with sharp (librsvg) at `scale` pixels per SVG pixel. */
export async function svgToPng(svg: string, scale: number): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}

/** Builds and writes one chart (spec, SVG, PNG) from the CSV files in `dir`. Returns the spec. */
export async function renderChart(dir: string, chart: ChartDefinition, formats: readonly ChartFormat[], pngScale: number): Promise<TopLevelSpec> {
  const tables: Record<string, Record<string, Cell>[]> = {};
  for (const input of chart.inputs) tables[input] = await readCsv(join(dir, input));
  let spec: TopLevelSpec;
  try {
    spec = chart.build(tables);
  } catch (error) {
    throw new RunError(join(dir, `${chart.name}.vl.json`), `cannot build chart: ${(error as Error).message}`, { cause: error });
  }
  // Render everything first, then write the files as one unit: a failure leaves the old chart whole.
  const files: [string, string | Uint8Array][] = [[join(dir, `${chart.name}.vl.json`), `${JSON.stringify(spec, null, 2)}\n`]];
  if (formats.includes('svg') || formats.includes('png')) {
    const svg = await renderSvg(spec);
    if (formats.includes('svg')) files.push([join(dir, `${chart.name}.svg`), svg]);
    if (formats.includes('png')) {
      if (!Number.isFinite(pngScale) || pngScale <= 0) throw new RunError(join(dir, `${chart.name}.png`), `PNG scale must be a number > 0, got ${pngScale}`);
      files.push([join(dir, `${chart.name}.png`), await svgToPng(svg, pngScale)]);
    }
  }
  await writeFilesAtomic(files);
  return spec;
}

/** Chart files (`*.vl.json`) present in a folder. */
export async function listChartSpecs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith('.vl.json')).sort();
  } catch {
    throw new RunError(dir, 'folder not found');
  }
}
