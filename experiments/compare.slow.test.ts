import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.js';
import { RunError } from '../src/errors.js';
import { parseCsvText, type Cell } from '../src/report/csv.js';
import type { Experiment } from '../src/runner/experiment.js';
import { runConfig, type ExperimentOutcome } from '../src/runner/run-config.js';
import { experimentsOnly, tempDir } from '../src/testing/fixtures.js';
import { collab } from './collab.js';
import { compare } from './compare.js';
import { heBaseline } from './he-baseline.js';
import { identification } from './identification.js';

const { experiments, registry } = experimentsOnly(...([identification, heBaseline, collab, compare] as unknown as Experiment[]));

// The decoded-array cache (in the test's folder) spares resizing the 10,000 digits on every run.
let cacheDir = '';
const config = (perUser: number, list: string) => `
seed: 6
backend: wasm
dataset:
  name: digits
  source: { type: mnist }
  users: { classes: ['0', '1', '7'], maxImagesPerUser: ${perUser} }
  cache: { dir: ${JSON.stringify(cacheDir)} }
training: { gf: 2, df: 2, iterations: 10, batchSize: 8, learningRate: 0.002, validateEvery: 5, checkpointBelow: null, workers: 1 }
output: { charts: [svg] }
experiments:
${list}`;
const IDENT = `  - id: identification
    mode: private
    private: { queries: 2 }
    baselines: [{ kind: vgg, blocks: [4], dense: 8, epochs: 1, batchSize: 16 }]
`;
const HE = `  - id: he-baseline
    training: { epochs: 1, batchSize: 16 }
    quantisation: { calibrationImages: 20 }
    paillier: { keyBits: 256, insecureKeySize: true }
    testImages: 5
    naiveImages: 0
    workers: 1
`;
const COLLAB = `  - id: collab
    owners: 2
    rounds: 1
    batchSize: 8
    partitions: [{ kind: iid }]
    topologies: [server-aided]
    optimizer: { kind: sgd, learningRate: 0.1 }
`;

type Table = Record<string, Cell>[];
const csv = async (dir: string, file: string): Promise<Table> => parseCsvText(await readFile(join(dir, file), 'utf8'));
const run = (yaml: string, out: string) => runConfig(parseConfigText(yaml, 'compare.yaml', { experiments }), { registry, outDir: out });

