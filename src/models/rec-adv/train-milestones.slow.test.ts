import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../util/rng.js';
import { initTensorflow } from '../runtime.js';
import { checkMilestones, trainUser, type MilestoneCheckpoint, type UserTrainingOptions } from './train-user.js';

const shape = { height: 32, width: 32, channels: 1, gf: 2, df: 2 };
const settings = { learningRate: 1e-3, beta1: 0.5, reconstructionWeight: 0.999, adversarialWeight: 0.001 };

/** `n` seeded images of `shape` in [-1, 1]. */
function images(n: number, seed: number): Float32Array {
  const rng = Rng.fromSeed(seed);
  return Float32Array.from({ length: n * 1024 }, () => rng.nextFloat() * 2 - 1);
}

const train = images(6, 1);
const validation = images(3, 2);
const weightsOf = (m: tf.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

/** A plain run of `iterations` (no milestones). */
async function plain(options: UserTrainingOptions): Promise<{ weights: number[][]; bestIteration: number; bestValMse: number; checkpointed: boolean }> {
  const t = await trainUser(train, validation, options, Rng.fromSeed(7).child('user'));
  const out = { weights: weightsOf(t.reconstructor), bestIteration: t.bestIteration, bestValMse: t.bestValMse, checkpointed: t.checkpointed };
  t.reconstructor.dispose();
  return out;
}

describe('trainUser milestones', () => {
  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  // validateEvery 4 and milestones off that grid: milestones 3 and 5 need an extra validation, 4 and 8 do not.
  // Learning rate 0.05 makes the validation MSE rise after a while, so a milestone keeps an earlier checkpoint.
  for (const [checkpointBelow, learningRate] of [[null, 1e-3], [1e-9, 1e-3], [null, 0.05]] as const) {
    it(`the full run is byte-identical with milestones, and milestone m is a run of m iterations (checkpointBelow ${checkpointBelow}, learning rate ${learningRate})`, async () => {
      const options: UserTrainingOptions = { ...settings, learningRate, shape, iterations: 8, batchSize: 4, validateEvery: 2, checkpointBelow };
      const seen: { iteration: number; weights: number[][]; bestIteration: number; bestValMse: number; checkpointed: boolean; valMseNow: number; curve: number; seconds: number }[] = [];
      const onMilestone = async (m: MilestoneCheckpoint): Promise<void> => {
        seen.push({ iteration: m.iteration, weights: weightsOf(m.reconstructor), bestIteration: m.bestIteration, bestValMse: m.bestValMse, checkpointed: m.checkpointed, valMseNow: m.valMseNow, curve: m.curve.length, seconds: m.seconds });
        // A slow hand-over is not training time.
        await new Promise((r) => setTimeout(r, 150));
      };
      const withMilestones = await trainUser(train, validation, options, Rng.fromSeed(7).child('user'), undefined, { at: [3, 4, 5, 8], onMilestone });
      const full = await plain(options);
      expect(weightsOf(withMilestones.reconstructor)).toEqual(full.weights);
      expect([withMilestones.bestIteration, withMilestones.bestValMse, withMilestones.checkpointed]).toEqual([full.bestIteration, full.bestValMse, full.checkpointed]);
      withMilestones.reconstructor.dispose();
      expect(seen.map((s) => s.iteration)).toEqual([3, 4, 5, 8]);
      // The hand-over paths: an extra validation winning (milestone 3, before any regular one), and with 0.05 an earlier checkpoint swapped in.
      if (checkpointBelow === null) expect(seen[0]).toMatchObject({ bestIteration: 3, checkpointed: true });
      if (learningRate === 0.05) expect(seen.some((s) => s.bestIteration < s.iteration)).toBe(true);
      for (const s of seen) {
        const truncated = await plain({ ...options, iterations: s.iteration });
        expect(s.weights).toEqual(truncated.weights);
        expect([s.bestIteration, s.bestValMse, s.checkpointed]).toEqual([truncated.bestIteration, truncated.bestValMse, truncated.checkpointed]);
        expect(s.curve).toBe(s.iteration);
      }
      if (checkpointBelow !== null) expect(seen.every((s) => !s.checkpointed && s.bestIteration === s.iteration && s.bestValMse === s.valMseNow)).toBe(true);
      // Seconds grow, and exclude the 150 ms hand-overs (3 before the last milestone).
      expect(seen.map((s) => s.seconds)).toEqual([...seen.map((s) => s.seconds)].sort((a, b) => a - b));
      expect(withMilestones.seconds).toBeLessThan(seen.at(-1)!.seconds + 0.45);
    });
  }

  it('refuses milestones that do not increase or leave 1..iterations', () => {
    expect(() => checkMilestones([2, 2], 8)).toThrow(/must increase: 2 then 2/);
    expect(() => checkMilestones([4, 9], 8)).toThrow(/milestone 9 is not an iteration in 1\.\.8/);
    expect(() => checkMilestones([0], 8)).toThrow(/milestone 0/);
    expect(() => checkMilestones([1, 8], 8)).not.toThrow();
  });
});
