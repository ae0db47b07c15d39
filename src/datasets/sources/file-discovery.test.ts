import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { writeBmp } from '../../testing/bmp-writer.js';
import { datasetConfig, sharedDatasets, tempDir } from '../../testing/fixtures.js';
import { Rng } from '../../util/rng.js';
import { prepareDataset } from '../prepare.js';

const rng = Rng.fromSeed(7).child('data');
const orl = (path: string): string => join(sharedDatasets(), 'orl-faces', path);
const greyOf = (pgm: Buffer): Buffer => pgm.subarray(pgm.length - 92 * 112);

/**
 * A Yale-like layout made from ORL faces: `subject0K.<condition>` files without an image
 * extension, GIF (written by sharp) or BMP (our writer), plus a README and a dot file.
 */
async function yaleLike(dir: string): Promise<Map<string, Buffer>> {
  const grey = new Map<string, Buffer>();
  const conditions = ['centerlight', 'glasses', 'happy', 'sad'];
  for (const subject of [1, 2, 3]) {
    for (const [k, condition] of conditions.entries()) {
      const pixels = greyOf(await readFile(orl(`s${subject}/${k + 1}.pgm`)));
      const name = `subject0${subject}.${condition}`;
      grey.set(name, pixels);
      const bytes =
        k % 2 === 0
          ? await sharp(pixels, { raw: { width: 92, height: 112, channels: 1 } }).gif().toBuffer()
          : writeBmp(92, 112, pixels, { bits: 8, palette: Array.from({ length: 256 }, (_, v) => [v, v, v] as const) });
      await writeFile(join(dir, name), bytes);
    }
  }
  await writeFile(join(dir, 'Readme.txt'), 'Yale-like faces, GIF and BMP without extensions\n');
  await writeFile(join(dir, '.DS_Store'), Buffer.alloc(64));
  return grey;
}

describe('files are found by content, not by extension', () => {
  it('filename source: extension-less GIF and BMP faces load (the pattern matched nothing before: the files were dropped by extension)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const grey = await yaleLike(dir);
      const config = datasetConfig({
        source: { type: 'filename', root: dir, pattern: '^subject(?<label>\\d+)\\.(?<condition>[a-z]+)$' },
        image: { width: 92, height: 112, channels: 1 },
        split: { validationFraction: 0 },
      });
      const data = await prepareDataset(config, rng);
      expect(data.sourceImages).toBe(12);
      expect(data.partition.users.map((u) => u.user)).toEqual(['01', '02', '03']);
      expect(data.load.notes.join(' ')).toContain('14 file(s) seen, skipped: 1 hidden (dot) file(s), 1 not an image by content (e.g. Readme.txt)');
      for (let k = 0; k < data.images.count; k++) {
        const id = data.images.ids[k]!;
        expect(data.images.attributes['condition']![k]).toBe(id.split('.')[1]);
        const got = data.images.pixels.subarray(k * 92 * 112, (k + 1) * 92 * 112);
        expect(Buffer.from(got).equals(grey.get(id)!)).toBe(true); // 8-bit grey GIF and BMP are lossless
      }
    } finally {
      await cleanup();
    }
  });

  it('folder source: extension-less images inside class folders load; an empty class says what was seen and skipped', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (const s of ['s1', 's2']) {
        await mkdir(join(dir, s));
        for (let i = 1; i <= 3; i++) await copyFile(orl(`${s}/${i}.pgm`), join(dir, s, `face${i}`));
      }
      const data = await prepareDataset(datasetConfig({ source: { type: 'folder', root: dir }, image: { width: 92, height: 112 } }), rng);
      expect(data.sourceImages).toBe(6);
      expect([...data.images.ids].sort()).toEqual(['s1/face1', 's1/face2', 's1/face3', 's2/face1', 's2/face2', 's2/face3']);
      await mkdir(join(dir, 's3'));
      await writeFile(join(dir, 's3/notes.txt'), 'no faces here');
      await writeFile(join(dir, 's3/labels.csv'), 'a,b\n');
      await writeFile(join(dir, 's3/.hidden.png'), await readFile(orl('s1/1.pgm')));
      await expect(prepareDataset(datasetConfig({ source: { type: 'folder', root: dir } }), rng)).rejects.toThrow(
        `${join(dir, 's3')}: class "s3" has no image file (found by content): 3 file(s) seen, skipped: 1 hidden (dot) file(s), 2 not an image by content (e.g. labels.csv, notes.txt)`,
      );
    } finally {
      await cleanup();
    }
  });

  it('filename source: "nothing matches" counts files seen, non-images and mismatches, with a hint when the relative path would match', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await mkdir(join(dir, 'w7'));
      await copyFile(orl('s1/1.pgm'), join(dir, 'w7/p1.pgm'));
      await writeFile(join(dir, 'w7/list.txt'), 'x');
      const config = datasetConfig({ source: { type: 'filename', root: dir, pattern: '^w(?<label>\\d+)/p\\d+\\.pgm$' } });
      await expect(prepareDataset(config, rng)).rejects.toThrow(
        `${dir}: no image file name matches ^w(?<label>\\d+)/p\\d+\\.pgm$ (it matches paths relative to the root: set matchOn: path): 2 file(s) seen, skipped: 1 not an image by content (e.g. list.txt), 1 image(s) whose file name does not match (e.g. p1.pgm)`,
      );
    } finally {
      await cleanup();
    }
  });
});

describe('the filename pattern can see the path relative to the root', () => {
  it('writer from the folder name, page and line from the file name (CEDAR word images as w<writer>/page<p>_<line>.png)', async () => {
    const cedar = join(sharedDatasets(), 'cedar-and/TrainingSet');
    const { dir, cleanup } = await tempDir();
    try {
      const expected = new Map<string, { writer: string; page: number; line: number; source: string }>();
      const listing = (await readdir(cedar)).sort();
      for (const writer of ['0001', '0004']) {
        await mkdir(join(dir, `w${writer}`));
        const names = listing.filter((n) => n.startsWith(writer)).slice(0, 6);
        for (let s = 3; s <= 8; s++) {
          const source = join(cedar, names[s - 3]!);
          const id = `w${writer}/page${s % 2}_${String(s).padStart(2, '0')}.png`;
          await copyFile(source, join(dir, id));
          expected.set(id, { writer, page: s % 2, line: s, source });
        }
      }
      const config = datasetConfig({
        source: { type: 'filename', root: dir, pattern: '^w(?<label>\\d+)/page(?<page>\\d+)_(?<line>\\d+)\\.png$', matchOn: 'path' },
        image: { width: 64, height: 64 },
      });
      const data = await prepareDataset(config, rng);
      expect(data.images.count).toBe(12);
      for (let k = 0; k < data.images.count; k++) {
        const e = expected.get(data.images.ids[k]!)!;
        expect(data.images.labels[k]).toBe(e.writer);
        expect(data.images.attributes['page']![k]).toBe(e.page);
        expect(data.images.attributes['line']![k]).toBe(e.line);
        const { data: ref } = await sharp(e.source).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        expect(Buffer.from(data.images.pixels.subarray(k * 64 * 64 * 3, (k + 1) * 64 * 64 * 3)).equals(ref)).toBe(true);
      }
    } finally {
      await cleanup();
    }
  });
});
