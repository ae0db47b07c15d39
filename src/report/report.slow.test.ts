import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentRegistry, experiments } from '../../experiments/index.js';
import { parseConfigText } from '../config/load.js';
import { runConfig } from '../runner/run-config.js';
import { tempDir, tinyIdentificationYaml } from '../testing/fixtures.js';
import { renderChart, type ChartDefinition } from './charts.js';
import { parseCsvText, readCsv, writeCsv } from './csv.js';
import { regenerateFigures } from '../runner/figures.js';

describe('CSV files', () => {
  it('round-trips numbers at full precision, strings with commas and quotes, and empty cells', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const rows = [
        { user: 's1', value: 0.1 + 0.2, note: 'a, "quoted" note', missing: null },
        { user: '01', value: -1e-12, note: 'x', missing: 3 },
      ];
      await writeCsv(join(dir, 't.csv'), rows);
      expect((await readFile(join(dir, 't.csv'), 'utf8')).split('\n')[0]).toBe('user,value,note,missing');
      const back = await readCsv(join(dir, 't.csv'));
      expect(back).toEqual([
        { user: 's1', value: 0.30000000000000004, note: 'a, "quoted" note', missing: null },
        { user: '01', value: -1e-12, note: 'x', missing: 3 },
      ]);
      expect(parseCsvText('a,b\nNaN,true\n')).toEqual([{ a: Number.NaN, b: true }]);
      // Header cells are names, never cast (a column may be called "true").
      expect(parseCsvText('true,1\nx,2\n')).toEqual([{ true: 'x', 1: 2 }]);
      await expect(readCsv(join(dir, 'none.csv'))).rejects.toThrow('none.csv: CSV file not found');
    } finally {
      await cleanup();
    }
  });
});

describe('charts', () => {
  it('writes the Vega-Lite spec, an SVG and a PNG built from the CSV on disk', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'd.csv'), 'k,v\na,3\nb,5\n');
      const chart: ChartDefinition = {
        name: 'bars',
        inputs: ['d.csv'],
        build: (t) => ({ data: { values: t['d.csv'] as Record<string, unknown>[] }, mark: 'bar', encoding: { x: { field: 'k', type: 'nominal' }, y: { field: 'v', type: 'quantitative' } } }),
      };
      const spec = await renderChart(dir, chart, ['svg', 'png'], 1);
      expect(JSON.parse(await readFile(join(dir, 'bars.vl.json'), 'utf8'))).toEqual(spec);
      expect((spec as { data: { values: unknown[] } }).data.values).toEqual([{ k: 'a', v: 3 }, { k: 'b', v: 5 }]);
      const svg = await readFile(join(dir, 'bars.svg'), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.match(/<path[^>]*aria-roledescription="bar"/g) ?? svg.match(/role="graphics-symbol"/g)).not.toBeNull();
      const png = await readFile(join(dir, 'bars.png'));
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    } finally {
      await cleanup();
    }
  });
});

describe('privedge figures', () => {
  it('rebuilds every chart of real runs from their CSV files alone, equal to the specs the runs wrote', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const yaml = tinyIdentificationYaml(2).replace('experiments:\n', 'experiments:\n  - { id: dataset-summary, samplesPerUser: 2 }\n');
      const outcomes = await runConfig(parseConfigText(yaml, 'figures.yaml', { experiments }), { registry: experimentRegistry, outDir: dir });
      expect(outcomes.map((o) => [o.experiment, o.status])).toEqual([['dataset-summary', 'completed'], ['identification', 'completed']]);
      const original = new Map<string, unknown>();
      for (const outcome of outcomes) {
        const charts = (await experimentRegistry.get(outcome.experiment)!.load()).charts.map((c) => c.name);
        expect(charts.length).toBeGreaterThan(0);
        for (const name of charts) {
          original.set(join(outcome.dir, name), JSON.parse(await readFile(join(outcome.dir, `${name}.vl.json`), 'utf8')));
          for (const ext of ['.vl.json', '.svg', '.png']) await rm(join(outcome.dir, `${name}${ext}`));
        }
      }
      const rebuilt = await regenerateFigures(dir, experimentRegistry, { formats: ['svg', 'png'], pngScale: 1 });
      expect(rebuilt.flatMap((r) => r.charts.map((c) => join(r.dir, c))).sort()).toEqual([...original.keys()].sort());
      for (const [stem, spec] of original) {
        expect(JSON.parse(await readFile(`${stem}.vl.json`, 'utf8')), stem).toEqual(spec);
        expect((await readFile(`${stem}.svg`, 'utf8')).startsWith('<svg'), stem).toBe(true);
        expect(existsSync(`${stem}.png`), stem).toBe(true);
      }
    } finally {
      await cleanup();
    }
  });
});
