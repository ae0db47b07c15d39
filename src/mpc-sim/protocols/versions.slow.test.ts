import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReconstructor } from '../../models/rec-adv/architecture.js';
import { DeterministicDealer } from '../dealer/crypto-dealer.js';
import { FIXED20, decode, encode } from '../encoding/fixed-point.js';
import { enrolUser, privatePredict, type EnrolledUser } from '../private-reconstructor/private-predict.js';
import { evaluateReconstructor, prepareReconstructor, readReconstructorWeights, reconstructorSignature, stepOutputScale } from '../private-reconstructor/reconstructor.js';
import { createInProcessSession, type InProcessSession } from '../parties/in-process.js';
import { SeededRandom } from '../ring/random.js';
import { Share, reconstruct, share } from '../sharing/share.js';
import { argminLevels } from './argmin.js';
import { PROTOCOL_VERSIONS, protocolSettings, type ProtocolVersion } from './versions.js';

/*
 * End to end: every protocol version on tiny seeded reconstructors (gf = 2, untrained) and real
 * letters images, against the plaintext TF.js reference.
 */

const SHAPE = { height: 32, width: 32, channels: 3, gf: 2, df: 2 };
const LETTERS = join(process.cwd(), '..', 'shared', 'datasets', 'russian-letters', 'data');
const FILES = ['01_01.png', '12_07.png', '27_02.png'];

const rng = (name: string) => new SeededRandom(`versions-test:${name}`, { insecureDeterministic: true });
const session = (seed: string): InProcessSession =>
  createInProcessSession({ encoding: FIXED20, dealer: new DeterministicDealer({ seed, insecureDeterministic: true }), random: (p) => rng(`party${p}-${seed}`) });

/** A letters PNG as 32 x 32 x 3 in [-1, 1] (x / 127.5 - 1), as the paper's models take it. */
async function letter(file: string): Promise<Float32Array> {
  const path = join(LETTERS, file);
  if (!existsSync(path)) throw new Error(`letters image ${path} is missing: the tests need ../shared/datasets (see its README)`);
  const raw = await sharp(path).removeAlpha().resize(32, 32, { fit: 'fill' }).raw().toBuffer();
  return Float32Array.from(raw, (v) => v / 127.5 - 1);
}

const predict = (model: tf.LayersModel, x: Float32Array): Float32Array =>
  tf.tidy(() => (model.predict(tf.tensor4d(x, [1, 32, 32, 3])) as tf.Tensor).dataSync() as Float32Array);
const msePlain = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;

