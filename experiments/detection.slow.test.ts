import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { readCsv, type Cell } from '../src/report/csv.js';
import type { Experiment } from '../src/runner/experiment.js';
import { runConfig } from '../src/runner/run-config.js';
import { experimentsOnly, handQuantile, sharedDatasets, tempDir, tinyExperimentYaml } from '../src/testing/fixtures.js';
import { detection } from './detection.js';

const { experiments, registry } = experimentsOnly(detection as unknown as Experiment);
const yaml = (users: string, entry: string): string => tinyExperimentYaml({ id: 'detection', users, entry });

type Table = Record<string, Cell>[];
const num = (v: Cell | undefined): number => v as number;

describe('detection experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('declares defaults for every option', () => {
    expect(detection.defaults).toEqual({ quantile: 0.95, otherImages: 200, evalBatchSize: 64, private: { queries: 6, fixedPointBits: 20 } });
  });

  it('thresholds the smallest dissimilarity: metrics, ROC and 2PC bits match a recomputation from the CSVs', async () => {
    const faces = join(sharedDatasets(), 'orl-faces');
    const entry = `    quantile: 0.9
    private: { queries: 4 }
    otherDataset: { source: { type: folder, root: '${faces}' }, users: { classes: [s1, s2], maxImagesPerUser: 4 }, cache: { enabled: false } }
    otherImages: 5`;
    const loaded = parseConfigText(yaml("{ classes: ['0', '1', '4', '7'], maxImagesPerUser: 40, nonPrivateUsers: ['7'] }", entry), 'detection.yaml', { experiments });
    const [outcome] = await runConfig(loaded, { registry, outDir: tmp.dir });
    expect(outcome!.status).toBe('completed');
    const read = (f: string): Promise<Table> => readCsv(join(outcome!.dir, f));
    const dissimilarity = await read('dissimilarity.csv');
    const scores = await read('scores.csv');
    const metrics = await read('metrics.csv');
    const roc = await read('roc.csv');
    const confusion = await read('confusion.csv');
    const priv = await read('private_detection.csv');
    // 3 users; 9 validation + 24 test images of enrolled users, 40 of held-out user 7, 5 faces.
    expect(scores.filter((s) => s['set'] === 'calibration')).toHaveLength(9);
    const count = (kind: string) => scores.filter((s) => s['set'] === 'query' && s['kind'] === kind).length;
    expect([count('private'), count('held-out-user'), count('other-dataset')]).toEqual([24, 40, 5]);
    expect(dissimilarity).toHaveLength(scores.length * 3);
    expect(scores.filter((s) => s['kind'] === 'other-dataset').every((s) => String(s['image']).startsWith('folder:s'))).toBe(true);

    // Smallest dissimilarity per image, and the threshold, recomputed from dissimilarity.csv.
    const minOf = new Map<string, number>();
    for (const d of dissimilarity) minOf.set(String(d['image']), Math.min(minOf.get(String(d['image'])) ?? Infinity, num(d['mse'])));
    for (const s of scores) expect(s['minMse']).toBe(minOf.get(String(s['image'])));
    const threshold = handQuantile(scores.filter((s) => s['set'] === 'calibration').map((s) => num(s['minMse'])), 0.9);
    const metric = (system: string, negatives: string, name: string) => metrics.find((m) => m['system'] === system && m['negatives'] === negatives && m['metric'] === name)?.['value'];
    expect(num(metric('privedge', 'all', 'threshold'))).toBeCloseTo(threshold, 12);
    for (const s of scores) expect(s['declaredPrivate']).toBe(num(s['minMse']) < threshold);

    // Precision, recall and AUC (as the Mann-Whitney pair count) per group of non-private queries.
    for (const [negatives, kinds] of [['all', ['held-out-user', 'other-dataset']], ['held-out-users', ['held-out-user']], ['other-dataset', ['other-dataset']]] as const) {
      const pos = scores.filter((s) => s['set'] === 'query' && s['kind'] === 'private').map((s) => num(s['minMse']));
      const neg = scores.filter((s) => s['set'] === 'query' && (kinds as readonly string[]).includes(String(s['kind']))).map((s) => num(s['minMse']));
      const tp = pos.filter((v) => v < threshold).length;
      const fp = neg.filter((v) => v < threshold).length;
      expect(metric('privedge', negatives, 'tp')).toBe(tp);
      expect(metric('privedge', negatives, 'fp')).toBe(fp);
      expect(metric('privedge', negatives, 'precision') ?? null).toBe(tp + fp === 0 ? null : tp / (tp + fp));
      expect(num(metric('privedge', negatives, 'recall'))).toBeCloseTo(tp / pos.length, 12);
      let wins = 0;
      for (const p of pos) for (const n of neg) wins += p < n ? 1 : p === n ? 0.5 : 0;
      expect(num(metric('privedge', negatives, 'auc'))).toBeCloseTo(wins / (pos.length * neg.length), 12);
      const curve = roc.filter((r) => r['negatives'] === negatives);
      expect([curve[0]!['fpr'], curve[0]!['tpr'], curve.at(-1)!['fpr'], curve.at(-1)!['tpr']]).toEqual([0, 0, 1, 1]);
      for (let k = 1; k < curve.length; k++) expect(num(curve[k]!['fpr'])).toBeGreaterThanOrEqual(num(curve[k - 1]!['fpr']));
      const cells = confusion.filter((c) => c['system'] === 'privedge' && c['negatives'] === negatives);
      expect(cells.reduce((s, c) => s + num(c['count']), 0)).toBe(pos.length + neg.length);
    }

    // 2PC: 2 private test images and 2 non-private queries; each revealed bit is compared with the plaintext decision.
    expect(priv).toHaveLength(4);
    expect(priv.map((r) => r['kind'])).toEqual(['private', 'private', 'held-out-user', 'held-out-user']);
    for (const r of priv) {
      const s = scores.find((x) => x['image'] === r['image'] && x['set'] === 'query')!;
      expect(r['plaintextPrivate']).toBe(s['declaredPrivate']);
      expect(r['agree']).toBe(r['plaintextPrivate'] === r['privatePrivate']);
      // Fixed-point error is far below 1e-3: a query that far from the threshold must agree.
      if (Math.abs(num(r['marginToThreshold'])) > 1e-3) expect(r['agree']).toBe(true);
    }
    const agree = priv.filter((r) => r['agree'] === true).length;
    expect(metric('privedge-2pc', 'all', 'agreeWithPlaintext')).toBe(agree);
    expect(metric('privedge-2pc', 'all', 'mismatches')).toBe(4 - agree);
    const manifest = JSON.parse(await readFile(join(outcome!.dir, 'run.json'), 'utf8'));
    expect(manifest.facts.privateDetection).toMatchObject({ queries: 4, agreeWithPlaintext: agree, mismatches: 4 - agree });
    expect(manifest.facts.detection.threshold).toBeCloseTo(threshold, 12);

    // Charts are built from the CSV files alone.
    const tables = { 'roc.csv': roc, 'metrics.csv': metrics, 'scores.csv': scores };
    for (const chart of detection.charts) {
      const written = JSON.parse(await readFile(join(outcome!.dir, `${chart.name}.vl.json`), 'utf8'));
      expect(written).toEqual(JSON.parse(JSON.stringify(chart.build(tables))));
      expect(manifest.files).toContain(`${chart.name}.svg`);
    }
    const rocSpec = JSON.parse(await readFile(join(outcome!.dir, 'roc.vl.json'), 'utf8'));
    expect(rocSpec.layer[1].data.values).toHaveLength(roc.length);
  });

  it('fails with a ConfigError naming dataset.users.nonPrivateUsers when no user is held out and no other dataset is given', async () => {
    const loaded = parseConfigText(yaml("{ classes: ['0', '1'], maxImagesPerUser: 10 }", '    private: { queries: 0 }'), 'no-held-out.yaml', { experiments });
    const run = runConfig(loaded, { registry, outDir: tmp.dir });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/dataset\.users\.nonPrivateUsers: the detection experiment needs non-private queries/);
  });

  it('calibrates on a separate held-out share (split.calibrationFraction): exactly the images splits.csv marks calibration', async () => {
    const text = tinyExperimentYaml({ id: 'detection', users: "{ classes: ['0', '1', '7'], maxImagesPerUser: 20, nonPrivateUsers: ['7'] }", entry: '    private: { queries: 0 }' })
      .replace('  cache: { enabled: false }', '  cache: { enabled: false }\n  split: { calibrationFraction: 0.25, minCalibrationImages: 0 }')
      .replace('iterations: 30', 'iterations: 4');
    const [outcome] = await runConfig(parseConfigText(text, 'calibration.yaml', { experiments }), { registry, outDir: join(tmp.dir, 'calibration') });
    expect(outcome!.status).toBe('completed');
    const scores = await readCsv(join(outcome!.dir, 'scores.csv'));
    const splits = await readCsv(join(outcome!.dir, 'splits.csv'));
    const calibration = splits.filter((r) => r['split'] === 'calibration').map((r) => String(r['image'])).sort();
    // 20 images per user: 4 test, 16 training -> round(1.6) = 2 validation, round(16 * 0.25) = 4 calibration, 10 train.
    expect(calibration).toHaveLength(2 * 4);
    expect(splits.filter((r) => r['split'] === 'validation')).toHaveLength(2 * 2);
    expect(scores.filter((s) => s['set'] === 'calibration').map((s) => String(s['image'])).sort()).toEqual(calibration);
  });
});
