import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import sharp from 'sharp';
import type { DatasetConfig } from '../config/dataset-schema.js';
import { ConfigError, DatasetError, UsageError } from '../errors.js';
import { silentReporter, type Reporter } from '../progress/reporter.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import type { Rng } from '../util/rng.js';
import { conformImage, decodeRawImageFile } from './decode/image.js';
import { catalogOfFiles } from './load.js';
import { partitionUsers } from './partition.js';
import { pathResolver, planSource } from './sources/index.js';
import type { FileItem } from './sources/types.js';

/** Page geometry of {@link tilePages}: a grid of `rows` x `columns` cells on white paper. */
export interface PageLayout {
  readonly rows: number;
  readonly columns: number;
  /** White border around the grid, in pixels. */
  readonly margin: number;
  /** White space between neighbouring cells, in pixels. */
  readonly gap: number;
}

/** One word of a page: its source item and the top-left corner of its cell. */
export interface PlacedWord {
  readonly item: FileItem;
  readonly x: number;
  readonly y: number;
}

/** One page to compose. */
export interface PagePlan {
  readonly user: string;
  /** Path relative to the output folder: `w<label>/page<k>.png`, k from 1. */
  readonly path: string;
  readonly words: readonly PlacedWord[];
}

/** What {@link tilePages} wrote. */
export interface TileSummary {
  readonly out: string;
  readonly writers: number;
  readonly pages: number;
  readonly wordsUsed: number;
  /** Words left over after each writer's last full page (they would not fill one). */
  readonly wordsDropped: number;
  /** Writers with fewer words than one page (no page written). */
  readonly writersWithoutPage: readonly string[];
  readonly pageWidth: number;
  readonly pageHeight: number;
  readonly cellWidth: number;
  readonly cellHeight: number;
}

/** Page size for a cell size and layout. */
export function pageSize(layout: PageLayout, cellWidth: number, cellHeight: number): { width: number; height: number } {
  return {
    width: 2 * layout.margin + layout.columns * cellWidth + (layout.columns - 1) * layout.gap,
    height: 2 * layout.margin + layout.rows * cellHeight + (layout.rows - 1) * layout.gap,
  };
}

/**
 * Groups each user's items (sorted by id, code-unit order) into consecutive pages of
 * `rows * columns` words, in reading order (row by row); leftover items that do not fill a page
 * are dropped. Words of one page always come from one user; no item is on two pages.
 */
export function planPages(users: readonly { user: string; items: readonly FileItem[] }[], layout: PageLayout, cellWidth: number, cellHeight: number): PagePlan[] {
  const perPage = layout.rows * layout.columns;
  const pages: PagePlan[] = [];
  for (const { user, items } of users) {
    const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let k = 0; (k + 1) * perPage <= sorted.length; k++) {
      const words = sorted.slice(k * perPage, (k + 1) * perPage).map((item, j) => ({
        item,
        x: layout.margin + (j % layout.columns) * (cellWidth + layout.gap),
        y: layout.margin + Math.floor(j / layout.columns) * (cellHeight + layout.gap),
      }));
      pages.push({ user, path: `w${user}/page${k + 1}.png`, words });
    }
  }
  return pages;
}

/** A decoded grey word image. */
interface GreyWord {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

async function decodeGrey(path: string): Promise<GreyWord> {
  const raw = await decodeRawImageFile(path);
  const data = await conformImage(raw, { width: raw.width, height: raw.height, channels: 1, fit: 'fill', kernel: 'lanczos3' }, path);
  return { width: raw.width, height: raw.height, data };
}

/** Composes one page: white paper, each word centred in its cell (offset floor((cell - word) / 2)). */
function composePage(plan: PagePlan, words: ReadonlyMap<string, GreyWord>, width: number, height: number, cellWidth: number, cellHeight: number): Uint8Array {
  const page = new Uint8Array(width * height).fill(255);
  for (const { item, x, y } of plan.words) {
    const w = words.get(item.path)!;
    const ox = x + Math.floor((cellWidth - w.width) / 2);
    const oy = y + Math.floor((cellHeight - w.height) / 2);
    for (let r = 0; r < w.height; r++) page.set(w.data.subarray(r * w.width, (r + 1) * w.width), (oy + r) * width + ox);
  }
  return page;
}

/** Refuses an `--out` that is a file, a non-empty folder (unless `force`), or inside the source root. */
async function checkOut(out: string, force: boolean, sourceRoot: string | undefined): Promise<void> {
  if (sourceRoot) {
    const rel = relative(sourceRoot, out);
    if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel))) {
      throw new UsageError(`--out: ${out} is inside the source root ${sourceRoot}; write the pages elsewhere`);
    }
  }
  const info = await stat(out).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) throw new UsageError(`--out: ${out} exists and is not a folder`);
  if (!force && (await readdir(out)).length > 0) throw new UsageError(`--out: ${out} exists and is not empty (pass --force to replace it)`);
}

