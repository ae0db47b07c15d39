import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.js';
import { prepareDataset } from '../src/datasets/prepare.js';
import { toFloatImages } from '../src/datasets/tensors.js';
import { ConfigError } from '../src/errors.js';
import { loadModel } from '../src/models/io.js';
import { readUserSummary, userModelDir } from '../src/models/rec-adv/artifacts.js';
import { milestoneModelsDir } from '../src/models/rec-adv/milestones.js';
import { trainUser } from '../src/models/rec-adv/train-user.js';
import { parseCsvText } from '../src/report/csv.js';
import { runConfig } from '../src/runner/run-config.js';
import { tempDir, tinyExperimentYaml } from '../src/testing/fixtures.js';
import { Rng } from '../src/util/rng.js';
import { experimentRegistry, experiments } from './index.js';

// 4 iterations, validated every 3: milestone 2 needs an extra validation, 4 is the run's last.
const training = 'training: { gf: 2, df: 2, iterations: 4, batchSize: 8, learningRate: 0.002, validateEvery: 3, checkpointBelow: null, workers: 1 }';
const vgg = '{ kind: vgg, blocks: [4], dense: 8, epochs: 2, batchSize: 16 }';
// The decoded digits are cached in the test's folder: each of the six configs below loads the dataset.
let cacheDir = '';
const yaml = (id: string, entry: string): string =>
  tinyExperimentYaml({ id, entry }).replace(/^training: .*$/m, training).replace('cache: { enabled: false }', `cache: { enabled: true, dir: '${cacheDir}' }`);
const budgetYaml = (entry = '    milestones: [2, 4]\n    widths: [2, 3]\n    testImages: 12'): string => yaml('budget', `${entry}\n    baselines: [${vgg}]`);

type Rows = Record<string, unknown>[];
const readCsv = async (dir: string, file: string): Promise<Rows> => parseCsvText(await readFile(join(dir, file), 'utf8'));
const readRun = async (dir: string): Promise<{ facts: Record<string, any> }> => JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));

async function runBudget(out: string, text = budgetYaml()) {
  const [outcome] = await runConfig(parseConfigText(text, 'budget.yaml', { experiments }), { registry: experimentRegistry, outDir: out });
  expect(outcome!.status).toBe('completed');
  return { dir: outcome!.dir, run: await readRun(outcome!.dir) };
}

