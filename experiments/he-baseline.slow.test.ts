import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { parseConfigText } from '../src/config/load.js';
import { parseCsvText } from '../src/report/csv.js';
import type { Experiment } from '../src/runner/experiment.js';
import { runConfig } from '../src/runner/run-config.js';
import { experimentsOnly, tempDir } from '../src/testing/fixtures.js';
import { heBaseline } from './he-baseline.js';

const { experiments, registry } = experimentsOnly(heBaseline as unknown as Experiment);

const yaml = (paillier: string) => `
seed: 5
backend: wasm
dataset:
  source: { type: mnist }
  image: { width: 28, height: 28, channels: 1 }
  users: { maxImagesPerUser: 30 }
  cache: { enabled: false }
output: { charts: [svg] }
experiments:
  - id: he-baseline
    training: { epochs: 1, batchSize: 16 }
    quantisation: { calibrationImages: 50 }
    paillier: ${paillier}
    testImages: 8
    naiveImages: 0
    workers: 1
`;

describe('he-baseline experiment', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('refuses a key below 2048 bits at config validation unless insecureKeySize is set', () => {
    const bad = () => parseConfigText(yaml('{ keyBits: 1024 }'), 'he.yaml', { experiments });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/experiments\[0\]\.paillier\.keyBits: 1024-bit Paillier keys are refused/);
    expect(parseConfigText(yaml('{ keyBits: 1024, insecureKeySize: true }'), 'he.yaml', { experiments }).config.experiments[0]).toMatchObject({ paillier: { keyBits: 1024 } });
    const defaults = heBaseline.defaults;
    expect(defaults.paillier).toEqual({ keyBits: 2048, insecureKeySize: false, safePrimes: true });
    expect(defaults.quantisation).toEqual({ weightBits: 8, activationBits: 8, calibrationImages: 1000 });
  });

  it('trains, quantises and runs the test images encrypted, with predictions equal to the integer model', async () => {
    const loaded = parseConfigText(yaml('{ keyBits: 256, insecureKeySize: true }'), 'he.yaml', { experiments });
    const [outcome] = await runConfig(loaded, { registry, outDir: tmp.dir });
    expect(outcome!.status).toBe('completed');
    const read = async (f: string) => parseCsvText(await readFile(join(outcome!.dir, f), 'utf8'));
    const predictions = await read('predictions.csv');
    expect(predictions).toHaveLength(8);
    // Users interleaved: the first ten... here eight images, digits 0..7 in order.
    expect(predictions.map((p) => String(p['label']))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    for (const p of predictions) {
      expect(p['encryptedEqualsQuantised']).toBe(true);
      expect(String(p['encrypted'])).toBe(String(p['quantised']));
    }
    const accuracy = await read('accuracy.csv');
    const acc = (system: string, scope: string) => accuracy.find((r) => r['system'] === system && r['scope'] === scope)!['accuracy'];
    expect(acc('encrypted', 'evaluated')).toBe(acc('quantised', 'evaluated'));
    expect(acc('encrypted', 'evaluated')).toBe(predictions.filter((p) => String(p['encrypted']) === String(p['label'])).length / 8);
    const cost = await read('cost.csv');
    const metric = (m: string) => cost.find((r) => r['implementation'] === 'optimised' && r['metric'] === m)!['value'] as number;
    expect(metric('roundTrips')).toBe(5);
    expect(metric('activationRoundTrips')).toBe(4);
    // One batch of 8 images: bytes per image = the batch's bytes / 8 (64-byte ciphertexts).
    expect(metric('bytesClientToServerPerImage')).toBe(((784 + 1176 + 400 + 120 + 84) * 64 + 25) / 8);
    const layers = await read('layers.csv');
    expect(layers.map((r) => r['layer'])).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    const comparison = await read('comparison.csv');
    expect(comparison[0]).toMatchObject({ system: '2p-dnn', testImages: 8 });
    const manifest = JSON.parse(await readFile(join(outcome!.dir, 'run.json'), 'utf8'));
    expect(manifest.facts.he.mismatches).toBe(0);
    expect(manifest.files).toEqual(expect.arrayContaining(['accuracy.svg', 'time_per_image.svg', 'bytes_per_image.svg', 'server_layers.svg', 'training.csv']));
  });
});
