import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { HEADER_BYTES, NONCE_BYTES, TAG_BYTES } from '../src/collab/envelope.js';
import { parseCsvText, type Cell } from '../src/report/csv.js';
import type { Experiment } from '../src/runner/experiment.js';
import { runConfig } from '../src/runner/run-config.js';
import { experimentsOnly, sharedDatasets, tempDir } from '../src/testing/fixtures.js';
import { collab } from './collab.js';

const { experiments, registry } = experimentsOnly(collab as unknown as Experiment);

const yaml = (extra = '') => `
seed: 4
backend: wasm
dataset:
  name: digits
  source: { type: mnist }
  image: { width: 28, height: 28, channels: 1 }
  users: { classes: ['0', '1', '7'], maxImagesPerUser: 30 }
  cache: { enabled: false }
output: { charts: [svg] }
experiments:
  - id: collab
    owners: 3
    rounds: 2
    batchSize: 8
    optimizer: { kind: sgd, learningRate: 0.1 }
    partitions: [{ kind: iid }, { kind: class-skew, skew: 1 }]
${extra}`;

type Table = Record<string, Cell>[];

describe('collab experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let dir: string;
  const tables: Record<string, Table> = {};
  beforeAll(async () => {
    tmp = await tempDir();
    const [outcome] = await runConfig(parseConfigText(yaml(), 'collab.yaml', { experiments }), { registry, outDir: tmp.dir });
    expect(outcome!.status).toBe('completed');
    dir = outcome!.dir;
    for (const f of ['accuracy', 'partition', 'partition_summary', 'turns', 'traffic', 'costs', 'predictions', 'equivalence']) tables[f] = parseCsvText(await readFile(join(dir, `${f}.csv`), 'utf8'));
  });
  afterAll(async () => tmp.cleanup());

  it('scores every system after every round, and the final scores recompute by hand from the predictions', () => {
    const acc = tables['accuracy']!;
    const systems = ['weight-transmission-server-aided', 'weight-transmission-fully-connected', 'centralised-sgd', 'owner-alone'];
    for (const partition of ['iid', 'skew-1']) {
      for (const system of systems) {
        const rounds = acc.filter((r) => r['partition'] === partition && r['system'] === system && r['owner'] === null && r['metric'] === 'accuracy').map((r) => r['round']);
        expect(rounds).toEqual([0, 1, 2]);
      }
      const preds = tables['predictions']!.filter((r) => r['partition'] === partition);
      // 3 digits x 30 images, 6 test images each (20 %), classes interleaved.
      const ids = preds.filter((r) => r['system'] === 'centralised-sgd').map((r) => String(r['trueLabel']));
      expect(ids).toEqual(['0', '1', '7', '0', '1', '7', '0', '1', '7', '0', '1', '7', '0', '1', '7', '0', '1', '7']);
      const value = (system: string, owner: number | null, metric: string) => acc.find((r) => r['partition'] === partition && r['system'] === system && r['owner'] === owner && r['round'] === 2 && r['metric'] === metric)!['value'] as number;
      const byHand = (system: string) => {
        const rows = preds.filter((r) => r['system'] === system);
        const classes = ['0', '1', '7'];
        const tp = (c: string) => rows.filter((r) => String(r['trueLabel']) === c && String(r['predicted']) === c).length;
        const predicted = (c: string) => rows.filter((r) => String(r['predicted']) === c).length;
        return {
          accuracy: rows.filter((r) => r['trueLabel'] === r['predicted']).length / rows.length,
          macroPrecision: classes.reduce((a, c) => a + (predicted(c) === 0 ? 0 : tp(c) / predicted(c)), 0) / 3,
          macroRecall: classes.reduce((a, c) => a + tp(c) / 6, 0) / 3,
        };
      };
      for (const system of systems.slice(0, 3)) {
        const h = byHand(system);
        expect(value(system, null, 'accuracy')).toBeCloseTo(h.accuracy, 12);
        expect(value(system, null, 'macroPrecision')).toBeCloseTo(h.macroPrecision, 12);
        expect(value(system, null, 'macroRecall')).toBeCloseTo(h.macroRecall, 12);
      }
      for (const k of [0, 1, 2]) expect(value('owner-alone', k, 'accuracy')).toBeCloseTo(byHand(`owner-alone:${k}`).accuracy, 12);
      expect(value('owner-alone', null, 'accuracy')).toBeCloseTo((value('owner-alone', 0, 'accuracy') + value('owner-alone', 1, 'accuracy') + value('owner-alone', 2, 'accuracy')) / 3, 12);
      // The two topologies compute the same model, so the same predictions.
      const p = (s: string) => preds.filter((r) => r['system'] === s).map((r) => r['predicted']);
      expect(p('weight-transmission-fully-connected')).toEqual(p('weight-transmission-server-aided'));
    }
  });

  it('partitions the 72 training images (train + validation) among the owners: stratified, then one class per owner', () => {
    const part = tables['partition']!;
    const count = (partition: string, owner: number, cls: string) => part.find((r) => r['partition'] === partition && r['owner'] === owner && String(r['class']) === cls)!['images'];
    for (const owner of [0, 1, 2]) for (const cls of ['0', '1', '7']) expect(count('iid', owner, cls)).toBe(8);
    expect([count('skew-1', 0, '0'), count('skew-1', 1, '1'), count('skew-1', 2, '7')]).toEqual([24, 24, 24]);
    expect(part.filter((r) => r['partition'] === 'skew-1').reduce((a, r) => a + (r['images'] as number), 0)).toBe(72);
    const summary = tables['partition_summary']!.filter((r) => r['partition'] === 'skew-1');
    for (const r of summary) expect(r).toMatchObject({ images: 24, classesHeld: 1, largestClassShare: 1 });
    for (const r of summary) expect(r['classDistance']).toBeCloseTo(2 / 3, 12);
  });

  it('accounts bytes per message, owner, server and round, consistent across files', () => {
    const turns = tables['turns']!;
    for (const t of turns) if ((t['messageBytes'] as number) > 0) expect(t['messageBytes']).toBe(HEADER_BYTES + NONCE_BYTES + TAG_BYTES + (t['payloadBytes'] as number));
    const M = turns[0]!['messageBytes'] as number;
    // LeNet-5 on 28 x 28 x 1, 3 classes: 61,111 float32 weights, 204 bytes of names and shapes, 18 of preamble.
    expect(M).toBe(HEADER_BYTES + NONCE_BYTES + TAG_BYTES + 18 + 204 + 4 * 61_111);
    const traffic = tables['traffic']!.filter((r) => r['partition'] === 'iid' && r['phase'] === 'training');
    const sum = (topology: string, party: string) => traffic.filter((r) => r['topology'] === topology && r['party'] === party).reduce((a, r) => a + (r['bytesSent'] as number) + (r['bytesReceived'] as number), 0);
    // Server-aided, fixed order, 2 rounds: the server receives 6 uploads and sends 5 downloads.
    expect(sum('server-aided', 'server')).toBe(11 * M);
    const costs = tables['costs']!.filter((r) => r['partition'] === 'iid');
    const cost = (system: string, metric: string) => costs.find((r) => r['system'] === system && r['metric'] === metric)!['value'] as number;
    expect(cost('weight-transmission-server-aided', 'serverBytesPerRound')).toBe((11 * M) / 2);
    const owners = ['owner 0', 'owner 1', 'owner 2'];
    expect(cost('weight-transmission-server-aided', 'bytesPerOwnerPerRound')).toBe(owners.reduce((a, o) => a + sum('server-aided', o), 0) / 3 / 2);
    expect(cost('weight-transmission-fully-connected', 'bytesPerOwnerPerRound')).toBe(owners.reduce((a, o) => a + sum('fully-connected', o), 0) / 3 / 2);
    // Fully connected: 5 messages in training, each sent once and received once; 2 in the final distribution.
    expect(owners.reduce((a, o) => a + sum('fully-connected', o), 0)).toBe(2 * 5 * M);
    expect(cost('weight-transmission-fully-connected', 'totalBytesSent')).toBe(7 * M);
    expect(cost('weight-transmission-server-aided', 'totalBytesSent')).toBe((6 + 5 + 2) * M);
    expect(cost('weight-transmission-server-aided', 'aesGcmSeconds')).toBeCloseTo(turns.filter((t) => t['partition'] === 'iid' && t['topology'] === 'server-aided').reduce((a, t) => a + (t['encryptSeconds'] as number) + (t['decryptSeconds'] as number), 0), 9);
  });

  it('checks the equivalence with sequential SGD and records it', async () => {
    expect(tables['equivalence']!.map((r) => [r['partition'], r['maxAbsDifference'], r['holds']])).toEqual([
      ['iid', 0, true],
      ['skew-1', 0, true],
    ]);
    const manifest = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
    expect(manifest.facts.collab.datasets.digits).toMatchObject({ classes: 3, trainImages: 72, testImages: 18, imageBytes: 784, iid: { parameters: 61_111, identicalFinalModels: { 'server-aided': true, 'fully-connected': true } } });
    expect(manifest.files).toEqual(expect.arrayContaining(['accuracy.svg', 'traffic.svg', 'crypto_time.svg', 'partition.svg']));
  });

  it('takes a second dataset with its own model, optimizer and rounds: real letters, the VGG-style CNN, Adam with its state transmitted', async () => {
    const letters = `
    owners: 2
    rounds: 2
    batchSize: 8
    partitions: [{ kind: iid }]
    topologies: [fully-connected]
    alone: false
    datasets:
      - { name: digits }
      - name: letters
        dataset:
          source: { type: csv, manifests: ${JSON.stringify(`${sharedDatasets()}/russian-letters/data*/letters*.csv`)} }
          users: { maxUsers: 3, maxImagesPerUser: 20 }
          cache: { enabled: false }
        model: { kind: vgg, blocks: [4], convsPerBlock: 1, dense: 8, dropout: 0 }
        optimizer: { kind: adam, learningRate: 0.001 }
        rounds: 1
`;
    const text = yaml().replace(/  - id: collab\n[\s\S]*$/, `  - id: collab\n${letters.split('\n').slice(1).join('\n')}`);
    const [outcome] = await runConfig(parseConfigText(text, 'collab.yaml', { experiments }), { registry, outDir: tmp.dir });
    const acc = parseCsvText(await readFile(join(outcome!.dir, 'accuracy.csv'), 'utf8'));
    expect([...new Set(acc.filter((r) => r['dataset'] === 'letters').map((r) => r['round']))]).toEqual([0, 1]);
    expect([...new Set(acc.filter((r) => r['dataset'] === 'digits').map((r) => r['round']))]).toEqual([0, 1, 2]);
    const equivalence = parseCsvText(await readFile(join(outcome!.dir, 'equivalence.csv'), 'utf8'));
    expect(equivalence.map((r) => [r['dataset'], r['optimizer'], r['maxAbsDifference']])).toEqual([
      ['digits', 'sgd', 0],
      ['letters', 'adam', 0],
    ]);
    const turns = parseCsvText(await readFile(join(outcome!.dir, 'turns.csv'), 'utf8')).filter((r) => r['dataset'] === 'letters');
    // VGG [4] on 32 x 32 x 3, 3 classes: conv 3*3*3*4 + 4, fc 16*16*4*8 + 8, softmax 8*3 + 3 = 8,339 weights;
    // Adam sends them with both moments (3 x), plus names, shapes and the 18-byte preamble.
    const names = ['block1_conv1/kernel', 'block1_conv1/bias', 'fc/kernel', 'fc/bias', 'probabilities/kernel', 'probabilities/bias'];
    const ranks = [4, 1, 2, 1, 2, 1];
    const overhead = (suffix: string) => names.reduce((a, n, i) => a + 2 + n.length + suffix.length + 1 + 4 * ranks[i]!, 0);
    expect(turns[0]!['payloadBytes']).toBe(18 + overhead('') + overhead('/m') + overhead('/v') + 3 * 4 * 8_339);
  });

  it('refuses two datasets with one name', () => {
    const bad = yaml().replace('  - id: collab\n', '  - id: collab\n    datasets: [{ name: a }, { name: a }]\n');
    return expect(runConfig(parseConfigText(bad, 'collab.yaml', { experiments }), { registry, outDir: tmp.dir })).rejects.toThrow(ConfigError);
  });
});
