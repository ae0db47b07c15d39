import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load.js';
import { defineExperiment } from '../runner/experiment.js';
import { runConfig } from '../runner/run-config.js';
import { experimentsOnly, tempDir } from '../testing/fixtures.js';
import { regenerateFigures } from '../runner/figures.js';

/** An experiment that writes one long-format CSV of two systems and charts it. */
const twoSystems = defineExperiment({
  id: 'two-systems',
  description: 'test: two systems in one CSV',
  schema: z.strictObject({}),
  charts: [
    {
      name: 'scores',
      inputs: ['scores.csv'],
      build: (t) => ({ data: { values: t['scores.csv'] as Record<string, unknown>[] }, mark: 'bar', encoding: { x: { field: 'system', type: 'nominal' }, y: { field: 'value', type: 'quantitative' } } }),
    },
  ],
  async run(ctx) {
    await ctx.writeCsv('scores.csv', [
      { system: 'privedge', metric: 'precision', value: 0.9 },
      { system: 'privedge', metric: 'recall', value: 0.8 },
      { system: 'vgg', metric: 'precision', value: 0.7 },
      { system: 'vgg', metric: 'recall', value: 0.6 },
    ]);
  },
});

describe('charts rebuilt from CSV files', () => {
  it('warn when a file lacks rows or a system that run.json recorded (a truncated but well-formed CSV)', async () => {
    const { dir: tmp, cleanup } = await tempDir();
    try {
      const { experiments, registry } = experimentsOnly(twoSystems);
      const loaded = parseConfigText('seed: 1\ndataset: { source: { type: mnist } }\noutput: { charts: [svg] }\nexperiments: [two-systems]\n', 'c.yaml', { experiments });
      const [outcome] = await runConfig(loaded, { registry, outDir: tmp });
      const manifest = JSON.parse(await readFile(join(outcome!.dir, 'run.json'), 'utf8'));
      expect(manifest.series).toEqual({ 'scores.csv': { rows: 4, values: { metric: ['precision', 'recall'], system: ['privedge', 'vgg'] } } });

      const warnings: string[] = [];
      const reporter = { info: () => undefined, warn: (m: string) => void warnings.push(m), task: () => ({ tick: () => undefined, done: () => undefined }) };
      expect((await regenerateFigures(tmp, registry, { formats: ['svg'], pngScale: 1, reporter }))[0]!.problems).toEqual([]);
      // Truncated after the privedge rows: still well-formed.
      const csv = join(outcome!.dir, 'scores.csv');
      await writeFile(csv, (await readFile(csv, 'utf8')).split('\n').slice(0, 3).join('\n') + '\n');
      const [again] = await regenerateFigures(tmp, registry, { formats: ['svg'], pngScale: 1, reporter });
      expect(again!.problems).toEqual([`${csv}: 2 rows, run.json records 4 (truncated?)`, `${csv}: no rows for system 'vgg', which run.json records`]);
      expect(warnings).toEqual(again!.problems.map((p) => `${p}: its charts are drawn without them`));
    } finally {
      await cleanup();
    }
  });
});