/**
 * Composes page-level images from a word-level file source (`config.source`): the users the
 * config selects (`dataset.users`: classes, minImagesPerUser, maxImagesPerUser, nonPrivateUsers,
 * maxUsers; every image of each, whatever its split), each user's words grouped by
 * {@link planPages}, drawn grey on white paper and written as 8-bit grey PNG
 * `<out>/w<label>/page<k>.png`. Every cell is as large as the largest word. The pages are written
 * to a temporary folder beside `out`, then renamed into place (an existing `out` is replaced
 * only with `force`). Deterministic: the same input gives byte-identical files.
 */
export async function tilePages(
  config: DatasetConfig,
  rng: Rng,
  options: { out: string; layout: PageLayout; force?: boolean; reporter?: Reporter; base?: string },
): Promise<TileSummary> {
  const { layout } = options;
  const reporter = options.reporter ?? silentReporter;
  const base = options.base ?? process.cwd();
  if (config.transforms.patches) throw new ConfigError('dataset.transforms.patches', 'datasets tile composes pages from word images; the config already cuts its source into patches');
  const plan = await planSource(config.source, base);
  if (plan.kind !== 'files') throw new ConfigError('dataset.source.type', `datasets tile reads image files; the ${config.source.type} source holds arrays`);
  const root = 'root' in config.source && typeof config.source.root === 'string' ? pathResolver(base)(config.source.root) : undefined;
  const out = resolve(base, options.out);
  await checkOut(out, Boolean(options.force), root);

  const partition = partitionUsers(catalogOfFiles(plan.items), config, rng.child('partition'));
  const users = [
    ...partition.users.map((u) => ({ user: u.user, indices: [...u.train, ...u.validation, ...u.calibration, ...u.test] })),
    ...partition.nonPrivate.map((u) => ({ user: u.user, indices: [...u.images] })),
  ].map(({ user, indices }) => {
    if (!/^[\w.-]+$/.test(user) || user.startsWith('.')) throw new DatasetError(`class "${user}"`, 'cannot name a page folder (letters, digits, _ . - only)');
    return { user, items: [...new Set(indices)].map((i) => plan.items[i]!) };
  });
  const perPage = layout.rows * layout.columns;
  const writersWithoutPage = users.filter((u) => u.items.length < perPage).map((u) => u.user);
  // Which words are drawn does not depend on the cell size: plan once to find them, decode only those.
  const toDecode = planPages(users, layout, 0, 0).flatMap((p) => p.words.map((w) => w.item));
  if (toDecode.length === 0) throw new DatasetError(String(config.source.type), `no selected user has the ${perPage} word images one page of ${layout.rows} x ${layout.columns} needs`);
  const decoding = reporter.task('decoding words', toDecode.length);
  const decoded = await mapConcurrent(toDecode, config.concurrency, async (item) => {
    const word = await decodeGrey(item.path);
    decoding.tick();
    return [item.path, word] as const;
  });
  decoding.done();
  const words = new Map(decoded);
  const cellWidth = decoded.reduce((m, [, w]) => Math.max(m, w.width), 0);
  const cellHeight = decoded.reduce((m, [, w]) => Math.max(m, w.height), 0);
  const plans = planPages(users, layout, cellWidth, cellHeight);
  const { width, height } = pageSize(layout, cellWidth, cellHeight);

  await mkdir(dirname(out), { recursive: true });
  const temp = await mkdtemp(join(dirname(out), `.${basename(out)}.tmp-`));
  try {
    const writing = reporter.task('writing pages', plans.length);
    await mapConcurrent(plans, config.concurrency, async (p) => {
      const pixels = composePage(p, words, width, height, cellWidth, cellHeight);
      const png = await sharp(pixels, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer();
      await mkdir(join(temp, dirname(p.path)), { recursive: true });
      await writeFile(join(temp, p.path), png);
      writing.tick();
    });
    writing.done();
    await rm(out, { recursive: true, force: true });
    await rename(temp, out);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  const wordsUsed = plans.length * perPage;
  return {
    out,
    writers: new Set(plans.map((p) => p.user)).size,
    pages: plans.length,
    wordsUsed,
    wordsDropped: users.reduce((n, u) => n + u.items.length, 0) - wordsUsed,
    writersWithoutPage,
    pageWidth: width,
    pageHeight: height,
    cellWidth,
    cellHeight,
  };
}

/** The summary as printed by `privedge datasets tile`. */
export function formatTileSummary(s: TileSummary, layout: PageLayout): string {
  const lines = [
    `pages          ${s.pages} page(s) of ${layout.rows} x ${layout.columns} words, ${s.pageWidth} x ${s.pageHeight} (W x H) grey PNG, cells ${s.cellWidth} x ${s.cellHeight}, margin ${layout.margin}, gap ${layout.gap}`,
    `writers        ${s.writers} with pages${s.writersWithoutPage.length > 0 ? `, ${s.writersWithoutPage.length} with fewer than ${layout.rows * layout.columns} words (no page)` : ''}`,
    `words          ${s.wordsUsed} used, ${s.wordsDropped} dropped (left over after each writer's last full page)`,
    `written to     ${s.out}`,
  ];
  return `${lines.join('\n')}\n`;
}
