import { existsSync } from 'node:fs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load.js';
import { defineExperiment } from './experiment.js';
import { runConfig } from './run-config.js';
import { experimentsOnly, tempDir } from '../testing/fixtures.js';

/** An experiment that writes one CSV naming itself. */
const writer = (id: string) =>
  defineExperiment({
    id,
    description: `test: writes ${id}.csv`,
    schema: z.strictObject({}),
    charts: [],
    async run(ctx) {
      await ctx.writeCsv(`${id}.csv`, [{ experiment: id }]);
    },
  });

describe('runConfig --only', () => {
  it('runs the listed experiments only, into the run folders of a full run; an unknown id is refused naming --only', async () => {
    const { dir: tmp, cleanup } = await tempDir();
    try {
      const { experiments, registry } = experimentsOnly(writer('first'), writer('second'), writer('third'));
      const loaded = parseConfigText('seed: 1\ndataset: { source: { type: mnist } }\noutput: { charts: [] }\nexperiments: [first, second, third]\n', 'c.yaml', { experiments });
      const only = await runConfig(loaded, { registry, outDir: tmp, only: ['third', 'first'] });
      expect(only.map((o) => o.experiment)).toEqual(['first', 'third']);
      const full = await runConfig(loaded, { registry, outDir: tmp });
      expect(full.map((o) => o.experiment)).toEqual(['first', 'second', 'third']);
      expect([full[0]!.dir, full[2]!.dir]).toEqual(only.map((o) => o.dir));
      expect(existsSync(full[1]!.dir)).toBe(true);
      await expect(runConfig(loaded, { registry, outDir: tmp, only: ['fourth'] })).rejects.toThrow(/--only: the config has no experiment "fourth" \(it lists: first, second, third\)/);
      await expect(runConfig(loaded, { registry, outDir: tmp, only: [] })).rejects.toThrow(/--only: no experiment id given/);
    } finally {
      await cleanup();
    }
  });
});
