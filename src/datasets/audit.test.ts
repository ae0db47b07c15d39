import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';
import { writeCedarPages } from '../testing/cedar-pages.js';
import { datasetConfig, sharedDatasets, tempDir } from '../testing/fixtures.js';
import { Rng } from '../util/rng.js';
import { leakageReport, sizeReport, splitAssignments } from './audit.js';
import { inspectionReport } from './inspect.js';
import { prepareDataset } from './prepare.js';

const rng = Rng.fromSeed(42).child('data');
const quiet = { stdout: { write: () => true }, stderr: { write: () => true } } as unknown as Parameters<typeof runCli>[1];

function capture(): { io: Parameters<typeof runCli>[1]; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } }, out: () => out, err: () => err };
}

describe('leakage: byte-identical files and cross-split duplicates', () => {
  it('CEDAR with its own split (TrainingSet = train, ValidationSet = test): the 6 files in both folders are 6 cross-split duplicates', async () => {
    const root = join(sharedDatasets(), 'cedar-and');
    const writers = ['0034', '0833', '0883'];
    const config = datasetConfig({
      source: { type: 'filename', root, pattern: '^(?<set>TrainingSet|ValidationSet)/(?<label>\\d{4})[a-z]+_num\\d+\\.png$', matchOn: 'path' },
      users: { classes: writers },
      split: { by: 'attribute', attribute: 'set', train: ['TrainingSet'], test: ['ValidationSet'] },
      image: { width: 16, height: 16 },
    });
    const data = await prepareDataset(config, rng);
    // Independently: hash every file of these writers in both folders.
    const byHash = new Map<string, string[]>();
    for (const set of ['TrainingSet', 'ValidationSet']) {
      for (const name of (await readdir(join(root, set))).filter((n) => writers.includes(n.slice(0, 4)))) {
        const h = createHash('sha256').update(await readFile(join(root, set, name))).digest('hex');
        byHash.set(h, [...(byHash.get(h) ?? []), `${set}/${name}`]);
      }
    }
    const expected = [...byHash.values()].filter((m) => m.length > 1).map((m) => m.sort());
    expect(expected).toHaveLength(6);
    const report = await leakageReport(data);
    expect(report.files!.sets.map((s) => s.members)).toEqual(expected.sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    expect(report.files!.crossSplit).toBe(6);
    for (const s of report.files!.sets) expect(s.splits.includes('test') && s.splits.some((x) => x === 'train' || x === 'validation')).toBe(true);
    const text = await inspectionReport(data, false);
    expect(text).toContain('duplicates     6 set(s) of identical files (12 files), 6 across training and test');
    expect(text).toContain('TrainingSet/0034c_num1.png = ValidationSet/0034c_num1.png');
    // splits.csv rows: the ValidationSet twin is test, the TrainingSet twin is training.
    const rows = splitAssignments(data);
    expect(rows.find((r) => r.image === 'ValidationSet/0034c_num1.png')!.split).toBe('test');
    expect(['train', 'validation']).toContain(rows.find((r) => r.image === 'TrainingSet/0034c_num1.png')!.split);
  });

  it('ORL faces: original sizes, resampled and stretched counts by fit, kept through the cache', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const root = join(sharedDatasets(), 'orl-faces');
      const base = { source: { type: 'folder', root }, users: { maxUsers: 3 }, cache: { enabled: true, dir } };
      const fill = await prepareDataset(datasetConfig({ ...base, image: { width: 32, height: 32, fit: 'fill' } }), rng);
      expect(sizeReport(fill)).toEqual({ sizes: [{ width: 92, height: 112, images: 30 }], resized: 30, stretched: 30, used: 30 });
      const cover = await prepareDataset(datasetConfig({ ...base, image: { width: 32, height: 32, fit: 'cover' } }), rng);
      expect(sizeReport(cover)!.stretched).toBe(0);
      const half = datasetConfig({ ...base, image: { width: 46, height: 56, fit: 'fill' } });
      await prepareDataset(half, rng);
      const again = await prepareDataset(half, rng);
      expect(again.load.cache).toBe('hit');
      expect(sizeReport(again)).toEqual({ sizes: [{ width: 92, height: 112, images: 30 }], resized: 30, stretched: 0, used: 30 });
      expect(await inspectionReport(fill, false)).toContain('resampled      30 of 30 images to 32 x 32 (fit: fill), 30 stretched');
    } finally {
      await cleanup();
    }
  });
});

describe('splits.csv from datasets inspect and from runs', () => {
  it('inspect --splits and a run of the config write the same per-image assignment; a page-level config reports patches, groups and zero cross-split duplicates', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeCedarPages(join(dir, 'pages'), 3, 4);
      const config = join(dir, 'pages.yaml');
      await writeFile(
        config,
        `seed: 5
dataset:
  source: { type: filename, root: ${join(dir, 'pages')}, pattern: '^w(?<label>\\d{4})/page(?<page>\\d+)\\.png$', matchOn: path }
  image: { width: 64, height: 64 }
  transforms:
    patches: { width: 64, height: 64, stride: 32, minInk: 0.02, maxPerImage: 6 }
  split: { by: group, groupAttribute: source, testFraction: 0.25, validationFraction: 0.34, minCalibrationImages: 0 }
  cache: { enabled: false }
output: { charts: [svg] }
experiments: [dataset-summary]
`,
      );
      const c = capture();
      expect(await runCli(['datasets', 'inspect', config, '--quiet', '--splits', join(dir, 'splits.csv')], c.io)).toBe(0);
      expect(c.err()).toBe('');
      expect(c.out()).toMatch(/patches {8}\d+ patches of 64 x 64 from 12 source images \(0 gave none\); per source image min \d, median \d(\.5)?, max 6/);
      expect(c.out()).toContain('groups         by source (per user): train 6, validation 3, test 3, non-private 0');
      expect(c.out()).toContain('duplicates     0 set(s) of identical files (0 files), 0 across training and test');
      expect(c.out()).toContain('cross-split    0 source file(s) with images in both training and test');
      const inspected = await readFile(join(dir, 'splits.csv'), 'utf8');
      const lines = inspected.trim().split('\n');
      expect(lines[0]).toBe('image,user,split,group');
      for (const line of lines.slice(1)) {
        const [image, user, , group] = line.split(',');
        expect(image!.startsWith(`${group}#`)).toBe(true);
        expect(group!.startsWith(`w${user}/`)).toBe(true);
      }
      expect(await runCli(['run', config, '--quiet', '--out', join(dir, 'results')], quiet)).toBe(0);
      const [runId] = await readdir(join(dir, 'results/dataset-summary'));
      const runDir = join(dir, 'results/dataset-summary', runId!);
      expect(await readFile(join(runDir, 'splits.csv'), 'utf8')).toBe(inspected);
      expect(JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')).files).toContain('splits.csv');
    } finally {
      await cleanup();
    }
  });
});