describe('protocol versions end to end (tiny reconstructors, real letters)', () => {
  let models: tf.LayersModel[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    models = [5, 6, 7, 8].map((seed) => buildReconstructor(SHAPE, seed));
    // Trained norms have gamma != 1 and beta != 0 (v4 multiplies gamma into the next conv's
    // weights): give every norm its own, some gamma negative.
    for (const [m, model] of models.entries()) {
      for (const [i, layer] of model.layers.filter((l) => l.name.endsWith('_norm')).entries()) {
        const u = ((m * 10 + i) * 0.618) % 1;
        layer.setWeights([tf.tensor1d([(i % 4 === 3 ? -1 : 1) * (0.6 + 0.8 * u)]), tf.tensor1d([0.3 * (u - 0.5)])]);
      }
    }
  });

  /** One enrolment per distinct enrolment setting of the versions. */
  async function enrolForVersions(s: InProcessSession, model: tf.LayersModel, id: string, seed: string): Promise<(protocol: ProtocolVersion) => EnrolledUser> {
    const byKey = new Map<string, EnrolledUser>();
    for (const protocol of PROTOCOL_VERSIONS) {
      const enrolment = protocolSettings(protocol).enrolment;
      const key = JSON.stringify(enrolment);
      if (!byKey.has(key)) byKey.set(key, (await enrolUser(s, readReconstructorWeights(model), `${id}-${byKey.size}`, { random: rng(seed), ...enrolment })).user);
    }
    return (protocol) => byKey.get(JSON.stringify(protocolSettings(protocol).enrolment))!;
  }

  it('v2 saves 4 rounds per InstanceNorm (40), v2-d8 one more per activation and tanh (11), v3 3 per folded norm (all 10), v4 36 more; the reconstruction matches model.predict', async () => {
    const s = session('versions-one');
    const userOf = await enrolForVersions(s, models[0]!, 'user0', 'w0');
    // v3 folds every norm at enrolment (M N <= 4 n after each of them).
    const folded = userOf('v3');
    // v4 also scales the 5 LeakyReLUs (each right before a folded norm) and folds every gamma.
    const v4 = userOf('v4');
    expect(v4[0].steps.filter((st) => st.kind === 'scaledLrelu').map((st) => st.name)).toEqual([0, 1, 2, 3, 4].map((i) => `down${i}_lrelu`));
    expect(v4[0].steps.filter((st) => st.kind === 'normConv').every((st) => st.kind === 'normConv' && st.norm.gamma === undefined && !st.norm.rescale && st.norm.inputScale === (st.name.startsWith('down') || st.name === 'up0_conv' ? 5 : 1))).toBe(true);
    expect(folded[0].steps.filter((st) => st.kind === 'normConv').map((st) => st.name)).toEqual(['down1_conv', 'down2_conv', 'down3_conv', 'down4_conv', 'up0_conv', 'up1_conv', 'up2_conv', 'up3_conv', 'up4_conv', 'reconstruction']);
    expect(folded[0].steps.some((st) => st.kind === 'norm')).toBe(false);
    // A plain conv's material given to a folded step is refused, naming the step.
    const xm = share(encode(FIXED20, await letter(FILES[0]!), [1, 32, 32, 3]), rng('q-mismatch'));
    await expect(
      s.measure(async (ctx) => {
        const materials = await prepareReconstructor(ctx, folded[ctx.party], 'mismatch');
        materials.set('down1_conv', materials.get('down0_conv')!);
        return evaluateReconstructor(ctx, folded[ctx.party], xm[ctx.party], { protocol: 'v3', tagPrefix: 'mismatch', materials });
      }),
    ).rejects.toThrow(/the material of 'down1_conv' was prepared for a plain conv, the enrolled step is a folded norm/);
    const x = await letter(FILES[0]!);
    const want = predict(models[0]!, x);
    const rounds: Record<string, number> = {};
    const byLabel: Record<string, Record<string, { rounds: number; bytes: readonly [number, number] }>> = {};
    for (const protocol of PROTOCOL_VERSIONS) {
      const xs = share(encode(FIXED20, x, [1, 32, 32, 3]), rng(`q-${protocol}`));
      const user = userOf(protocol);
      const { results, cost } = await s.measure((ctx) => evaluateReconstructor(ctx, user[ctx.party], xs[ctx.party], { protocol }));
      const got = decode(FIXED20, reconstruct(results));
      let maxErr = 0;
      for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
      expect(maxErr).toBeLessThan(1e-3);
      rounds[protocol] = cost.rounds;
      byLabel[protocol] = cost.byLabel;
    }
    expect(rounds['v2']).toBe(rounds['v1']! - 40);
    expect(rounds['v2-d8']).toBe(rounds['v2']! - 11);
    expect(rounds['v3']).toBe(rounds['v2']! - 3 * 10);
    // v4: no product by gamma and no rescale (10 norms each), 8-bit chunks (10 activations and tanh), no LeakyReLU truncation (5)
    expect(rounds['v4']).toBe(rounds['v3']! - 10 - 10 - 11 - 5);
    // v5: every conv's (1) and folded norm's (10) output truncation moves into the opening of the activation after it
    expect(rounds['v5']).toBe(rounds['v4']! - 11);
    // v6: each folded norm's mean in the round of the conv's opening (10)
    expect(rounds['v6']).toBe(rounds['v5']! - 10);
    // v7: the same rounds and messages; every truncating opening carries 64 - t of 64 bits per
    // element: the 11 activations' (tanh's pieces included), the 10 norms' means, scales and Z
    // (each pair merged into one round with another opening) and tanh's 3 truncations
    expect(rounds['v7']).toBe(rounds['v6']);
    const v6 = byLabel['v6']!;
    const v7 = byLabel['v7']!;
    expect(Object.keys(v7).sort()).toEqual(Object.keys(v6).sort());
    const shrunk = Object.keys(v6).filter((label) => v7[label]!.bytes[0] !== v6[label]!.bytes[0]);
    for (const label of shrunk) {
      expect(v7[label]!.bytes[0], label).toBeLessThan(v6[label]!.bytes[0]);
      expect(v7[label]!.bytes[1], label).toBe(v7[label]!.bytes[0]);
    }
    const openings = (labels: string[], pattern: RegExp): number => labels.filter((l) => pattern.test(l)).length;
    expect(openings(shrunk, /(lrelu|relu|pieces)\/open$/)).toBe(11);
    expect(openings(shrunk, /tanh\/(square|powers)?\/?truncate\/open$/)).toBe(3);
    expect(openings(shrunk, /scale\/t\/open & [^ ]*\/truncate\/open$/)).toBe(10); // the norms' scale and Z, merged
    expect(shrunk.length).toBe(24);
    // the conv's input openings and the comparison trees are unchanged
    expect(Object.keys(v6).filter((l) => /\/(and|final)/.test(l)).every((l) => v7[l]!.bytes[0] === v6[l]!.bytes[0])).toBe(true);
    // v8 changes only the dissimilarity after the reconstructor
    expect(rounds['v8']).toBe(rounds['v7']);
    expect(byLabel['v8']).toEqual(v7);
  });

  it('v5 defers every conv output truncation to the activation after it, and a revealed step divides its 2^t back out', async () => {
    const s = session('versions-v5');
    const userOf = await enrolForVersions(s, models[1]!, 'user1', 'w1');
    const steps = userOf('v5')[0].steps;
    const t = (name: string): number | undefined => {
      const st = steps.find((x) => x.name === name);
      return st !== undefined && 'truncateInput' in st ? st.truncateInput : undefined;
    };
    // the first conv drops f = 20 bits, each folded norm (gamma folded) 24
    expect(t('down0_lrelu')).toBe(20);
    for (const name of ['down1_lrelu', 'down4_lrelu', 'up0_conv/relu', 'up4_conv/relu', 'reconstruction/tanh']) expect(t(name), name).toBe(24);
    expect(steps.filter((st) => st.kind === 'normConv').every((st) => st.kind === 'normConv' && st.deferTruncation === true)).toBe(true);
    const first = steps.find((st) => st.kind === 'conv');
    expect(first?.kind === 'conv' && first.layer.truncation).toBe('none');
    expect(stepOutputScale(first!, FIXED20)).toBe(2 ** 20);
    expect(stepOutputScale(steps.find((st) => st.name === 'down1_conv')!, FIXED20)).toBe(2 ** 24);
    // v4's steps differ in the signature (the servers' model-set hash covers it)
    expect(reconstructorSignature(userOf('v5')[0])).not.toBe(reconstructorSignature(userOf('v4')[0]));
    expect(reconstructorSignature(userOf('v5')[0])).toContain('relu:up0_conv/relu@t24');
    // every revealed step divided by stepOutputScale (as the fidelity --validate does) matches v4's same step
    const x = await letter(FILES[1]!);
    const reveal = async (protocol: ProtocolVersion): Promise<Map<string, { scale: number; values: Float64Array }>> => {
      const xs = share(encode(FIXED20, x, [1, 32, 32, 3]), rng(`q-${protocol}-steps`));
      const seen = new Map<string, { scale: number; values: Float64Array }>();
      await s.measure((ctx) =>
        evaluateReconstructor(ctx, userOf(protocol)[ctx.party], xs[ctx.party], {
          protocol,
          onStep: async (step, y) => {
            const [other] = await ctx.channel.exchange(`reveal/${step.name}`, [y.ring]);
            if (ctx.party === 0) seen.set(step.name, { scale: stepOutputScale(step, FIXED20), values: decode(FIXED20, reconstruct([y, new Share(1, other!)])) });
          },
        }),
      );
      return seen;
    };
    const v5 = await reveal('v5');
    const v4 = await reveal('v4');
    expect([...v5.keys()]).toEqual([...v4.keys()]);
    expect([...v5.values()].filter((v) => v.scale === 2 ** 24).length).toBe(10);
    for (const [name, { scale, values }] of v5) {
      const other = v4.get(name)!;
      const err = Math.max(...Array.from(values, (v, i) => Math.abs(v / scale - other.values[i]! / other.scale)));
      expect(err, name).toBeLessThan(1e-3); // two runs with different masks; each within about 1e-4 of TF.js at its output
    }
    const want = predict(models[1]!, x);
    const out = [...v5.values()].at(-1)!;
    expect(Math.max(...Array.from(out.values, (v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-3);
  });

  it('privatePredict: v2, v2-d8, v3, v4, v5, v6, v7 and v8 reveal the plaintext argmin and threshold bit on real letters (margin > 1e-3), dissimilarities within 1e-4 of TF.js; v2 argmin in 6 rounds', async () => {
    const s = session('versions-predict');
    const userOf: ((protocol: ProtocolVersion) => EnrolledUser)[] = [];
    for (const [j, model] of models.entries()) userOf.push(await enrolForVersions(s, model, `user${j}`, `w-${j}`));
    const queries = await Promise.all(FILES.map(letter));
    const xr = share(encode(FIXED20, queries[0]!, [1, 32, 32, 3]), rng('q-rounds'));
    let compared = 0;
    // v1 is covered by reconstructor.test.ts; the new versions here.
    for (const protocol of ['v2', 'v2-d8', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'] as const satisfies readonly ProtocolVersion[]) {
      const users = userOf.map((of) => of(protocol));
      const { cost: one } = await s.measure((ctx) => evaluateReconstructor(ctx, users[0]![ctx.party], xr[ctx.party], { protocol }));
      for (const [q, x] of queries.entries()) {
        const errs = models.map((m) => msePlain(x, predict(m, x)));
        const order = errs.map((_, j) => j).sort((a, b) => errs[a]! - errs[b]!);
        const threshold = (errs[order[0]!]! + errs[order[1]!]!) / 2;
        const p = await privatePredict(s, users, x, { threshold, protocol, revealDissimilarities: true, random: rng(`share-${protocol}-${q}`) });
        const worst = Math.max(...p.dissimilarities!.map((d, j) => Math.abs(d - errs[j]!)));
        expect(worst).toBeLessThan(1e-4);
        const argminRounds = protocolSettings(protocol).argmin === 'pairwise' ? 6 : 6 * argminLevels(users.length) + 1 + 5;
        const dissimilarityRounds = protocolSettings(protocol).dissimilarity === 'fine-mse' ? 2 : 3;
        expect(p.rounds).toBe(one.rounds + dissimilarityRounds + argminRounds);
        if (errs[order[1]!]! - errs[order[0]!]! > 1e-3) {
          compared++;
          expect(p.index).toBe(order[0]);
          expect(p.belowThreshold).toBe(true);
        }
        if (protocol === 'v8') {
          // the threshold is scaled as the fine MSEs are: just below the smallest MSE, the bit is 0
          const below = await privatePredict(s, users, x, { threshold: errs[order[0]!]! - 1e-4, protocol, random: rng(`share-below-${q}`) });
          expect(below.belowThreshold).toBe(false);
          expect(below.dissimilarities).toBeUndefined();
          // its range condition needs the query in [-1, 1]
          const loud = Float32Array.from(x, (v, i) => (i === 7 ? 1.5 : v));
          await expect(privatePredict(s, users, loud, { protocol })).rejects.toThrow(/v8 compares fine MSEs, whose range condition needs the query's values in \[-1, 1\]/);
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(4);
  }, 360_000); // about 35 s of CPU; the default 120 s limit was hit at load average 20 on 2 cores
});
