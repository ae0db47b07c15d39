import type { DatasetConfig, PatchesConfig } from '../config/dataset-schema.js';
import { ConfigError, DatasetError } from '../errors.js';
import { silentReporter, type Reporter } from '../progress/reporter.js';
import { sha256Hex, stableStringify } from '../util/hash.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import { conformImage, decodeRawImageFile } from './decode/image.js';
import { withCache, type LoadedImages } from './load.js';
import type { FileItem, SourcePlan } from './sources/types.js';
import { extractPatches } from './transforms/patches.js';
import type { AttributeValue } from './types.js';

/** Pages of a file plan worth decoding: all, or only the listed classes when `users.classes` is set. */
export function pagesToCut(plan: Extract<SourcePlan, { kind: 'files' }>, config: DatasetConfig): FileItem[] {
  const classes = config.users.classes;
  if (!classes) return [...plan.items];
  const wanted = new Set(classes);
  return plan.items.filter((item) => wanted.has(item.label));
}

/**
 * Decodes each source image (a page) at its own size, cuts it into patches
 * (`transforms.patches`) and brings each patch to the configured image size (resampled only when
 * the sizes differ), through the on-disk cache. Every patch keeps its page's label and attributes,
 * plus the page id in `sourceAttribute` and its position in `patchX` / `patchY`; its id is
 * `<page id>#x<x>y<y>`. Pages too small for one window or without a window passing the ink filter
 * are named in a note.
 */
export async function loadPatchImages(
  plan: Extract<SourcePlan, { kind: 'files' }>,
  patches: PatchesConfig,
  config: DatasetConfig,
  reporter: Reporter = silentReporter,
): Promise<LoadedImages> {
  const pages = pagesToCut(plan, config);
  if (pages.length === 0) throw new DatasetError(String(config.source.type), 'no source image to cut into patches');
  for (const name of [patches.sourceAttribute, 'patchX', 'patchY']) {
    if (pages[0]!.attributes[name] !== undefined) throw new ConfigError('dataset.transforms.patches.sourceAttribute', `the source already has an attribute "${name}"`);
  }
  const itemsHash = sha256Hex(stableStringify(pages.map((i) => [i.id, i.label, i.attributes])));
  const files = [...plan.inputs, ...pages.map((i) => i.path)];
  const loaded = await withCache(config, { itemsHash, patches }, files, reporter, plan.notes, async () => {
    const { width, height, channels } = config.image;
    const size = width * height * channels;
    const task = reporter.task('cutting pages into patches', pages.length);
    const perPage = await mapConcurrent(pages, config.concurrency, async (page) => {
      const raw = await decodeRawImageFile(page.path);
      const cut = extractPatches(raw, patches);
      const pixels = await Promise.all(cut.map((p) => conformImage(p.image, config.image, `${page.path} patch (${p.x}, ${p.y})`)));
      task.tick();
      return { page, size: [raw.width, raw.height] as const, cut, pixels };
    });
    task.done();
    const count = perPage.reduce((n, p) => n + p.cut.length, 0);
    const pixels = new Uint8Array(count * size);
    const labels: string[] = [];
    const ids: string[] = [];
    const sourceSizes: (readonly [number, number])[] = [];
    const names = [...Object.keys(pages[0]!.attributes), patches.sourceAttribute, 'patchX', 'patchY'];
    const attributes: Record<string, AttributeValue[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const { page, size: pageSize, cut, pixels: list } of perPage) {
      cut.forEach((p, k) => {
        pixels.set(list[k]!, labels.length * size);
        labels.push(page.label);
        ids.push(`${page.id}#x${p.x}y${p.y}`);
        sourceSizes.push(pageSize);
        const values: Record<string, AttributeValue> = { ...page.attributes, [patches.sourceAttribute]: page.id, patchX: p.x, patchY: p.y };
        for (const n of names) attributes[n]!.push(values[n]!);
      });
    }
    if (count === 0) throw new DatasetError(String(config.source.type), `no patch of ${patches.width} x ${patches.height} passes the ink filter [${patches.minInk}, ${patches.maxInk}] in any of the ${pages.length} source image(s)`);
    return { width, height, channels, pixels, labels, ids, attributes, count, sourceSizes };
  });
  const cutFrom = new Set(loaded.images.attributes[patches.sourceAttribute]!.map(String));
  const empty = pages.filter((p) => !cutFrom.has(p.id)).map((p) => p.id);
  const notes = [...loaded.notes];
  if (empty.length > 0) notes.push(`${empty.length} source image(s) gave no patch (too small or too little ink), e.g. ${empty.slice(0, 3).join(', ')}`);
  return { ...loaded, notes };
}
