import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.js';
import { parseCsvText } from '../src/report/csv.js';
import { runConfig } from '../src/runner/run-config.js';
import { projectRoot, tempDir, tinyIdentificationYaml } from '../src/testing/fixtures.js';
import { experimentRegistry, experiments } from './index.js';

const yaml = tinyIdentificationYaml(4);

describe('identification experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('writes the dissimilarity matrix, predictions that are its row-wise argmin, and metrics that match them', async () => {
    const loaded = parseConfigText(yaml, 'ident.yaml', { experiments });
    const [outcome] = await runConfig(loaded, { registry: experimentRegistry, outDir: tmp.dir });
    expect(outcome!.status).toBe('completed');
    const read = async (f: string) => parseCsvText(await readFile(join(outcome!.dir, f), 'utf8'));
    const dissimilarity = await read('dissimilarity.csv');
    const predictions = await read('predictions.csv');
    // 3 users x 8 test images each; one row per (image, user).
    expect(predictions).toHaveLength(24);
    expect(dissimilarity).toHaveLength(72);
    for (const p of predictions) {
      const rows = dissimilarity.filter((d) => d['image'] === p['image']);
      const best = rows.reduce((a, b) => ((b['mse'] as number) < (a['mse'] as number) ? b : a));
      expect(String(p['predicted'])).toBe(String(best['user']));
      expect(p['minMse']).toBe(best['mse']);
    }
    // Macro precision and recall recomputed by hand from predictions.csv.
    const users = ['0', '1', '4'];
    const precision = users.map((u) => {
      const predictedU = predictions.filter((p) => String(p['predicted']) === u);
      return predictedU.length === 0 ? 0 : predictedU.filter((p) => String(p['trueUser']) === u).length / predictedU.length;
    });
    const recall = users.map((u) => predictions.filter((p) => String(p['trueUser']) === u && String(p['predicted']) === u).length / 8);
    const metrics = await read('metrics.csv');
    const macro = (metric: string) => metrics.find((m) => m['system'] === 'privedge' && m['label'] === 'macro' && m['metric'] === metric)!['value'] as number;
    expect(macro('precision')).toBeCloseTo(precision.reduce((a, b) => a + b) / 3, 12);
    expect(macro('recall')).toBeCloseTo(recall.reduce((a, b) => a + b) / 3, 12);
    expect(metrics.some((m) => m['system'] === 'vgg')).toBe(true);
    // The baseline's predictions: same images in the same order; its macro recall recomputed from them.
    const vgg = (await read('baseline_predictions.csv')).filter((r) => r['system'] === 'vgg');
    expect(vgg.map((r) => r['image'])).toEqual(predictions.map((p) => p['image']));
    const vggRecall = users.map((u) => vgg.filter((p) => String(p['trueUser']) === u && String(p['predicted']) === u).length / 8);
    const vggMacro = metrics.find((m) => m['system'] === 'vgg' && m['label'] === 'macro' && m['metric'] === 'recall')!['value'] as number;
    expect(vggMacro).toBeCloseTo(vggRecall.reduce((a, b) => a + b) / 3, 12);
    // Bootstrap intervals: one per system and metric, around the full-set value, the same as the
    // script that computes them for older run folders (same function, same seed stream).
    const intervals = await read('metrics_intervals.csv');
    expect(intervals.map((r) => `${r['system']}:${r['metric']}`)).toEqual(['privedge:precision', 'privedge:recall', 'vgg:precision', 'vgg:recall']);
    for (const r of intervals) {
      expect(r['value']).toBeCloseTo(metrics.find((m) => m['system'] === r['system'] && m['label'] === 'macro' && m['metric'] === r['metric'])!['value'] as number, 12);
      expect(r['lower'] as number).toBeLessThanOrEqual(r['value'] as number);
      expect(r['upper'] as number).toBeGreaterThanOrEqual(r['value'] as number);
      expect(r).toMatchObject({ level: 0.95, resamples: 1000 });
    }
    const script = execFileSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts/prediction-intervals.ts'), outcome!.dir], { cwd: projectRoot, encoding: 'utf8' });
    expect(parseCsvText(script).filter((r) => r['system'] === 'privedge')).toEqual(intervals.filter((r) => r['system'] === 'privedge'));
    // Reconstruction contrast: each user's mean own-image MSE is the mean of its own column of the
    // dissimilarity matrix (computed by another path), and `correct` counts its right predictions.
    const contrast = await read('reconstruction_contrast.csv');
    expect(contrast.map((r) => String(r['user']))).toEqual(users);
    for (const r of contrast) {
      const own = dissimilarity.filter((d) => String(d['user']) === String(r['user']) && String(d['trueUser']) === String(r['user']));
      expect(r['testImages']).toBe(8);
      expect(r['mse'] as number).toBeCloseTo(own.reduce((a, d) => a + (d['mse'] as number), 0) / own.length, 5);
      expect(r['correct']).toBe(predictions.filter((p) => String(p['trueUser']) === String(r['user']) && String(p['predicted']) === String(r['user'])).length);
      expect(r['mseToFlat'] as number).toBeCloseTo((r['mse'] as number) / (r['flatMse'] as number), 10);
      expect(r['flatMse'] as number).toBeGreaterThan(0);
    }
    const manifest = JSON.parse(await readFile(join(outcome!.dir, 'run.json'), 'utf8'));
    expect(manifest.backend.name).toBe('wasm');
    expect(manifest.files).toEqual(expect.arrayContaining(['identification.svg', 'confusion_privedge.png', 'training_users.csv', 'reconstruction_contrast.svg', 'reconstructions.png']));
    expect(manifest.facts.reconstructionContrast.users).toBe(3);
    // One row per user (3 of the default 12), three 32 x 32 cells per row at scale 2 with 2-pixel gaps.
    const png = await sharp(await readFile(join(outcome!.dir, 'reconstructions.png'))).metadata();
    expect([png.width, png.height]).toEqual([3 * 64 + 4 * 2, 3 * 64 + 4 * 2]);
  });

  it('mode: private predicts K spread test images by 2PC and scores them as privedge-2pc', async () => {
    const privateYaml = tinyIdentificationYaml(2).replace('  - id: identification\n', '  - id: identification\n    mode: private\n    private: { queries: 4 }\n');
    const loaded = parseConfigText(privateYaml, 'ident-private.yaml', { experiments });
    const [outcome] = await runConfig(loaded, { registry: experimentRegistry, outDir: tmp.dir });
    expect(outcome!.status).toBe('completed');
    const read = async (f: string) => parseCsvText(await readFile(join(outcome!.dir, f), 'utf8'));
    const priv = await read('private_predictions.csv');
    const predictions = await read('predictions.csv');
    expect(priv).toHaveLength(4);
    // Spread over the 24 test images: indices 0, 6, 12, 18.
    expect(priv.map((r) => r['image'])).toEqual([0, 6, 12, 18].map((q) => predictions[q]!['image']));
    priv.forEach((r, i) => {
      expect(r['plaintextPredicted']).toBe(predictions[[0, 6, 12, 18][i]!]!['predicted']);
      expect(r['agree']).toBe(String(r['plaintextPredicted']) === String(r['privatePredicted']));
      expect(r['maxDissimilarityError']).toBeLessThan(1e-4);
    });
    // privedge-2pc's accuracy is recomputed by hand from private_predictions.csv.
    const metrics = await read('metrics.csv');
    const accuracy = metrics.find((m) => m['system'] === 'privedge-2pc' && m['label'] === 'overall' && m['metric'] === 'accuracy');
    expect(accuracy?.['value']).toBeCloseTo(priv.filter((r) => String(r['trueUser']) === String(r['privatePredicted'])).length / 4, 12);
    const manifest = JSON.parse(await readFile(join(outcome!.dir, 'run.json'), 'utf8'));
    expect(manifest.facts.privatePrediction.queries).toBe(4);
    expect(manifest.facts.privatePrediction.agreeWithPlaintext).toBe(priv.filter((r) => r['agree'] === true).length);
  });
});
