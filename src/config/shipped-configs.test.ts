import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experiments } from '../../experiments/index.js';
import { projectRoot } from '../testing/fixtures.js';
import { loadConfig } from './load.js';

/** Every `.yaml` file below `configs/`, as paths relative to the project root. */
function shippedConfigs(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.yaml')) found.push(relative(projectRoot, path));
    }
  };
  walk(join(projectRoot, 'configs'));
  return found.sort();
}

describe('the configs shipped in configs/', () => {
  const files = shippedConfigs();

  it('are found (the walk itself works)', () => {
    expect(files).toContain('configs/smoke.yaml');
    expect(files).toContain('configs/cpu/writers.yaml');
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  it.each(files)('%s validates against the schema', async (file) => {
    const { config } = await loadConfig(join(projectRoot, file), { experiments });
    expect(config.experiments.length).toBeGreaterThan(0);
  });

  it.each(files.filter((f) => /^configs\/(cpu|paper)\//.test(f)))('%s opens with a comment saying what it is and how it is scaled', (file) => {
    const text = readFileSync(join(projectRoot, file), 'utf8');
    expect(text.startsWith('#')).toBe(true);
    if (file.startsWith('configs/cpu/')) expect(text).toMatch(/SCALED/);
  });

  it('every budget milestone is within the iterations it trains (configs with budget exist)', async () => {
    let checked = 0;
    for (const file of files) {
      const { config } = await loadConfig(join(projectRoot, file), { experiments });
      for (const entry of config.experiments) {
        if (entry.id !== 'budget') continue;
        const budget = entry as unknown as { iterations: number | null; milestones: readonly number[] | null };
        const iterations = budget.iterations ?? config.training.iterations;
        for (const milestone of budget.milestones ?? []) {
          expect(milestone, `${file}: milestone ${milestone}`).toBeLessThanOrEqual(iterations);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });
});
