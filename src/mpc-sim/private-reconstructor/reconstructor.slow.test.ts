import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReconstructor } from '../../models/rec-adv/architecture.js';
import { DeterministicDealer } from '../dealer/crypto-dealer.js';
import { FIXED20, decode, encode } from '../encoding/fixed-point.js';
import { createInProcessSession, type InProcessSession } from '../parties/in-process.js';
import { SeededRandom } from '../ring/random.js';
import { reconstruct, share } from '../sharing/share.js';
import { argminLevels } from '../protocols/argmin.js';
import { enrolUser, privatePredict, type EnrolledUser } from './private-predict.js';
import { evaluateReconstructor, readReconstructorWeights } from './reconstructor.js';

const SHAPE = { height: 32, width: 32, channels: 3, gf: 2, df: 2 };
const N = 32 * 32 * 3;
/** Max abs error of the decoded 2PC reconstruction against `model.predict` (FIXED20). */
const TOLERANCE = 1e-2;

const rng = (name: string) => new SeededRandom(`reconstructor-test:${name}`, { insecureDeterministic: true });

function session(seed: string): InProcessSession {
  return createInProcessSession({ encoding: FIXED20, dealer: new DeterministicDealer({ seed, insecureDeterministic: true }), random: (p) => rng(`party${p}-${seed}`) });
}

/** A reproducible image with values uniform in [-1, 1]. */
function image(name: string): Float32Array {
  const w = new BigUint64Array(N);
  rng(`image-${name}`).fill(w);
  return Float32Array.from(w, (v) => 2 * (Number(v >> 11n) / 2 ** 53) - 1);
}

function predict(model: tf.LayersModel, x: Float32Array): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor4d(x, [1, 32, 32, 3])) as tf.Tensor).dataSync() as Float32Array);
}

const msePlain = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;

describe('2PC PrivEdge reconstructor (tiny, gf = 2)', () => {
  let models: tf.LayersModel[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    models = [11, 22, 33].map((seed) => buildReconstructor(SHAPE, seed));
  });

  it('reads the layers into ordered steps and rejects unknown layers by name', () => {
    const d = readReconstructorWeights(models[0]!);
    expect(d.inputShape).toEqual([32, 32, 3]);
    const kinds = d.steps.map((s) => s.kind);
    expect(kinds).toEqual([
      ...Array.from({ length: 5 }, () => ['conv', 'lrelu', 'norm']).flat(),
      ...Array.from({ length: 5 }, () => ['upsample', 'conv', 'relu', 'norm']).flat(),
      'conv',
      'tanh',
    ]);
    const first = d.steps[0]!;
    expect(first.kind === 'conv' && first.stride === 2 && first.shape).toEqual([4, 4, 3, 2]);
    const norm = d.steps[2]!;
    expect(norm.kind === 'norm' && [norm.gamma, norm.beta, norm.epsilon]).toEqual([1, 0, 1e-3]);

    const input = tf.input({ shape: [8, 8, 3] });
    const bad = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, name: 'mystery_dense' }).apply(input) as tf.SymbolicTensor });
    expect(() => readReconstructorWeights(bad)).toThrow(/mystery_dense.*Dense/);
  });

  it('matches model.predict within the tolerance', async () => {
    const model = models[0]!;
    const s = session('reconstruct');
    const { user } = await enrolUser(s, readReconstructorWeights(model), 'user0', { random: rng('weights0') });
    const x = image('single');
    const xs = share(encode(FIXED20, x, [1, 32, 32, 3]), rng('query-single'));
    const { results, cost } = await s.measure((ctx) => evaluateReconstructor(ctx, user[ctx.party], xs[ctx.party]));
    expect(results[0].shape).toEqual([1, 32, 32, 3]);
    const got = decode(FIXED20, reconstruct(results));
    const want = predict(model, x);
    let maxErr = 0;
    for (let i = 0; i < N; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
    console.log(`reconstruction: max abs error ${maxErr.toExponential(3)}; one evaluation ${cost.rounds} rounds, ${cost.onlineBytesTotal} online bytes, ${cost.offlineBytesTotal} offline bytes`);
    expect(maxErr).toBeLessThan(TOLERANCE);
  });

  it('privatePredict over 3 users returns the plaintext argmin whenever the margin exceeds 1e-3', async () => {
    const s = session('predict');
    const users: EnrolledUser[] = [];
    for (const [j, model] of models.entries()) users.push((await enrolUser(s, readReconstructorWeights(model), `user${j}`, { random: rng(`weights-${j}`) })).user);
    const threshold = 0.65;
    const queries = [0, 1, 2, 3, 4].map((q) => image(`query${q}`));
    // Also two queries drawn from a model's outputs (smoother than uniform noise).
    queries.push(predict(models[1]!, image('near1')), predict(models[2]!, image('near2')));
    // Rounds of one user's evaluation, for the lockstep check below.
    const x0 = share(encode(FIXED20, image('rounds'), [1, 32, 32, 3]), rng('query-rounds'));
    const { cost: one } = await s.measure((ctx) => evaluateReconstructor(ctx, users[0]![ctx.party], x0[ctx.party]));
    let compared = 0;
    for (const [q, x] of queries.entries()) {
      const errs = models.map((m) => msePlain(x, predict(m, x)));
      const order = errs.map((_, j) => j).sort((a, b) => errs[a]! - errs[b]!);
      const margin = errs[order[1]!]! - errs[order[0]!]!;
      const p = await privatePredict(s, users, x, { threshold, random: rng(`query-share-${q}`) });
      console.log(
        `query ${q}: MSEs [${errs.map((e) => e.toFixed(4)).join(', ')}], margin ${margin.toExponential(2)}, ` +
          `2PC index ${p.index} (plaintext ${order[0]}), below ${threshold}: ${p.belowThreshold}; ${p.rounds} rounds, ${p.bytes} online bytes, ${p.cost.offlineBytesTotal} offline bytes`,
      );
      expect(p.rounds).toBe(p.cost.rounds);
      // Lockstep: the 3 users cost the rounds of one evaluation, one mse (3), argmin (6 L + 1) and the threshold bit (5).
      expect(p.rounds).toBe(one.rounds + 3 + 6 * argminLevels(3) + 1 + 5);
      if (margin > 1e-3) {
        compared++;
        expect(p.index).toBe(order[0]);
      }
      if (Math.abs(errs[order[0]!]! - threshold) > 1e-3) expect(p.belowThreshold).toBe(errs[order[0]!]! < threshold);
    }
    console.log(`privatePredict: ${compared} of ${queries.length} queries had margin > 1e-3 and were compared`);
    expect(compared).toBeGreaterThanOrEqual(3);

    // The online-phase hooks run once each, around the online phase only: no round or byte of the
    // query has been counted when start runs (the offline phase counts only dealer material), and
    // all of them have when stop runs.
    const calls: string[] = [];
    const before = s.meter.report();
    const hooked = await privatePredict(s, users, queries[0]!, {
      random: rng('query-share-hooks'),
      onlinePhase: {
        start: () => void calls.push(`start ${s.meter.report().rounds - before.rounds}`),
        stop: async () => void calls.push(`stop ${s.meter.report().rounds - before.rounds}`),
      },
    });
    expect(calls).toEqual(['start 0', `stop ${hooked.rounds}`]);
  });
});
