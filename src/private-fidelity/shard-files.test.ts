import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIDELITY_COLUMNS, LAYER_COLUMNS } from '../mpc-sim/private-reconstructor/fidelity.js';
import { parseCsvText, writeCsv } from '../report/csv.js';
import { layerRow, fidelityRow } from '../testing/fidelity-rows.js';
import { tempDir } from '../testing/fixtures.js';
import { mergeShardFiles, readFinishedQueries, readImageList } from './shard-files.js';

const row = (image: string) => fidelityRow(image);
const layer = layerRow;

describe('sharded fidelity outputs', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let n = 0;
  const folder = async () => {
    const dir = join(tmp.dir, `run${n++}`);
    await mkdir(dir);
    return dir;
  };
  const shard = async (dir: string, i: number, of: number, images: string[], bytes: number) => {
    await writeCsv(join(dir, `private_predictions.shard-${i}-of-${of}.csv`), images.map((m) => row(m)), FIDELITY_COLUMNS);
    await writeCsv(join(dir, `private_cost_layers.shard-${i}-of-${of}.csv`), [layer('conv', bytes), layer('argmin', 2 * bytes)], LAYER_COLUMNS);
  };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp.cleanup());

  it('merges all shards into the unsuffixed files: rows shard by shard, layer costs weighted by queries', async () => {
    const dir = await folder();
    await shard(dir, 1, 2, ['b'], 400);
    await shard(dir, 0, 2, ['a', 'c', 'e'], 100);
    const merged = await mergeShardFiles(dir);
    expect(merged.map((r) => r.image)).toEqual(['a', 'c', 'e', 'b']);
    const predictions = parseCsvText(await readFile(join(dir, 'private_predictions.csv'), 'utf8'));
    expect(predictions.map((r) => r['image'])).toEqual(['a', 'c', 'e', 'b']);
    const layers = parseCsvText(await readFile(join(dir, 'private_cost_layers.csv'), 'utf8'));
    // (3 * 100 + 1 * 400) / 4 = 175; argmin twice that.
    expect(layers.map((l) => [l['layer'], l['onlineBytesS0'], l['seconds']])).toEqual([
      ['conv', 175, 1.75],
      ['argmin', 350, 3.5],
    ]);
  });

  it('names a missing shard, a shard without layer costs, and a folder without shards; writes nothing then', async () => {
    const dir = await folder();
    await expect(mergeShardFiles(dir)).rejects.toThrow(`${join(dir, 'private_predictions.shard-0-of-N.csv')}: no shard outputs to merge`);
    await shard(dir, 1, 3, ['b'], 1);
    await shard(dir, 0, 3, ['a'], 1);
    await expect(mergeShardFiles(dir)).rejects.toThrow('shard(s) 2 of 3 missing (found 0, 1)');
    await writeCsv(join(dir, 'private_predictions.shard-2-of-3.csv'), [row('c')], FIDELITY_COLUMNS);
    await expect(mergeShardFiles(dir)).rejects.toThrow(`${join(dir, 'private_cost_layers.shard-2-of-3.csv')}: missing: shard 2 of 3 has predictions but no layer costs`);
    await expect(readFile(join(dir, 'private_predictions.csv'))).rejects.toThrow();
  });

  it('--merge --partial reads every finished query: final shard files, else their partial files (torn lines dropped), never the unsharded file of a sharded run', async () => {
    const dir = await folder();
    await expect(readFinishedQueries(dir)).rejects.toThrow(`${join(dir, 'private_predictions.csv')}: no finished queries yet`);
    await shard(dir, 0, 2, ['a', 'c'], 1);
    // Shard 0 finished (its partial file is ignored); shard 1 is running; a stale unsharded file.
    await writeFile(join(dir, 'private_predictions.shard-0-of-2.partial.csv'), `${FIDELITY_COLUMNS.join(',')}\na,u1,u1,u1,true,0.5,0,1,1,1,1\n`);
    const text = (await readFile(join(dir, 'private_predictions.shard-0-of-2.csv'), 'utf8')).split('\n');
    await writeFile(join(dir, 'private_predictions.shard-1-of-2.partial.csv'), `${text[0]}\n${text[1]!.replace(/^a,/, 'b,')}\n${text[2]!.replace(/^c,/, 'd,').slice(0, 8)}`);
    await writeCsv(join(dir, 'private_predictions.csv'), [row('zz')], FIDELITY_COLUMNS);
    const rows = await readFinishedQueries(dir);
    expect(rows.map((r) => r.image)).toEqual(['a', 'c', 'b']);
  });

  it('a protocol tag keeps a version\'s shards, merge and partial reads apart from the v1 files in the same folder', async () => {
    const dir = await folder();
    await shard(dir, 0, 1, ['a', 'b'], 10); // v1
    await writeCsv(join(dir, 'private_predictions.v3.shard-0-of-1.csv'), [row('x')], FIDELITY_COLUMNS);
    await writeCsv(join(dir, 'private_cost_layers.v3.shard-0-of-1.csv'), [layer('conv', 5)], LAYER_COLUMNS);
    await writeFile(join(dir, 'private_predictions.v3.partial.csv'), `${FIDELITY_COLUMNS.join(',')}\n`);
    expect((await mergeShardFiles(dir, '.v3')).map((r) => r.image)).toEqual(['x']);
    expect(parseCsvText(await readFile(join(dir, 'private_predictions.v3.csv'), 'utf8')).map((r) => r['image'])).toEqual(['x']);
    await expect(readFile(join(dir, 'private_predictions.csv'))).rejects.toThrow();
    expect((await mergeShardFiles(dir)).map((r) => r.image)).toEqual(['a', 'b']);
    expect((await readFinishedQueries(dir, '.v3')).map((r) => r.image)).toEqual(['x']);
    expect((await readFinishedQueries(dir)).map((r) => r.image)).toEqual(['a', 'b']);
    await expect(mergeShardFiles(dir, '.v2')).rejects.toThrow(`${join(dir, 'private_predictions.v2.shard-0-of-N.csv')}: no shard outputs to merge`);
  });

  it('reads an image list (comments and blank lines skipped); names the file when missing, empty or listing an unknown id', async () => {
    const dir = await folder();
    const list = join(dir, 'images.txt');
    await writeFile(list, '# two\nb\n\n  a  \n');
    expect([...(await readImageList(list, new Set(['a', 'b', 'c'])))]).toEqual(['b', 'a']);
    await expect(readImageList(join(dir, 'none.txt'), new Set())).rejects.toThrow(`${join(dir, 'none.txt')}: image list not found`);
    await writeFile(list, '# nothing\n\n');
    await expect(readImageList(list, new Set(['a']))).rejects.toThrow(`${list}: the image list is empty`);
    await writeFile(list, 'a\nq\nr\n');
    await expect(readImageList(list, new Set(['a']))).rejects.toThrow(`${list}: 2 listed image(s) are not test images of this run, e.g. 'q'`);
  });
});
