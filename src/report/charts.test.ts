import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { heatmapChart, writeSyntheticRun } from '../testing/report-fixtures.js';
import { writeCsv } from './csv.js';
import { renderChart } from './charts.js';

const FILES = ['heatmap.vl.json', 'heatmap.svg', 'heatmap.png', 'run.json'];
const snapshot = (dir: string): Promise<string[]> => Promise.all(FILES.map(async (f) => (await readFile(join(dir, f))).toString('base64')));

describe('re-rendering a chart', () => {
  it('is one unit: a rendering that fails leaves the spec, SVG and PNG of the previous one', async () => {
    const { dir: tmp, cleanup } = await tempDir();
    try {
      const dir = await writeSyntheticRun(join(tmp, 'r'), { experiment: 'e', runId: 'a', startedAt: '2026-01-01T00:00:00.000Z' }, { 'cells.csv': [{ row: 'a', col: 'x', value: 1 }] }, [heatmapChart]);
      const before = await snapshot(dir);
      // New data (so a partial re-render would show), then a PNG step that fails.
      await writeCsv(join(dir, 'cells.csv'), [{ row: 'b', col: 'y', value: 7 }]);
      await expect(renderChart(dir, heatmapChart, ['svg', 'png'], -1)).rejects.toThrow(`${join(dir, 'heatmap.png')}: PNG scale must be a number > 0, got -1`);
      expect(await snapshot(dir)).toEqual(before);
    } finally {
      await cleanup();
    }
  });

  it('privedge figures --scale -1 is a usage error naming the option, and touches no file', async () => {
    const { dir: tmp, cleanup } = await tempDir();
    try {
      const root = join(tmp, 'r');
      const dir = await writeSyntheticRun(root, { experiment: 'e', runId: 'a', startedAt: '2026-01-01T00:00:00.000Z' }, { 'cells.csv': [{ row: 'a', col: 'x', value: 1 }] }, [heatmapChart]);
      await writeCsv(join(dir, 'cells.csv'), [{ row: 'b', col: 'y', value: 7 }]);
      const before = await snapshot(dir);
      for (const scale of ['-1', '0', 'abc', '9']) {
        let err = '';
        const code = await runCli(['figures', root, '--scale', scale], { stdout: { write: () => undefined }, stderr: { write: (t: string) => (err += t) } });
        expect(code, scale).toBe(2);
        expect(err.split('\n')[0], scale).toMatch(/^error: --scale: expected a number > 0 and <= 8, got "(-1|0|NaN|9)"$/);
      }
      expect(await snapshot(dir)).toEqual(before);
    } finally {
      await cleanup();
    }
  });
});