describe('budget experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let first: Awaited<ReturnType<typeof runBudget>>;
  beforeAll(async () => {
    tmp = await tempDir();
    cacheDir = join(tmp.dir, 'cache');
    first = await runBudget(join(tmp.dir, 'budget'));
  });
  afterAll(async () => tmp.cleanup());

  it('scores every width at every milestone and the baseline at every epoch, on the same 12 test images', async () => {
    expect(first.run.facts['work']).toEqual({ trainedUsers: 6, reusedUsers: 0, evaluated: 4, reusedEvaluations: 0, baselinesTrained: 1, baselinesReused: 0 });
    const rows = await readCsv(first.dir, 'budget.csv');
    expect(rows.map((r) => [r['series'], r['iteration'], r['epoch']])).toEqual([
      ['privedge gf 2', 2, null], ['privedge gf 2', 4, null], ['privedge gf 3', 2, null], ['privedge gf 3', 4, null], ['vgg', null, 1], ['vgg', null, 2],
    ]);
    expect(rows.every((r) => r['test_images'] === 12 && r['users'] === 3)).toBe(true);
    expect(rows.find((r) => r['series'] === 'privedge gf 3')!['df']).toBe(3);
    // The rate run.json extrapolates from: the last milestone's seconds over 3 users x 4 iterations.
    expect(first.run.facts['extrapolation_gf2'].secondsPerIterationPerUser).toBeCloseTo((rows[1]!['train_seconds'] as number) / 12, 3);
    // Training seconds grow along each line.
    for (const s of ['privedge gf 2', 'privedge gf 3', 'vgg']) {
      const t = rows.filter((r) => r['series'] === s).map((r) => r['train_seconds'] as number);
      expect(t[1]!).toBeGreaterThan(t[0]!);
    }
    const predictions = await readCsv(first.dir, 'budget_predictions.csv');
    const images = (series: string, iteration: number | null, epoch: number | null): string[] => predictions.filter((p) => p['series'] === series && p['iteration'] === iteration && p['epoch'] === epoch).map((p) => String(p['image']));
    expect(images('privedge gf 2', 2, null)).toHaveLength(12);
    expect(images('vgg', null, 2)).toEqual(images('privedge gf 2', 2, null));
    // 4 test images per user (round-robin cap).
    const perUser = predictions.filter((p) => p['series'] === 'vgg' && p['epoch'] === 1).map((p) => String(p['trueUser']));
    expect(['0', '1', '4'].map((u) => perUser.filter((x) => x === u).length)).toEqual([4, 4, 4]);
    // Recall recomputed by hand from the predictions.
    const at4 = predictions.filter((p) => p['series'] === 'privedge gf 2' && p['iteration'] === 4);
    const recall = ['0', '1', '4'].map((u) => at4.filter((p) => String(p['trueUser']) === u && String(p['predicted']) === u).length / 4);
    expect(rows[1]!['recall']).toBeCloseTo(recall.reduce((a, b) => a + b) / 3, 12);
    expect(rows[1]!['recall_min']).toBe(Math.min(...recall));
    const manifest = JSON.parse(await readFile(join(first.dir, 'run.json'), 'utf8'));
    expect(manifest.files).toEqual(expect.arrayContaining(['budget_iterations.svg', 'budget_seconds.svg', 'budget_users.csv']));
    expect(await readFile(join(first.dir, 'budget_iterations.vl.json'), 'utf8')).toContain('"x": 30000');
  });

  it('milestone 4 is the normally trained model: identification, trained independently, has the same weights and predictions', async () => {
    const [ident] = await runConfig(parseConfigText(yaml('identification', `    baselines: []`), 'ident.yaml', { experiments }), { registry: experimentRegistry, outDir: join(tmp.dir, 'ident') });
    expect(ident!.status).toBe('completed');
    const identModels = (await readRun(ident!.dir)).facts['models'].dir as string;
    const budgetModels = first.run.facts['models_gf2'].dir as string;
    expect(identModels).not.toBe(budgetModels);
    for (const u of ['0', '1', '4']) {
      const normal = (await readUserSummary(identModels, u))!.weightsSha256;
      expect((await readUserSummary(milestoneModelsDir(budgetModels, 4), u))!.weightsSha256).toBe(normal);
      expect((await readUserSummary(budgetModels, u))!.weightsSha256).toBe(normal);
    }
    const identPredictions = new Map((await readCsv(ident!.dir, 'predictions.csv')).map((p) => [String(p['image']), String(p['predicted'])]));
    const at4 = (await readCsv(first.dir, 'budget_predictions.csv')).filter((p) => p['series'] === 'privedge gf 2' && p['iteration'] === 4);
    expect(at4).toHaveLength(12);
    for (const p of at4) expect(String(p['predicted'])).toBe(identPredictions.get(String(p['image'])));
    // In the budget's results folder, identification copies the budget's final models (same training key) instead of training.
    const [copying] = await runConfig(parseConfigText(yaml('identification', `    baselines: []`), 'ident.yaml', { experiments }), { registry: experimentRegistry, outDir: join(tmp.dir, 'budget') });
    const models = (await readRun(copying!.dir)).facts['models'];
    expect([models.trained, models.reused]).toEqual([0, 3]);
    for (const u of ['0', '1', '4']) expect((await readUserSummary(models.dir, u))!.weightsSha256).toBe((await readUserSummary(budgetModels, u))!.weightsSha256);
  });

  it('milestone 2 holds what trainUser keeps after 2 iterations', async () => {
    const { config } = parseConfigText(budgetYaml(), 'budget.yaml', { experiments });
    const data = await prepareDataset(config.dataset, Rng.fromSeed(config.seed).child('data'));
    const split = data.partition.users.find((u) => u.user === '1')!;
    const t = config.training;
    const trained = await trainUser(
      toFloatImages(data.images, split.train).data,
      toFloatImages(data.images, split.validation).data,
      { shape: { height: 32, width: 32, channels: 3, gf: 2, df: 2 }, iterations: 2, batchSize: t.batchSize, learningRate: t.learningRate, beta1: t.beta1, reconstructionWeight: t.reconstructionWeight, adversarialWeight: t.adversarialWeight, validateEvery: t.validateEvery, checkpointBelow: t.checkpointBelow },
      Rng.fromSeed(config.seed).child('train').child('user:1'),
    );
    const saved = await loadModel(userModelDir(milestoneModelsDir(first.run.facts['models_gf2'].dir, 2), '1'));
    expect(saved.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(trained.reconstructor.getWeights().map((w) => Array.from(w.dataSync())));
    trained.reconstructor.dispose();
    saved.dispose();
  });

  it('a re-run trains and evaluates nothing; a lost milestone model retrains only its user, byte-identically', async () => {
    const again = await runBudget(join(tmp.dir, 'budget'));
    expect(again.run.facts['work']).toEqual({ trainedUsers: 0, reusedUsers: 6, evaluated: 0, reusedEvaluations: 4, baselinesTrained: 0, baselinesReused: 1 });
    expect(await readFile(join(again.dir, 'budget.csv'), 'utf8')).toBe(await readFile(join(first.dir, 'budget.csv'), 'utf8'));
    await rm(userModelDir(milestoneModelsDir(first.run.facts['models_gf2'].dir, 2), '1'), { recursive: true });
    const third = await runBudget(join(tmp.dir, 'budget'));
    // Same weights again, so the stored evaluations (keyed by weight checksums) still apply.
    expect(third.run.facts['work']).toEqual({ trainedUsers: 1, reusedUsers: 5, evaluated: 0, reusedEvaluations: 4, baselinesTrained: 0, baselinesReused: 1 });
  });

  it('a config with a subset of the widths (as configs/cpu/*.yaml against *-widths.yaml) reuses that width entirely', async () => {
    const narrow = await runBudget(join(tmp.dir, 'budget'), budgetYaml('    milestones: [2, 4]\n    widths: [2]\n    testImages: 12'));
    expect(narrow.run.facts['work']).toEqual({ trainedUsers: 0, reusedUsers: 3, evaluated: 0, reusedEvaluations: 2, baselinesTrained: 0, baselinesReused: 1 });
    const rows = (await readCsv(first.dir, 'budget.csv')).filter((r) => r['series'] !== 'privedge gf 3');
    expect(await readCsv(narrow.dir, 'budget.csv')).toEqual(rows);
  });

  it('bad config is refused with the key named, before any training', async () => {
    const parse = (entry: string) => () => parseConfigText(budgetYaml(entry), 'bad.yaml', { experiments });
    expect(parse('    milestones: [4, 2]')).toThrow(/milestones.*strictly increasing: 4 then 2/);
    expect(parse('    widths: [0, 2]')).toThrow(/widths/);
    const out = join(tmp.dir, 'bad');
    const run = runConfig(parseConfigText(budgetYaml('    milestones: [2, 5]'), 'bad.yaml', { experiments }), { registry: experimentRegistry, outDir: out });
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(runConfig(parseConfigText(budgetYaml('    milestones: [2, 5]'), 'bad.yaml', { experiments }), { registry: experimentRegistry, outDir: out })).rejects.toThrow(/experiments\.budget\.milestones: milestone 5 is above the 4 training iterations/);
    await expect(readFile(join(out, 'models'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
