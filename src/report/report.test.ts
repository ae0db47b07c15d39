import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.js';
import { renderChart, type ChartDefinition } from './charts.js';
import { parseCsvText, readCsv, writeCsv } from './csv.js';

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
