import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { sharedDatasets } from './fixtures.js';

/** A page made by tiling CEDAR "and" word images. */
export interface TiledPage {
  readonly writer: string;
  /** Path relative to the folder the pages were written to, e.g. `w0001/page2.png`. */
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /** The word images on the page (file names in `TrainingSet/`) and their top-left corners. */
  readonly words: readonly { readonly name: string; readonly x: number; readonly y: number }[];
}

/** Page geometry: 2 x 2 word images of 64 x 64 at a 24-pixel margin and 16-pixel gaps, plus a blank band on the right. */
export const PAGE = { width: 264, height: 192, margin: 24, gap: 16, word: 64 } as const;

/**
 * Writes handwriting pages for tests: for each of the first `writers` CEDAR writers (natural order
 * of `TrainingSet/`) with at least `pagesPerWriter * 4` word images, `pagesPerWriter` RGB PNG pages
 * `w<writer>/page<k>.png` (k from 1), each tiling 4 distinct word images (2 x 2) on white paper.
 * No word image appears on two pages.
 */
export async function writeCedarPages(dir: string, writers: number, pagesPerWriter: number): Promise<TiledPage[]> {
  const source = join(sharedDatasets(), 'cedar-and/TrainingSet');
  const names = (await readdir(source)).filter((n) => n.endsWith('.png')).sort();
  const byWriter = new Map<string, string[]>();
  for (const n of names) {
    const w = n.slice(0, 4);
    if (!byWriter.has(w)) byWriter.set(w, []);
    byWriter.get(w)!.push(n);
  }
  const chosen = [...byWriter].filter(([, list]) => list.length >= pagesPerWriter * 4).slice(0, writers);
  if (chosen.length < writers) throw new Error(`only ${chosen.length} CEDAR writers have ${pagesPerWriter * 4} word images`);
  const pages: TiledPage[] = [];
  for (const [writer, list] of chosen) {
    await mkdir(join(dir, `w${writer}`), { recursive: true });
    for (let k = 0; k < pagesPerWriter; k++) {
      const words = list.slice(4 * k, 4 * k + 4).map((name, j) => ({
        name,
        x: PAGE.margin + (j % 2) * (PAGE.word + PAGE.gap),
        y: PAGE.margin + Math.floor(j / 2) * (PAGE.word + PAGE.gap),
      }));
      const id = `w${writer}/page${k + 1}.png`;
      await sharp({ create: { width: PAGE.width, height: PAGE.height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
        .composite(words.map((w) => ({ input: join(source, w.name), left: w.x, top: w.y })))
        .png()
        .toFile(join(dir, id));
      pages.push({ writer, id, width: PAGE.width, height: PAGE.height, words });
    }
  }
  return pages;
}
