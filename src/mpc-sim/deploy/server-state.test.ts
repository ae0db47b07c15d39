import * as tf from '@tensorflow/tfjs';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReconstructor } from '../../models/rec-adv/architecture.js';
import { FIXED20, encode } from '../encoding/fixed-point.js';
import { readReconstructorWeights, type ReconstructorDescription } from '../private-reconstructor/reconstructor.js';
import { SeededRandom } from '../ring/random.js';
import { encodeTree } from '../transport/tree-codec.js';
import { inProcessDeployment } from './in-process-deployment.js';
import { modelSetHash } from './party-query.js';
import { ServerState } from './server-state.js';

const SHAPE = { height: 32, width: 32, channels: 3, gf: 2, df: 2 };
const rng = (name: string) => new SeededRandom(`server-state-test:${name}`, { insecureDeterministic: true });
const dir = mkdtempSync(join(tmpdir(), 'privedge-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Enrols `description` in process with the given share and dealer seeds; stores S0's and S1's state; returns both folders. */
async function enrolInto(name: string, description: ReconstructorDescription, shareSeed: string, dealerSeed: string): Promise<[string, string]> {
  const d = inProcessDeployment(FIXED20, { seed: dealerSeed, insecureDeterministic: true });
  await d.enrol(description, 'alice', rng(shareSeed));
  const folders: [string, string] = [join(dir, name, 's0'), join(dir, name, 's1')];
  folders.forEach((f, p) => new ServerState(f).add(d.users[p as 0 | 1][0]!));
  return folders;
}

/** Every 64-bit word S0 stored, read back from its folder. */
function storedWords(folder: string): BigUint64Array {
  const users = new ServerState(folder).users;
  const parts = encodeTree(users).tensors.map((t) => t.data);
  const out = new BigUint64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

/** Largest deviation, in standard deviations, of any bit position's frequency of ones from 1/2. */
function worstBitDeviation(words: BigUint64Array): number {
  const sigma = 0.5 / Math.sqrt(words.length);
  let worst = 0;
  for (let bit = 0n; bit < 64n; bit++) {
    let ones = 0;
    for (const v of words) ones += Number((v >> bit) & 1n);
    worst = Math.max(worst, Math.abs(ones / words.length - 0.5) / sigma);
  }
  return worst;
}

/** Fraction of words whose signed value is below 2^52 in magnitude (2^-11 for uniform words). */
function smallFraction(words: BigUint64Array): number {
  let small = 0;
  for (const v of words) if (BigInt.asIntN(64, v) < 2n ** 52n && BigInt.asIntN(64, v) > -(2n ** 52n)) small++;
  return small / words.length;
}

describe("a server's own files", () => {
  let weights: ReconstructorDescription[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    weights = [11, 22].map((seed) => readReconstructorWeights(buildReconstructor(SHAPE, seed)));
  });

  it('are private (folder 0700, files 0600) and reload to the same model set', async () => {
    const [s0, s1] = await enrolInto('a', weights[0]!, 'share-a', 'dealer-a');
    expect(statSync(s0).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(join(s0, 'users'))) expect(statSync(join(s0, 'users', f)).mode & 0o777).toBe(0o600);
    const h0 = modelSetHash(new ServerState(s0).users);
    expect(modelSetHash(new ServerState(s1).users)).toBe(h0); // same public masked weights on both servers
    const loose = join(dir, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    expect(() => new ServerState(loose)).toThrow(`${loose}: state folder is accessible by others (mode 755); chmod 700 it`);
  });

  it('reload a v4 enrolment (folded norms without gamma, scaled LeakyReLUs) step for step; the model-set hash covers the folded convs', async () => {
    const d = inProcessDeployment(FIXED20, { seed: 'dealer-v4', insecureDeterministic: true }, 'v4');
    await d.enrol(weights[0]!, 'bob', rng('share-v4'));
    const folder = join(dir, 'v4', 's0');
    const enrolled = d.users[0][0]!;
    new ServerState(folder).add(enrolled);
    const [back] = new ServerState(folder).users;
    const summary = (u: typeof enrolled) => u.steps.map((st) => (st.kind === 'normConv' ? `${st.name}:${String(st.norm.gamma === undefined)}:${st.norm.inputScale}:${String(st.norm.rescale)}` : st.kind === 'scaledLrelu' ? `${st.name}:x${st.scale}` : `${st.kind}:${st.name}`));
    expect(summary(back!)).toEqual(summary(enrolled));
    expect(summary(back!).filter((x) => x.endsWith(':x5'))).toHaveLength(5);
    expect(modelSetHash([back!])).toBe(modelSetHash([enrolled]));
    // every conv of this model is folded: the hash must still see its masked weights
    const folded = back!.steps.find((st) => st.kind === 'normConv');
    if (folded?.kind !== 'normConv') throw new Error('no folded conv');
    folded.layer.maskedWeights.data[0] = folded.layer.maskedWeights.data[0]! ^ 1n;
    expect(modelSetHash([back!])).not.toBe(modelSetHash([enrolled]));
  });

  it('reload v5 and v6 enrolments: deferred truncations, the activations that do them and the folds\' onesProduct survive; the hash tells v4, v5 and v6 apart', async () => {
    const enrolFor = async (protocol: 'v4' | 'v5' | 'v6') => {
      // the same seeds for both: the same masked weights, so only the step signature can differ
      const d = inProcessDeployment(FIXED20, { seed: 'dealer-v4-v5', insecureDeterministic: true }, protocol);
      await d.enrol(weights[0]!, 'bob', rng('share-v4-v5'));
      return d.users[0][0]!;
    };
    const enrolled = await enrolFor('v5');
    const folder = join(dir, 'v5', 's0');
    new ServerState(folder).add(enrolled);
    const [back] = new ServerState(folder).users;
    const summary = (u: typeof enrolled) =>
      u.steps.map((st) => {
        if (st.kind === 'normConv') return `${st.name}:defer=${String(st.deferTruncation)}`;
        if (st.kind === 'conv') return `${st.name}:${st.layer.truncation}`;
        return 'truncateInput' in st ? `${st.name}:t=${String(st.truncateInput)}` : st.name;
      });
    expect(summary(back!)).toEqual(summary(enrolled));
    expect(summary(back!).filter((x) => x.endsWith(':defer=true'))).toHaveLength(10);
    expect(summary(back!).filter((x) => x.endsWith(':t=24'))).toHaveLength(10);
    expect(summary(back!)).toContain('down0_conv:none');
    expect(modelSetHash([back!])).toBe(modelSetHash([enrolled]));
    const v4 = await enrolFor('v4');
    const masked = (u: typeof enrolled) => u.steps.flatMap((st) => (st.kind === 'conv' || st.kind === 'normConv' ? [Array.from(st.layer.maskedWeights.data.slice(0, 8))] : []));
    expect(masked(v4)).toEqual(masked(enrolled));
    expect(modelSetHash([back!])).not.toBe(modelSetHash([v4]));
    // v6: each fold keeps its public onesProduct through a reload, and the hash tells v6 from v5
    const v6 = await enrolFor('v6');
    const folder6 = join(dir, 'v6', 's0');
    new ServerState(folder6).add(v6);
    const [back6] = new ServerState(folder6).users;
    const ones = (u: typeof enrolled) => u.steps.flatMap((st) => (st.kind === 'normConv' && st.fold.onesProduct !== undefined ? [Array.from(st.fold.onesProduct.data.slice(0, 4))] : []));
    expect(ones(back6!)).toHaveLength(10);
    expect(ones(back6!)).toEqual(ones(v6));
    expect(modelSetHash([back6!])).toBe(modelSetHash([v6]));
    expect(modelSetHash([back6!])).not.toBe(modelSetHash([back!]));
  });

  it('look uniform whatever the weights (the encoded weights themselves do not)', async () => {
    for (const [k, w] of weights.entries()) {
      const words = storedWords((await enrolInto(`u${k}`, w, `share-u${k}`, `dealer-u${k}`))[0]);
      expect(words.length).toBeGreaterThan(1000);
      expect(worstBitDeviation(words)).toBeLessThan(6);
      expect(smallFraction(words)).toBeLessThan(0.005); // 2^-11 expected for uniform words
    }
    // The encoded weights themselves: bits balanced (signs are), but every word is small.
    const plain = encode(FIXED20, weights[0]!.steps.flatMap((s) => (s.kind === 'conv' ? Array.from(s.weights) : [])));
    expect(smallFraction(plain.data)).toBe(1);
  });

  it('change completely with the share and dealer seeds while the weights stay fixed', async () => {
    const a = storedWords((await enrolInto('s-a', weights[0]!, 'share-1', 'dealer-1'))[0]);
    const b = storedWords((await enrolInto('s-b', weights[0]!, 'share-2', 'dealer-2'))[0]);
    expect(b.length).toBe(a.length);
    let equal = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
    expect(equal).toBe(0);
  });
});
