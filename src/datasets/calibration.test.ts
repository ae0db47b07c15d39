import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetConfig, sharedDatasets } from '../testing/fixtures.js';
import { Rng } from '../util/rng.js';
import { prepareDataset } from './prepare.js';

const rng = Rng.fromSeed(8).child('data');
const faces = (): string => join(sharedDatasets(), 'orl-faces');

describe('small calibration sets', () => {
  it('warns when the pooled validation images are fewer than split.minCalibrationImages (ORL: 10 faces per person leave 1 per user)', async () => {
    const warnings: string[] = [];
    const reporter = { task: () => ({ tick: () => undefined, done: () => undefined }), info: () => undefined, warn: (m: string) => void warnings.push(m) };
    const data = await prepareDataset(datasetConfig({ source: { type: 'folder', root: faces() }, users: { maxUsers: 4 }, image: { width: 8, height: 8 } }), rng, { reporter: reporter as never });
    const expected = 'only 4 validation image(s) over 4 user(s) (1/1/1/1 per user), fewer than dataset.split.minCalibrationImages (50)';
    expect(data.warnings).toHaveLength(1);
    expect(data.warnings[0]).toContain(expected);
    expect(warnings[0]).toContain(expected);
    const enough = await prepareDataset(datasetConfig({ source: { type: 'folder', root: faces() }, users: { maxUsers: 4 }, image: { width: 8, height: 8 }, split: { minCalibrationImages: 4 } }), rng);
    expect(enough.warnings).toEqual([]);
  });

  it('calibrationFraction carves a separate share from training, disjoint from validation and test', async () => {
    const config = datasetConfig({
      source: { type: 'folder', root: faces() },
      users: { maxUsers: 5 },
      image: { width: 8, height: 8 },
      split: { testFraction: 0.2, validationFraction: 0.1, calibrationFraction: 0.3, minCalibrationImages: 20 },
    });
    const data = await prepareDataset(config, rng);
    for (const u of data.partition.users) {
      // 10 faces: 2 test; 8 training units: round(0.8) = 1 validation, round(8 * 0.3) = 2 calibration, 5 train.
      expect([u.train.length, u.validation.length, u.calibration.length, u.test.length]).toEqual([5, 1, 2, 2]);
      expect(new Set([...u.train, ...u.validation, ...u.calibration, ...u.test]).size).toBe(10);
    }
    expect(data.warnings[0]).toContain('only 10 calibration image(s) over 5 user(s) (2/2/2/2/2 per user), fewer than dataset.split.minCalibrationImages (20)');
  });
});
