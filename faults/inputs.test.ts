/**
 * Faults in what a user gives: config files, command-line values, dataset files. Each case runs
 * `privedge` in a child process and asserts the exit code, the first line of the message and the
 * run folder afterwards (none, when the fault is found before a run starts; `failed`, with the
 * same message, when found during the run).
 */
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyBytes } from '../src/testing/npy-writer.js';
import { tempDir } from '../src/testing/fixtures.js';
import { manifestOf, privedge } from './cli-process.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir('privedge-faults-');
});
afterAll(async () => tmp.cleanup());

/** Writes a config file and returns its path. */
async function config(name: string, yaml: string): Promise<string> {
  const path = join(tmp.dir, `${name}.yaml`);
  await writeFile(path, yaml);
  return path;
}

/** The run folders below a results root (`<root>/<experiment>/<id>`). */
async function runFolders(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const experiment of await readdir(root)) {
    if (experiment === 'models') continue;
    for (const id of await readdir(join(root, experiment))) out.push(join(root, experiment, id));
  }
  return out;
}

/** Runs the config and expects a failure before any run folder exists. */
async function failsBeforeRun(path: string, code: number, firstLine: string | RegExp, extra: string[] = []): Promise<void> {
  const out = join(tmp.dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await privedge(['run', path, '--out', out, ...extra]);
  expect(r.code, r.stderr).toBe(code);
  if (typeof firstLine === 'string') expect(r.message).toBe(firstLine);
  else expect(r.message).toMatch(firstLine);
  expect(await runFolders(out)).toEqual([]);
}

/** Runs the config and expects the run to fail with its folder marked `failed` and the message recorded. */
async function failsInRun(path: string, firstLine: string): Promise<void> {
  const out = join(tmp.dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = await privedge(['run', path, '--out', out, '--quiet']);
  expect(r.code, r.stderr).toBe(1);
  expect(r.message).toBe(firstLine);
  const [dir, ...more] = await runFolders(out);
  expect(more).toEqual([]);
  const m = await manifestOf(dir!);
  expect(m).toMatchObject({ status: 'failed', error: firstLine.replace(/^error: /, '') });
  expect(typeof m['endedAt']).toBe('string');
  expect(existsSync(join(dir!, '.run.json.reserve'))).toBe(false);
}

const summaryOf = (dataset: string): string => `seed: 1\ndataset:\n${dataset}\nexperiments: [dataset-summary]\n`;

describe('faults in configs and options', () => {
  it('a missing config file', async () => {
    const path = join(tmp.dir, 'nope.yaml');
    await failsBeforeRun(path, 1, `error: ${path}: config file not found`);
  });

  it('bad YAML', async () => {
    const path = await config('bad-yaml', 'seed: 1\ndataset: { source: { type: mnist }\n');
    await failsBeforeRun(path, 1, new RegExp(`^error: ${path}: `));
  });

  it('an unknown key', async () => {
    const path = await config('unknown-key', 'seed: 1\ndataset: { source: { type: mnist } }\ntraining: { iteratons: 3 }\nexperiments: [dataset-summary]\n');
    await failsBeforeRun(path, 1, `error: ${path}: training.iteratons: unknown key (did you mean "training.iterations"?); valid keys here: gf, df, iterations, batchSize, learningRate, beta1, reconstructionWeight, adversarialWeight, validateEvery, checkpointBelow, workers, modelsDir, sampleImages, withoutValidation`);
  });

  it('--seed abc is a usage error naming the option', async () => {
    const path = await config('seed', summaryOf('  source: { type: mnist }'));
    await failsBeforeRun(path, 2, 'error: --seed: expected a whole number >= 0, got "abc"', ['--seed', 'abc']);
  });
});

describe('faults in dataset files', () => {
  const x = Array.from({ length: 6 * 4 * 4 * 3 }, (_, k) => k % 256);
  const image4 = '  image: { width: 4, height: 4, channels: 3 }\n  cache: { enabled: false }';

  it('an HDF5 file without its dataset', async () => {
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const file = join(tmp.dir, 'letters.h5');
    const h5 = new h5wasm.File(file, 'w');
    h5.create_dataset({ name: 'images', data: Float32Array.from(x), shape: [6, 4, 4, 3], dtype: '<f4' });
    h5.create_dataset({ name: 'labels', data: Float64Array.from([1, 1, 1, 2, 2, 2]), shape: [6], dtype: '<f8' });
    h5.close();
    const path = await config('h5', summaryOf(`  source: { type: hdf5, file: ${file}, images: imgs }\n${image4}`));
    await failsInRun(path, `error: ${file}: no dataset named "imgs" (it has: images, labels)`);
  });

  it('npy images of the wrong shape', async () => {
    await writeFile(join(tmp.dir, 'flat.npy'), npyBytes('<f4', [6, 48], x));
    await writeFile(join(tmp.dir, 'y.npy'), npyBytes('<i8', [6], [1, 1, 1, 2, 2, 2]));
    const path = await config('npy-shape', summaryOf(`  source: { type: npy, images: ${join(tmp.dir, 'flat.npy')}, labels: ${join(tmp.dir, 'y.npy')} }\n${image4}`));
    await failsInRun(path, `error: ${join(tmp.dir, 'flat.npy')}: images have shape [6, 48], expected 4 dimensions for layout nhwc`);
  });

  it('npy images of the wrong dtype (strings)', async () => {
    await writeFile(join(tmp.dir, 'strings.npy'), npyBytes('<U2', [6, 1, 1, 1], ['a', 'b', 'c', 'd', 'e', 'f']));
    const path = await config('npy-dtype', summaryOf(`  source: { type: npy, images: ${join(tmp.dir, 'strings.npy')}, labels: ${join(tmp.dir, 'y.npy')} }\n${image4}`));
    await writeFile(join(tmp.dir, 'y.npy'), npyBytes('<i8', [6], [1, 1, 1, 2, 2, 2]));
    await failsInRun(path, `error: ${join(tmp.dir, 'strings.npy')}: images are strings, expected numbers`);
  });

  it('float labels in an npy label array', async () => {
    await writeFile(join(tmp.dir, 'x.npy'), npyBytes('<f4', [6, 4, 4, 3], x));
    await writeFile(join(tmp.dir, 'half.npy'), npyBytes('<f4', [6], [0.5, 0.5, 0.5, 1.5, 1.5, 1.5]));
    const path = await config('float-labels', summaryOf(`  source: { type: npy, images: ${join(tmp.dir, 'x.npy')}, labels: ${join(tmp.dir, 'half.npy')} }\n${image4}`));
    await failsInRun(path, `error: ${join(tmp.dir, 'half.npy')}: label 0.5 of image 0 is not an integer (labels must be integers or strings)`);
  });

  it('too few images: a class of one image', async () => {
    await writeFile(join(tmp.dir, 'y-one.npy'), npyBytes('<i8', [6], [1, 1, 1, 1, 1, 2]));
    const path = await config('too-few', summaryOf(`  source: { type: npy, images: ${join(tmp.dir, 'x.npy')}, labels: ${join(tmp.dir, 'y-one.npy')} }\n${image4}`));
    await failsInRun(path, 'error: class "2": has 1 image, too few to split into train and test (raise dataset.users.minImagesPerUser)');
  });

  it('a class with 2 images (no validation image) is refused before training, naming the class and the setting', async () => {
    await writeFile(join(tmp.dir, 'y-two.npy'), npyBytes('<i8', [6], [1, 1, 1, 1, 2, 2]));
    const path = await config(
      'two-images',
      `seed: 1\nbackend: wasm\ndataset:\n  source: { type: npy, images: ${join(tmp.dir, 'x.npy')}, labels: ${join(tmp.dir, 'y-two.npy')} }\n  image: { width: 32, height: 32, channels: 3 }\n  split: { testFraction: 0.25, validationFraction: 0.3 }\n  cache: { enabled: false }\ntraining: { gf: 2, df: 2, iterations: 2, batchSize: 2, validateEvery: 1, checkpointBelow: null, workers: 1 }\nexperiments: [{ id: identification, baselines: [] }]\n`,
    );
    await failsInRun(
      path,
      'error: training.withoutValidation: class "2" has no validation image (1 training, 1 test image(s)): its checkpoint would be chosen on its training images. Give it more images, raise dataset.users.minImagesPerUser to drop it, or set training.withoutValidation: useTraining',
    );
  });
});
