import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { readCsv, type Cell } from '../src/report/csv.js';
import type { Experiment } from '../src/runner/experiment.js';
import { runConfig } from '../src/runner/run-config.js';
import { experimentsOnly, handQuantile, tempDir, tinyExperimentYaml } from '../src/testing/fixtures.js';
import { jpeg } from './jpeg.js';

const { experiments, registry } = experimentsOnly(jpeg as unknown as Experiment);
const yaml = (transforms: string, entry: string): string => tinyExperimentYaml({ id: 'jpeg', extra: transforms, entry });

type Table = Record<string, Cell>[];
const num = (v: Cell | undefined): number => v as number;

describe('jpeg experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('declares defaults for every option', () => {
    const { baselines, ...rest } = jpeg.defaults;
    expect(rest).toEqual({ qualities: [100, 90, 80, 70, 60, 50, 40, 30, 20, 10], chromaSubsampling: '4:4:4', undefinedPrecision: 'zero', evalBatchSize: 64, band: 'iqr', trainOnCompressed: false });
    expect(baselines.map((b) => b.kind)).toEqual(['vgg', 'resnet']);
  });

  it('evaluates every system at every quality: metrics and spread match a recomputation from predictions.csv', async () => {
    const entry = `    qualities: [90, 40, 5]
    trainOnCompressed: 20
    baselines:
      - { kind: vgg, blocks: [4], dense: 8, epochs: 1, batchSize: 16 }`;
    const loaded = parseConfigText(yaml('', entry), 'jpeg.yaml', { experiments });
    const [outcome] = await runConfig(loaded, { registry, outDir: tmp.dir });
    expect(outcome!.status).toBe('completed');
    const read = (f: string): Promise<Table> => readCsv(join(outcome!.dir, f));
    const predictions = await read('predictions.csv');
    const metrics = await read('metrics.csv');
    const spread = await read('spread.csv');
    const compression = await read('compression.csv');
    const training = await read('training_users.csv');
    const systems = ['privedge', 'privedge-train-q20', 'vgg'];
    const users = ['0', '1', '4'];
    // 3 systems x 3 qualities x 24 test images.
    expect(predictions).toHaveLength(3 * 3 * 24);
    expect([...new Set(predictions.map((p) => p['system']))]).toEqual(systems);

    for (const system of systems) {
      for (const quality of [90, 40, 5]) {
        const rows = predictions.filter((p) => p['system'] === system && p['quality'] === quality);
        expect(rows).toHaveLength(24);
        const value = (label: string, metric: string) => metrics.find((m) => m['system'] === system && m['quality'] === quality && String(m['label']) === label && m['metric'] === metric)?.['value'] ?? null;
        const precision = users.map((u) => {
          const predictedU = rows.filter((p) => String(p['predicted']) === u);
          return predictedU.length === 0 ? null : predictedU.filter((p) => String(p['trueUser']) === u).length / predictedU.length;
        });
        const recall = users.map((u) => rows.filter((p) => String(p['trueUser']) === u && String(p['predicted']) === u).length / 8);
        users.forEach((u, k) => {
          expect(value(u, 'precision')).toBe(precision[k]);
          expect(num(value(u, 'recall'))).toBeCloseTo(recall[k]!, 12);
        });
        const p0 = precision.map((p) => p ?? 0);
        expect(num(value('macro', 'precision'))).toBeCloseTo(p0.reduce((a, b) => a + b) / 3, 12);
        expect(num(value('macro', 'recall'))).toBeCloseTo(recall.reduce((a, b) => a + b) / 3, 12);
        const band = (metric: string) => spread.find((s) => s['system'] === system && s['quality'] === quality && s['metric'] === metric)!;
        expect(band('precision')).toMatchObject({ band: 'iqr', users: 3 });
        expect(num(band('precision')['low'])).toBeCloseTo(handQuantile(p0, 0.25), 12);
        expect(num(band('precision')['high'])).toBeCloseTo(handQuantile(p0, 0.75), 12);
        expect(num(band('recall')['low'])).toBeCloseTo(handQuantile(recall, 0.25), 12);
        expect(num(band('recall')['high'])).toBeCloseTo(handQuantile(recall, 0.75), 12);
      }
    }
    // Lower quality, larger pixel error of the re-encoded test images.
    const err = (q: number) => num(compression.find((c) => c['quality'] === q)!['meanAbsError']);
    expect(err(90)).toBeGreaterThan(0);
    expect(err(40)).toBeGreaterThan(err(90));
    expect(err(5)).toBeGreaterThan(err(40));
    // The compressed-training system trained its own models.
    expect(training.map((t) => t['system'])).toEqual(['privedge', 'privedge', 'privedge', 'privedge-train-q20', 'privedge-train-q20', 'privedge-train-q20']);
    const manifest = JSON.parse(await readFile(join(outcome!.dir, 'run.json'), 'utf8'));
    expect(manifest.facts.modelsTrainedOnCompressed.dir).not.toBe(manifest.facts.models.dir);
    expect(manifest.facts.modelsTrainedOnCompressed.trained).toBe(3);

    // The chart is built from the CSV files alone: a line per system (macro) and a band per system.
    const written = JSON.parse(await readFile(join(outcome!.dir, 'jpeg.vl.json'), 'utf8'));
    expect(written).toEqual(JSON.parse(JSON.stringify(jpeg.charts[0]!.build({ 'metrics.csv': metrics, 'spread.csv': spread }))));
    expect(written.data.values.filter((v: { part: string }) => v.part === 'macro')).toHaveLength(3 * 3 * 2);
    expect(written.data.values.filter((v: { part: string }) => v.part === 'band')).toHaveLength(3 * 3 * 2);
    expect(manifest.files).toContain('jpeg.svg');
  });

  it('refuses a config whose dataset already re-encodes the test split', async () => {
    const loaded = parseConfigText(yaml('  transforms: { jpeg: { quality: 50, splits: [test] } }', '    qualities: [50]'), 'jpeg-bad.yaml', { experiments });
    const run = runConfig(loaded, { registry, outDir: tmp.dir });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/dataset\.transforms\.jpeg\.splits: the jpeg experiment re-encodes the test images itself/);
  });
});
