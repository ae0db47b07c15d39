import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIDELITY_COLUMNS, LAYER_COLUMNS } from '../../mpc-sim/private-reconstructor/fidelity.js';
import { parseCsvText, writeCsv } from '../../report/csv.js';
import { runCli } from '../../testing/cli.js';
import { fidelityRow, layerRow } from '../../testing/fidelity-rows.js';
import { tempDir } from '../../testing/fixtures.js';

/*
 * predict-private's option checks through the command line on synthetic shard files and run
 * manifests (no training, no 2PC): exit codes, the messages, and what is (not) written. The
 * end-to-end runs of each behaviour are in predict-private.slow.test.ts.
 */

function capture(): { write(text: string): boolean; text: () => string } {
  let out = '';
  return { write: (t: string) => ((out += t), true), text: () => out };
}

const row = (image: string, agree: boolean, error: number) => fidelityRow(image, { agree, maxDissimilarityError: error, onlineBytes: 2e6 });
const layer = layerRow;

describe('privedge predict-private (synthetic run folders)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('--merge names a missing shard or layer file and writes nothing; --partial summarises the finished shards; then merges rows and mean layer costs', async () => {
    const runDir = join(tmp.dir, 'shards');
    await mkdir(runDir);
    const run = (args: string[], stdout = capture(), stderr = capture()) => runCli(['predict-private', '--run', runDir, '--quiet', ...args], { stdout, stderr });
    const shard = async (i: number, rows: ReturnType<typeof row>[], bytes: number) => {
      await writeCsv(join(runDir, `private_predictions.shard-${i}-of-2.csv`), rows, FIDELITY_COLUMNS);
      await writeCsv(join(runDir, `private_cost_layers.shard-${i}-of-2.csv`), [layer('conv', bytes), layer('argmin', 2 * bytes)], LAYER_COLUMNS);
    };
    await shard(1, [row('b', true, 1e-6), row('d', false, 3e-5)], 300);
    // Only shard 1 of 2 so far: merging names the missing one and writes nothing.
    await writeFile(join(runDir, 'private_predictions.csv'), 'sentinel\n');
    const missing = capture();
    expect(await run(['--merge'], capture(), missing)).toBe(1);
    expect(missing.text()).toMatch(/shard\(s\) 0 of 2 missing/);
    expect(await readFile(join(runDir, 'private_predictions.csv'), 'utf8')).toBe('sentinel\n');
    // --partial summarises what is finished so far (shard 1's file; the unsharded file is not a shard's) and writes nothing.
    const sofar = capture();
    expect(await run(['--merge', '--partial'], sofar)).toBe(0);
    expect(sofar.text()).toContain('private labels equal plaintext labels for 1 of 2 queries (50.00 %)');
    expect(await readFile(join(runDir, 'private_predictions.csv'), 'utf8')).toBe('sentinel\n');
    // --partial belongs to --merge: a usage error.
    const usage = capture();
    expect(await run(['--partial'], capture(), usage)).toBe(2);
    expect(usage.text()).toContain('--partial only goes with --merge');

    await shard(0, [row('a', true, 2e-6), row('c', true, 1e-6)], 100);
    // A shard whose layer costs are missing is named.
    const layers0 = join(runDir, 'private_cost_layers.shard-0-of-2.csv');
    const saved = await readFile(layers0, 'utf8');
    await rm(layers0);
    const noLayers = capture();
    expect(await run(['--merge'], capture(), noLayers)).toBe(1);
    expect(noLayers.text()).toContain(layers0);
    expect(noLayers.text()).toContain('shard 0 of 2 has predictions but no layer costs');
    expect(await readFile(join(runDir, 'private_predictions.csv'), 'utf8')).toBe('sentinel\n');
    await writeFile(layers0, saved);

    const stdout = capture();
    expect(await run(['--merge'], stdout)).toBe(0);
    const merged = parseCsvText(await readFile(join(runDir, 'private_predictions.csv'), 'utf8'));
    expect(merged.map((r) => r['image'])).toEqual(['a', 'c', 'b', 'd']);
    expect(stdout.text()).toContain('private labels equal plaintext labels for 3 of 4 queries (75.00 %); max |dissimilarity error| 3.00e-5');
    expect(stdout.text()).toContain('disagreement on d: plaintext u1, private u2');
    // Layer costs: the mean per query over both shards (2 queries each: the plain mean).
    const lm = parseCsvText(await readFile(join(runDir, 'private_cost_layers.csv'), 'utf8'));
    expect(lm.map((l) => [l['layer'], l['onlineBytesS0'], l['seconds']])).toEqual([
      ['conv', 200, 2],
      ['argmin', 400, 4],
    ]);
  });

  it('rejects a folder that is not an identification run, naming the path', async () => {
    const stderr = capture();
    const missing = join(tmp.dir, 'nowhere');
    expect(await runCli(['predict-private', '--run', missing, '--quiet'], { stdout: capture(), stderr })).toBe(1);
    expect(stderr.text()).toContain(join(missing, 'run.json'));

    const other = join(tmp.dir, 'other');
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'run.json'), JSON.stringify({ experiment: 'dataset-summary', status: 'completed', facts: {} }));
    const stderr2 = capture();
    expect(await runCli(['predict-private', '--run', other, '--quiet'], { stdout: capture(), stderr: stderr2 })).toBe(1);
    expect(stderr2.text()).toMatch(/not an identification run/);
    expect(stderr2.text()).toContain(join(other, 'run.json'));
  });
});
