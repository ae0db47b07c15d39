import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/util/rng.js';
import { budgetPlan, budgetRow, budgetUserRows, defaultMilestones, milestoneCost, paperBudgetExtrapolation, pickTestImages, type BudgetPoint } from './budget-plan.js';

const training = { iterations: 800, gf: 8, df: 16 };
const none = { milestones: null, iterations: null, widths: null, discriminatorWidths: null };

describe('budget plan', () => {
  it('defaults: the iterations halved four times, the config width, df scaled by df / gf', () => {
    expect(defaultMilestones(800)).toEqual([50, 100, 200, 400, 800]);
    expect(defaultMilestones(3)).toEqual([1, 2, 3]);
    expect(budgetPlan(none, training)).toEqual({ iterations: 800, milestones: [50, 100, 200, 400, 800], widths: [{ gf: 8, df: 16 }] });
    expect(budgetPlan({ ...none, milestones: [100, 800], widths: [4, 8, 16], iterations: 800 }, { iterations: 100, gf: 32, df: 64 }).widths).toEqual([{ gf: 4, df: 8 }, { gf: 8, df: 16 }, { gf: 16, df: 32 }]);
    expect(budgetPlan({ ...none, widths: [3], discriminatorWidths: [5] }, training).widths).toEqual([{ gf: 3, df: 5 }]);
    expect(budgetPlan({ ...none, widths: [3] }, { iterations: 10, gf: 2, df: 3 }).widths).toEqual([{ gf: 3, df: 5 }]); // round(4.5)
  });

  it('a milestone above the iterations, a decreasing list or a df list of the wrong length is a ConfigError naming the key', () => {
    const error = (f: () => unknown): ConfigError => {
      try {
        f();
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('no error');
    };
    const above = error(() => budgetPlan({ ...none, milestones: [400, 900] }, training));
    expect(above).toBeInstanceOf(ConfigError);
    expect(above.keyPath).toBe('experiments.budget.milestones');
    expect(above.message).toMatch(/milestone 900 is above the 800 training iterations .*training\.iterations/);
    expect(budgetPlan({ ...none, milestones: [900], iterations: 1000 }, training).milestones).toEqual([900]);
    expect(error(() => budgetPlan({ ...none, milestones: [200, 100] }, training)).message).toMatch(/experiments\.budget\.milestones: must be strictly increasing: 200 then 100/);
    expect(error(() => budgetPlan({ ...none, widths: [0] }, training)).keyPath).toBe('experiments.budget.widths');
    expect(error(() => budgetPlan({ ...none, widths: [4, 8], discriminatorWidths: [8] }, training)).keyPath).toBe('experiments.budget.discriminatorWidths');
  });
});

describe('test-image subsample', () => {
  const users = [
    { user: 'a', test: [0, 1, 2, 3, 4, 5] },
    { user: 'b', test: [10, 11] },
    { user: 'c', test: [20, 21, 22, 23] },
  ];
  it('all images without a cap; else round-robin over users, seeded, in original order', () => {
    expect(pickTestImages(users, null, Rng.fromSeed(1))).toHaveLength(12);
    expect(pickTestImages(users, 99, Rng.fromSeed(1))).toHaveLength(12);
    const picked = pickTestImages(users, 7, Rng.fromSeed(1));
    const count = (u: string): number => picked.filter((p) => p.user === u).length;
    // Rounds: a b c | a b c | a (b has run out after two).
    expect([count('a'), count('b'), count('c')]).toEqual([3, 2, 2]);
    for (const u of users) {
      const mine = picked.filter((p) => p.user === u.user).map((p) => p.index);
      expect(mine.every((i) => u.test.includes(i))).toBe(true);
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
    expect(pickTestImages(users, 7, Rng.fromSeed(1))).toEqual(picked);
    const other = pickTestImages(users, 7, Rng.fromSeed(2));
    expect(other.map((p) => p.index)).not.toEqual(picked.map((p) => p.index));
  });
});

describe('budget.csv rows', () => {
  const point: BudgetPoint = { system: 'privedge', width: 8, df: 16, batchSize: 32, iteration: 200, epoch: null, trainSeconds: 12.3456, valMse: 0.05, valAccuracy: null };
  // 4 users; true labels and predictions by hand:
  // a: 2 images, both right -> recall 1; b: 2 images, 1 right (other -> a) -> 0.5;
  // c: 4 images, 1 right (3 -> d) -> 0.25; d: 1 image, wrong (-> c) -> 0.
  const trueLabels = ['a', 'a', 'b', 'b', 'c', 'c', 'c', 'c', 'd'];
  const predicted = ['a', 'a', 'b', 'a', 'c', 'd', 'd', 'd', 'c'];
  const users = ['a', 'b', 'c', 'd'];

  it('macro precision and recall, accuracy and the quartiles of per-user recall, computed by hand', () => {
    const row = budgetRow(point, trueLabels, predicted, users, 'zero');
    // precision: a 2/3, b 1/1, c 1/2, d 0/3 -> mean 0.541666...; recall: (1 + 0.5 + 0.25 + 0) / 4.
    expect(row['precision']).toBeCloseTo((2 / 3 + 1 + 0.5 + 0) / 4, 12);
    expect(row['recall']).toBeCloseTo(0.4375, 12);
    expect(row['accuracy']).toBeCloseTo(4 / 9, 12);
    // recalls sorted 0, 0.25, 0.5, 1: p25 at h = 0.75 -> 0.1875; p50 at 1.5 -> 0.375; p75 at 2.25 -> 0.625.
    expect([row['recall_min'], row['recall_p25'], row['recall_p50'], row['recall_p75'], row['recall_max']]).toEqual([0, 0.1875, 0.375, 0.625, 1]);
    expect(row).toMatchObject({ system: 'privedge', series: 'privedge gf 8', width: 8, iteration: 200, epoch: null, train_seconds: 12.35, val_mse: 0.05, users: 4, test_images: 9 });
  });

  it('a user never predicted counts as 0 or is left out of macro precision, as identification does', () => {
    const never = ['a', 'a', 'a', 'a', 'c', 'c', 'c', 'c', 'c'];
    expect(budgetRow(point, trueLabels, never, users, 'zero')['precision']).toBeCloseTo((2 / 4 + 4 / 5) / 4, 12);
    expect(budgetRow(point, trueLabels, never, users, 'exclude')['precision']).toBeCloseTo((2 / 4 + 4 / 5) / 2, 12);
  });

  it('a baseline point: no width, series is its name; per-user rows carry support and recall', () => {
    const base = { ...point, system: 'vgg', width: null, df: null, iteration: null, epoch: 3, valMse: null, valAccuracy: 0.9 };
    expect(budgetRow(base, trueLabels, predicted, users, 'zero')).toMatchObject({ series: 'vgg', width: null, epoch: 3, val_accuracy: 0.9 });
    const perUser = budgetUserRows(base, trueLabels, predicted, users);
    expect(perUser.map((r) => [r['user'], r['support'], r['recall']])).toEqual([['a', 2, 1], ['b', 2, 0.5], ['c', 4, 0.25], ['d', 1, 0]]);
  });

  it('extrapolation to the paper budget: 33 users x 800 iterations in 5,280 s is 0.2 s per iteration, 55 h for 30,000 (440 h at batch 256 from 32)', () => {
    expect(paperBudgetExtrapolation(5280, 33, 800, 32)).toEqual({ secondsPerIterationPerUser: 0.2, batchSize: 32, hoursAtThisBatch: 55, hoursAtPaperBatch: 440 });
  });

  it('milestone cost: seconds summed over users, validation MSE averaged', () => {
    expect(milestoneCost([{ seconds: 1.5, bestValMse: 0.1 }, { seconds: 2, bestValMse: 0.3 }])).toEqual({ trainSeconds: 3.5, valMse: 0.2 });
  });
});