describe('compare experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let outcomes: ExperimentOutcome[];
  const dirOf = (id: string) => outcomes.find((o) => o.experiment === id)!.dir;
  beforeAll(async () => {
    tmp = await tempDir();
    cacheDir = join(tmp.dir, 'cache');
    outcomes = await run(config(20, `${IDENT}${HE}${COLLAB}  - compare\n`), tmp.dir);
  });
  afterAll(async () => tmp.cleanup());

  it('puts every system on the same 12 test images in one table, each score recomputed by hand from its own run\'s files', async () => {
    const table = await csv(dirOf('compare'), 'comparison.csv');
    expect(table.map((r) => r['system'])).toEqual(['privedge', 'privedge-2pc', 'vgg', '2p-dnn', 'weight-transmission-server-aided (iid)', 'centralised-sgd', 'owner-alone (iid)']);
    const row = (s: string) => table.find((r) => r['system'] === s)!;
    const score = (pairs: [string, string][]) => {
      // Macro averages over the classes among the labels and predictions (all three on the whole split).
      const classes = ['0', '1', '7'].filter((c) => pairs.some(([t, p]) => t === c || p === c));
      const tp = (c: string) => pairs.filter(([t, p]) => t === c && p === c).length;
      const prec = classes.map((c) => (pairs.some(([, p]) => p === c) ? tp(c) / pairs.filter(([, p]) => p === c).length : 0));
      const rec = classes.map((c) => (pairs.some(([t]) => t === c) ? tp(c) / pairs.filter(([t]) => t === c).length : 0));
      const mean = (v: number[]) => v.reduce((a, b) => a + b) / v.length;
      return { n: pairs.length, accuracy: pairs.filter(([t, p]) => t === p).length / pairs.length, p: mean(prec), r: mean(rec) };
    };
    const expectRow = (system: string, pairs: [string, string][]) => {
      const h = score(pairs);
      expect(row(system)['testImages']).toBe(h.n);
      expect(row(system)['accuracy']).toBeCloseTo(h.accuracy, 12);
      expect(row(system)['macroPrecision']).toBeCloseTo(h.p, 12);
      expect(row(system)['macroRecall']).toBeCloseTo(h.r, 12);
    };
    const ident = dirOf('identification');
    expectRow('privedge', (await csv(ident, 'predictions.csv')).map((r) => [String(r['trueUser']), String(r['predicted'])]));
    const priv = await csv(ident, 'private_predictions.csv');
    expectRow('privedge-2pc', priv.map((r) => [String(r['trueUser']), String(r['privatePredicted'])]));
    expect(row('privedge-2pc')['predictBytesPerImage']).toBeCloseTo(priv.reduce((a, r) => a + (r['onlineBytes'] as number), 0) / 2, 6);
    const confusion = (await csv(ident, 'confusion.csv')).filter((r) => r['system'] === 'vgg');
    expectRow('vgg', confusion.flatMap((r) => new Array<[string, string]>(r['count'] as number).fill([String(r['true']), String(r['predicted'])])));
    const he = await csv(dirOf('he-baseline'), 'predictions.csv');
    expectRow('2p-dnn', he.map((r) => [String(r['label']), String(r['encrypted'])]));
    const heCost = (await csv(dirOf('he-baseline'), 'cost.csv')).filter((r) => r['implementation'] === 'optimised');
    const hc = (m: string) => heCost.find((r) => r['metric'] === m)!['value'] as number;
    expect(row('2p-dnn')['predictBytesPerImage']).toBe(hc('bytesClientToServerPerImage') + hc('bytesServerToClientPerImage'));
    const collabPreds = await csv(dirOf('collab'), 'predictions.csv');
    expectRow('weight-transmission-server-aided (iid)', collabPreds.filter((r) => r['system'] === 'weight-transmission-server-aided').map((r) => [String(r['trueLabel']), String(r['predicted'])]));
    const costs = await csv(dirOf('collab'), 'costs.csv');
    expect(row('weight-transmission-server-aided (iid)')['trainBytes']).toBe(costs.find((r) => r['system'] === 'weight-transmission-server-aided' && r['metric'] === 'totalBytesSent')!['value']);
    // Raw uploads of the centralised systems: 48 training images of 32 x 32 x 3 bytes.
    expect(row('vgg')['trainBytes']).toBe(48 * 3072);
    expect(row('privedge')['trainBytes']).toBe(0);
    const users = await csv(ident, 'training_users.csv');
    expect(row('privedge')['trainSeconds']).toBeCloseTo(users.reduce((a, r) => a + (r['seconds'] as number), 0), 9);
  });

  it('states what every party can learn, and writes a Markdown table', async () => {
    const who = await csv(dirOf('compare'), 'who_sees_what.csv');
    expect(who.filter((r) => r['system'] === 'privedge-2pc').map((r) => r['party'])).toEqual(['user', 'server S0 or S1 (alone)', 'dealer (regulator)', 'client', 'S0 and S1 colluding']);
    expect(String(who.find((r) => r['system'] === 'weight-transmission-server-aided (iid)' && r['party'] === 'server (honest but curious)')!['learns'])).toMatch(/AES-256-GCM ciphertexts only \(no key\)/);
    const md = await readFile(join(dirOf('compare'), 'comparison.md'), 'utf8');
    expect(md).toMatch(/^### digits\n/);
    expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| system'))).toHaveLength(7);
  });

  it('makes a missing input a clear error naming the run or file', async () => {
    // No identification run on this data under a fresh results root.
    const fresh = await tempDir();
    try {
      await expect(run(config(20, `${COLLAB}  - { id: compare, datasets: [{ heBaseline: null }] }\n`), fresh.dir)).rejects.toThrow(
        /identification: experiments\.compare\.datasets\[0\]\.identification: auto: no completed identification run on the same test images \(there is none\)\. Run identification/,
      );
    } finally {
      await fresh.cleanup();
    }
    // An identification run without private predictions.
    const copy = join(tmp.dir, 'ident-copy');
    await cp(dirOf('identification'), copy, { recursive: true });
    await rm(join(copy, 'private_predictions.csv'));
    const yaml = config(20, `${COLLAB}  - { id: compare, datasets: [{ identification: ${JSON.stringify(copy)}, heBaseline: null }] }\n`);
    await expect(run(yaml, tmp.dir)).rejects.toThrow(RunError);
    await expect(run(yaml, tmp.dir)).rejects.toThrow(/ident-copy\/private_predictions\.csv: experiments\.compare\.datasets\[0\]\.identification: not found: run `npx privedge predict-private --run/);
    // Other data (another subset): the identification run of the first config is refused, with why.
    await expect(run(config(15, `${COLLAB}  - { id: compare, datasets: [{ heBaseline: null }] }\n`), tmp.dir)).rejects.toThrow(/refused [0-9a-f]+: tests on 12 images, the digits test split has 9/);
  });
});
