import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import type { DecodedImages } from './types.js';

/** Bump when the cache file layout or decoding semantics change. */
const CACHE_FORMAT = 'privedge-decoded-v2';

/** The cache folder: config, then $PRIVEDGE_CACHE_DIR, $XDG_CACHE_HOME/privedge, ~/.cache/privedge. */
export function cacheFolder(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (configured) return resolve(configured);
  if (env['PRIVEDGE_CACHE_DIR']) return resolve(env['PRIVEDGE_CACHE_DIR']);
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'privedge');
  return join(homedir(), '.cache', 'privedge');
}

/**
 * Cache key of decoding `files` with `settings`: SHA-256 over the settings and, per file, its path
 * with size and mtime (`stat`) or its whole content (`content`).
 */
export async function cacheKey(settings: unknown, files: readonly string[], verify: 'stat' | 'content'): Promise<string> {
  const parts = await mapConcurrent(files, 64, async (file) => {
    if (verify === 'content') return `${file}\0${createHash('sha256').update(await readFile(file)).digest('hex')}`;
    try {
      const s = await stat(file);
      return `${file}\0${s.size}\0${s.mtimeMs}`;
    } catch {
      return `${file}\0missing`;
    }
  });
  const hash = createHash('sha256').update(CACHE_FORMAT).update('\0').update(JSON.stringify(settings));
  for (const p of parts) hash.update('\0').update(p);
  return hash.digest('hex').slice(0, 32);
}

interface CacheHeader {
  format: string;
  width: number;
  height: number;
  channels: 1 | 3;
  count: number;
  labels: string[];
  ids: string[];
  attributes: Record<string, (string | number)[]>;
  sourceSizes?: [number, number][];
}

/** Reads decoded images from the cache, or undefined when absent or unreadable (then rebuilt). */
export async function readCachedImages(path: string): Promise<DecodedImages | undefined> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch {
    return undefined;
  }
  try {
    const headerLength = buffer.readUInt32LE(0);
    const header = JSON.parse(buffer.subarray(4, 4 + headerLength).toString('utf8')) as CacheHeader;
    const pixels = new Uint8Array(buffer.buffer, buffer.byteOffset + 4 + headerLength, buffer.length - 4 - headerLength);
    if (header.format !== CACHE_FORMAT || pixels.length !== header.count * header.width * header.height * header.channels) return undefined;
    return { ...header, pixels };
  } catch {
    return undefined;
  }
}

/** Writes decoded images to the cache atomically. */
export async function writeCachedImages(path: string, images: DecodedImages): Promise<void> {
  const header: CacheHeader = {
    format: CACHE_FORMAT,
    width: images.width,
    height: images.height,
    channels: images.channels,
    count: images.count,
    labels: [...images.labels],
    ids: [...images.ids],
    attributes: Object.fromEntries(Object.entries(images.attributes).map(([k, v]) => [k, [...v]])),
    ...(images.sourceSizes ? { sourceSizes: images.sourceSizes.map(([w, h]) => [w, h] as [number, number]) } : {}),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  await writeFileAtomic(path, Buffer.concat([length, json, images.pixels]));
}
