import { existsSync } from 'node:fs';
import { readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { Reporter } from '../../src/progress/reporter.js';
import { parseCsvText } from '../../src/report/csv.js';
import { runConfig } from '../../src/runner/run-config.js';
import { tempDir, tinyIdentificationYaml } from '../../src/testing/fixtures.js';
import { experimentRegistry, experiments } from '../index.js';

const yaml = tinyIdentificationYaml(2).replace(
  '      - { kind: vgg, blocks: [4], dense: 8, epochs: 1, batchSize: 16 }\n',
  '      - { kind: vgg, blocks: [4], dense: 8, epochs: 2, batchSize: 16 }\n      - { kind: resnet, stages: [4], blocksPerStage: 1, epochs: 2, batchSize: 16 }\n',
);

/** Runs the config into `out`; returns the baselines' metric rows and the reporter's lines. */
async function run(out: string): Promise<{ metrics: Record<string, unknown>[]; lines: string[]; facts: Record<string, any> }> {
  const lines: string[] = [];
  const reporter: Reporter = { task: () => ({ tick: () => undefined, done: () => undefined }), info: (m) => void lines.push(m), warn: (m) => void lines.push(`warning: ${m}`) };
  const [outcome] = await runConfig(parseConfigText(yaml, 'ident.yaml', { experiments }), { registry: experimentRegistry, outDir: out, reporter });
  expect(outcome!.status).toBe('completed');
  const metrics = parseCsvText(await readFile(join(outcome!.dir, 'metrics.csv'), 'utf8')).filter((r) => r['system'] !== 'privedge');
  return { metrics, lines, facts: JSON.parse(await readFile(join(outcome!.dir, 'run.json'), 'utf8')).facts };
}

describe('stored baselines', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let first: Awaited<ReturnType<typeof run>>;
  let stored: string[];
  beforeAll(async () => {
    tmp = await tempDir();
    first = await run(tmp.dir);
    stored = (await readdir(join(tmp.dir, 'models', 'baselines'))).sort();
  });
  afterAll(async () => tmp.cleanup());

  it('the first run trains and stores each baseline with its done.json', () => {
    expect(stored.map((d) => d.replace(/-[0-9a-f]{16}$/, ''))).toEqual(['resnet', 'vgg']);
    for (const d of stored) expect(existsSync(join(tmp.dir, 'models', 'baselines', d, 'done.json'))).toBe(true);
    expect(first.lines.filter((l) => l.includes('reused'))).toEqual([]);
    expect(first.metrics.length).toBeGreaterThan(0);
  });

  it('a later run loads them instead of training, with the same predictions (vgg and resnet, batch norm statistics included)', async () => {
    const again = await run(tmp.dir);
    expect(again.lines.filter((l) => l.startsWith('baseline '))).toEqual(
      ['vgg', 'resnet'].map((n) => expect.stringMatching(new RegExp(`^baseline ${n}: reused .*models/baselines/${n}-[0-9a-f]{16} \\(trained in \\d+\\.\\d s\\)$`))),
    );
    expect(again.metrics).toEqual(first.metrics);
    expect(again.facts['identification']['resnet'].trainSeconds).toBe(first.facts['identification']['resnet'].trainSeconds);
  });

  it('a corrupt stored model is trained again, with a warning naming it, and gives the same predictions', async () => {
    const resnet = join(tmp.dir, 'models', 'baselines', stored.find((d) => d.startsWith('resnet'))!);
    await truncate(join(resnet, 'weights.bin'), 16);
    const repaired = await run(tmp.dir);
    expect(repaired.lines).toContain(`warning: ${resnet}: stored baseline not usable (${join(resnet, 'weights.bin')} does not match the SHA-256 recorded in done.json (a corrupt or replaced model)): training it again`);
    expect(repaired.lines.filter((l) => l.includes('reused'))).toHaveLength(1);
    expect(repaired.metrics).toEqual(first.metrics);
    expect(existsSync(join(resnet, 'done.json'))).toBe(true);
  });
});
