import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.js';
import { argminLevels } from '../src/mpc-sim/protocols/argmin.js';
import { parseCsvText } from '../src/report/csv.js';
import { runConfig } from '../src/runner/run-config.js';
import { tempDir } from '../src/testing/fixtures.js';
import { experimentRegistry, experiments } from './index.js';

const yaml = `
seed: 5
backend: wasm
dataset:
  source: { type: mnist }
  users: { classes: ['0', '1', '4'], maxImagesPerUser: 20 }
  cache: { enabled: false }
training: { gf: 2, df: 2, iterations: 10, batchSize: 8 }
experiments:
  - id: mpc-cost
    users: [1, all]
`;

describe('mpc-cost experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('measures N = 1 and N = all: lockstep rounds differ by the argmin tree only, bytes scale with N', async () => {
    const loaded = parseConfigText(yaml, 'mpc.yaml', { experiments });
    const [outcome] = await runConfig(loaded, { registry: experimentRegistry, outDir: tmp.dir });
    expect(outcome!.status).toBe('completed');
    const rows = parseCsvText(await readFile(join(outcome!.dir, 'mpc_cost.csv'), 'utf8'));
    const value = (users: number, metric: string) => Number(rows.find((r) => r['users'] === users && r['metric'] === metric)!['value']);
    expect(new Set(rows.map((r) => r['users']))).toEqual(new Set([1, 3]));
    expect(value(3, 'rounds') - value(1, 'rounds')).toBe(6 * argminLevels(3) + 1 - 1);
    // Online bytes: every user's reconstruction and MSE, plus the argmin tree (a few hundred bytes).
    const ratio = value(3, 'onlineMB') / value(1, 'onlineMB');
    expect(ratio).toBeGreaterThan(2.95);
    expect(ratio).toBeLessThan(3.1);
    for (const m of ['onlineSeconds', 'offlineSeconds', 'plaintextSeconds', 'offlineMB']) expect(value(3, m)).toBeGreaterThan(0);
    // The estimates add rounds x RTT / 2 and the busier direction's bytes / bandwidth to the measured compute
    // (between half and all of both servers' bytes).
    const latency = value(3, 'onlineSeconds') + value(3, 'rounds') * 0.02;
    expect(value(3, 'wanSeconds')).toBeGreaterThan(latency + (8 * value(3, 'onlineMB') * 1e6) / 2 / 100e6 - 1e-9);
    expect(value(3, 'wanSeconds')).toBeLessThan(latency + (8 * value(3, 'onlineMB') * 1e6) / 100e6 + 1e-9);
    const layers = parseCsvText(await readFile(join(outcome!.dir, 'mpc_cost_layers.csv'), 'utf8'));
    const roundsN3 = layers.filter((l) => l['users'] === 3).reduce((s, l) => s + Number(l['rounds']), 0);
    expect(roundsN3).toBe(value(3, 'rounds'));
    const manifest = JSON.parse(await readFile(join(outcome!.dir, 'run.json'), 'utf8'));
    expect(manifest.files).toEqual(expect.arrayContaining(['mpc_time.svg', 'mpc_bytes.svg', 'mpc_rounds.svg']));
  });
});
