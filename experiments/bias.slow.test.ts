import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { parseCsvText, type Cell } from '../src/report/csv.js';
import type { Experiment } from '../src/runner/experiment.js';
import { runConfig, type ExperimentOutcome } from '../src/runner/run-config.js';
import { experimentsOnly, sharedDatasets, tempDir } from '../src/testing/fixtures.js';
import { bias } from './bias.js';

const { experiments, registry } = experimentsOnly(bias as unknown as Experiment);
const manifest = (): string => join(sharedDatasets(), 'russian-letters/data/letters.csv');

/** 50 real letters per user from data/ (backgrounds 0 and 1 only), tiny reconstructors. */
function yaml(users: number, options: string): string {
  return `
seed: 5
backend: wasm
dataset:
  name: letters
  source: { type: csv, manifests: '${manifest()}', attributeColumns: [background] }
  users: { maxUsers: ${users} }
  cache: { enabled: false }
training: { gf: 2, df: 2, iterations: 5000, batchSize: 8, learningRate: 0.002, validateEvery: 10, checkpointBelow: null, workers: 1 }
output: { charts: [svg] }
experiments:
  - id: bias
${options}`;
}

type Rows = Record<string, Cell>[];
const s = (c: Cell | undefined): string => String(c);

/** Macro precision (undefined counts as 0), macro recall and accuracy, by hand from prediction rows. */
function byHand(rows: Rows, users: readonly string[]): { precision: Map<string, number>; recall: Map<string, number>; macroPrecision: number; macroRecall: number; accuracy: number } {
  const precision = new Map<string, number>();
  const recall = new Map<string, number>();
  for (const u of users) {
    const predictedU = rows.filter((r) => s(r['predicted']) === u);
    const trueU = rows.filter((r) => s(r['user']) === u);
    precision.set(u, predictedU.length === 0 ? 0 : predictedU.filter((r) => s(r['user']) === u).length / predictedU.length);
    recall.set(u, trueU.filter((r) => s(r['predicted']) === u).length / trueU.length);
  }
  const mean = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0) / m.size;
  return { precision, recall, macroPrecision: mean(precision), macroRecall: mean(recall), accuracy: rows.filter((r) => s(r['user']) === s(r['predicted'])).length / rows.length };
}

