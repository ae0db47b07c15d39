/**
 * Benchmark: decoding the 14,190 letters cold and from the on-disk cache of decoded arrays.
 * Targets (issue 2): cold <= 10 s, cached <= 1 s on 2 cores. Prints the measured times and their
 * ratios to the targets, measured in this one run.
 *
 *   npm run bench:datasets [-- --repeats 3]
 *
 * "Cold" means no decoded-array cache; when this process may write /proc/sys/vm/drop_caches
 * (root on Linux) the OS page cache is dropped first as well, and the output says whether it was.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { datasetSchema } from '../src/config/dataset-schema.js';
import { prepareDataset } from '../src/datasets/prepare.js';
import { deepFreeze } from '../src/util/deep-freeze.js';
import { Rng } from '../src/util/rng.js';

const flag = process.argv.indexOf('--repeats');
const repeats = flag > 0 ? Number(process.argv[flag + 1]) : 3;
if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats takes a whole number >= 1');
const datasets = process.env['PRIVEDGE_DATASETS'] ?? resolve('../shared/datasets');
const cacheDir = await mkdtemp(join(tmpdir(), 'privedge-bench-'));
const config = deepFreeze(
  datasetSchema.parse({
    source: { type: 'csv', manifests: join(datasets, 'russian-letters/data*/letters*.csv'), attributeColumns: ['background'] },
    cache: { dir: cacheDir },
  }),
);

function dropPageCache(): boolean {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

const rng = Rng.fromSeed(42).child('data');
const cold: number[] = [];
const cached: number[] = [];
let dropped = false;
let images = 0;
try {
  for (let r = 0; r < repeats; r++) {
    await rm(cacheDir, { recursive: true, force: true });
    dropped = dropPageCache();
    let t = performance.now();
    const first = await prepareDataset(config, rng);
    cold.push((performance.now() - t) / 1000);
    if (first.load.cache !== 'miss') throw new Error('expected a cache miss');
    images = first.images.count;
    t = performance.now();
    const second = await prepareDataset(config, rng);
    cached.push((performance.now() - t) / 1000);
    if (second.load.cache !== 'hit') throw new Error('expected a cache hit');
  }
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const c = median(cold);
const h = median(cached);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
console.log(`letters: ${images} images, median of ${repeats} runs (OS page cache ${dropped ? 'dropped before each cold run' : 'NOT dropped: no permission'})`);
console.log(`cold decode   ${c.toFixed(2)} s  (target 10 s: ratio ${(c / 10).toFixed(2)})   runs: ${cold.map((x) => x.toFixed(2)).join(', ')}`);
console.log(`from cache    ${h.toFixed(2)} s  (target 1 s: ratio ${(h / 1).toFixed(2)})    runs: ${cached.map((x) => x.toFixed(2)).join(', ')}`);