describe('bias experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let outcome: ExperimentOutcome;
  const read = async (f: string): Promise<Rows> => parseCsvText(await readFile(join(outcome.dir, f), 'utf8'));
  const users = ['1', '2', '3', '4'];

  beforeAll(async () => {
    tmp = await tempDir();
    const options = `    iterations: 20
    attributeBias: { splits: [{ train: [0], test: [1] }, { train: [1], test: [0] }] }
    sampleBias: { fraction: 0.5, percents: [25, 100] }
    baselines: [{ kind: vgg, blocks: [4], dense: 8, epochs: 1, batchSize: 16 }]
`;
    const started = performance.now();
    [outcome] = (await runConfig(parseConfigText(yaml(4, options), 'bias.yaml', { experiments }), { registry, outDir: tmp.dir })) as [ExperimentOutcome];
    console.log(`bias run: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });
  afterAll(async () => tmp.cleanup());

  it('attribute bias: metrics per condition and test-image group match the predictions; real background values; same test images', async () => {
    expect(outcome.status).toBe('completed');
    const metrics = await read('bias_attribute_metrics.csv');
    const predictions = await read('bias_attribute_predictions.csv');
    const training = await read('bias_attribute_training.csv');
    // The attribute is the real background column of the manifest.
    const lines = (await readFile(manifest(), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
    const background = new Map(lines.map((c) => [c[2]!, Number(c[3])]));
    for (const p of predictions) expect(p['attributeValue']).toBe(background.get(basename(s(p['image']))));

    const conditions = ['train all', 'train background=0', 'train background=1'];
    expect([...new Set(metrics.map((m) => m['condition']))]).toEqual(conditions);
    expect([...new Set(metrics.map((m) => m['group']))]).toEqual(['background=1', 'background=0']);
    expect([...new Set(metrics.map((m) => m['system']))]).toEqual(['privedge', 'vgg']);
    // Every condition and system is scored on the same test images.
    const imagesOf = (c: string, sys: string): string[] => predictions.filter((p) => p['condition'] === c && p['system'] === sys).map((p) => s(p['image']));
    for (const c of conditions) for (const sys of ['privedge', 'vgg']) expect(imagesOf(c, sys)).toEqual(imagesOf('train all', 'privedge'));
    expect(imagesOf('train all', 'privedge')).toHaveLength(40);

    for (const m of metrics) {
      const value = Number(s(m['group']).split('=')[1]);
      const rows = predictions.filter((p) => p['condition'] === m['condition'] && p['system'] === m['system'] && p['attributeValue'] === value);
      const hand = byHand(rows, users);
      const expected = { precision: hand.macroPrecision, recall: hand.macroRecall, accuracy: hand.accuracy, images: rows.length }[s(m['metric'])];
      if (expected !== undefined) expect(m['value'], `${s(m['condition'])} ${s(m['system'])} ${s(m['group'])} ${s(m['metric'])}`).toBeCloseTo(expected, 12);
      const trained = s(m['condition']).split('=')[1];
      expect(m['relation']).toBe(trained === undefined ? 'unbiased' : Number(trained) === value ? 'seen' : 'unseen');
    }
    // Biased training keeps exactly the user's training images with the chosen background.
    expect(training.every((r) => r['iterations'] === 20)).toBe(true);
    for (const u of users) {
      const images = (c: string): number => {
        const r = training.find((t) => t['condition'] === c && s(t['user']) === u)!;
        return (r['trainImages'] as number) + (r['validationImages'] as number);
      };
      expect(images('train background=0') + images('train background=1')).toBe(images('train all'));
      expect(images('train background=0')).toBeGreaterThan(0);
    }
  });

  it('sample-size bias: half the users keep 25 % of their images; group precision and recall match the predictions', async () => {
    const metrics = await read('bias_sample_metrics.csv');
    const perUser = await read('bias_sample_users.csv');
    const predictions = await read('bias_sample_predictions.csv');
    const training = await read('bias_sample_training.csv');
    const reduced = [...new Set(training.filter((r) => r['group'] === 'reduced').map((r) => s(r['user'])))];
    expect(reduced).toHaveLength(2);
    for (const u of users) {
      const images = (c: string): number => {
        const r = training.find((t) => t['condition'] === c && s(t['user']) === u)!;
        expect(r['group']).toBe(reduced.includes(u) ? 'reduced' : 'full');
        return (r['trainImages'] as number) + (r['validationImages'] as number);
      };
      expect(images('25%')).toBe(reduced.includes(u) ? Math.max(1, Math.round(0.25 * images('100%'))) : images('100%'));
      // A full-data user's 25 % model is the unbiased one, copied rather than retrained.
      const row = (c: string) => training.find((t) => t['condition'] === c && s(t['user']) === u)!;
      expect(row('25%')['reused']).toBe(!reduced.includes(u));
      if (!reduced.includes(u)) expect(row('25%')['bestValMse']).toBe(row('100%')['bestValMse']);
    }
    for (const condition of ['25%', '100%']) {
      for (const system of ['privedge', 'vgg']) {
        const rows = predictions.filter((p) => p['condition'] === condition && p['system'] === system);
        expect(rows).toHaveLength(40);
        const hand = byHand(rows, users);
        const get = (group: string, metric: string): Cell | undefined => metrics.find((m) => m['condition'] === condition && m['system'] === system && m['group'] === group && m['metric'] === metric)!['value'];
        const mean = (m: Map<string, number>, us: string[]): number => us.reduce((a, u) => a + m.get(u)!, 0) / us.length;
        const full = users.filter((u) => !reduced.includes(u));
        expect(get('reduced', 'precision')).toBeCloseTo(mean(hand.precision, reduced), 12);
        expect(get('reduced', 'recall')).toBeCloseTo(mean(hand.recall, reduced), 12);
        expect(get('full', 'precision')).toBeCloseTo(mean(hand.precision, full), 12);
        expect(get('full', 'recall')).toBeCloseTo(mean(hand.recall, full), 12);
        expect(get('all', 'precision')).toBeCloseTo(hand.macroPrecision, 12);
        expect(get('all', 'recall')).toBeCloseTo(hand.macroRecall, 12);
        expect(get('all', 'accuracy')).toBeCloseTo(hand.accuracy, 12);
        for (const u of users) {
          const r = perUser.find((p) => p['condition'] === condition && p['system'] === system && s(p['user']) === u && p['metric'] === 'recall')!;
          expect(r['value']).toBeCloseTo(hand.recall.get(u)!, 12);
          expect(r['group']).toBe(reduced.includes(u) ? 'reduced' : 'full');
        }
      }
    }
    // The 100 % condition is the unbiased one: the attribute part's `train all` predictions.
    const attribute = await read('bias_attribute_predictions.csv');
    const unbiased = attribute.filter((p) => p['condition'] === 'train all' && p['system'] === 'privedge').map((p) => s(p['predicted']));
    expect(predictions.filter((p) => p['condition'] === '100%' && p['system'] === 'privedge').map((p) => s(p['predicted']))).toEqual(unbiased);
    const run = JSON.parse(await readFile(join(outcome.dir, 'run.json'), 'utf8'));
    expect(run.files).toEqual(expect.arrayContaining(['bias_attribute.svg', 'bias_sample.svg', 'bias_attribute.vl.json']));
    expect(run.facts.bias.sample.reducedUsers.sort()).toEqual([...reduced].sort());
  });

  it('a missing attribute, an empty condition or no full-data group is a ConfigError naming the option, before any training', async () => {
    const cases: [number, string, string][] = [
      [2, '    attributeBias: { attribute: colour }\n    sampleBias: { enabled: false }\n', 'experiments.bias.attributeBias.attribute'],
      [2, '    attributeBias: { splits: [{ train: [0], test: [7] }] }\n    sampleBias: { enabled: false }\n', 'experiments.bias.attributeBias.splits[0].test'],
      [2, '    attributeBias: { enabled: false }\n    sampleBias: { fraction: 0.9 }\n', 'experiments.bias.sampleBias.fraction'],
      [2, '    attributeBias: { enabled: false }\n    sampleBias: { enabled: false }\n', 'experiments.bias'],
    ];
    for (const [n, options, key] of cases) {
      const run = runConfig(parseConfigText(yaml(n, options), 'bias-error.yaml', { experiments }), { registry, outDir: tmp.dir });
      await expect(run).rejects.toBeInstanceOf(ConfigError);
      await expect(run).rejects.toMatchObject({ keyPath: key });
    }
  });
});
