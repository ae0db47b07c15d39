import { basename, extname } from 'node:path';
import { mapConcurrent } from '../../util/map-concurrent.js';
import { imageExtensions, sniffImageFile } from '../decode/sniff.js';

/** How many files a scan looked at and why it skipped some. */
export interface ScanTally {
  seen: number;
  /** Names starting with a dot. */
  hidden: number;
  /** Files whose first bytes are no image format the decoder reads (a few examples kept). */
  notImages: number;
  notImageExamples: string[];
}

/** An empty tally. */
export function emptyTally(): ScanTally {
  return { seen: 0, hidden: 0, notImages: 0, notImageExamples: [] };
}

/**
 * Keeps the image files among `paths`: a known image extension is accepted without reading (the
 * fast path); any other file (no extension, `.centerlight`, `.dat`, ...) is kept when its first
 * bytes are an image format's magic. Dot files are skipped. Counts go into `tally`.
 */
export async function keepImageFiles(paths: readonly string[], tally: ScanTally): Promise<string[]> {
  const verdicts = await mapConcurrent(paths, 32, async (path) => {
    const name = basename(path);
    if (name.startsWith('.')) return 'hidden' as const;
    if (imageExtensions.includes(extname(name).toLowerCase())) return 'image' as const;
    try {
      return (await sniffImageFile(path)) ? ('image' as const) : ('not-image' as const);
    } catch {
      return 'not-image' as const;
    }
  });
  const kept: string[] = [];
  verdicts.forEach((verdict, i) => {
    tally.seen++;
    if (verdict === 'image') kept.push(paths[i]!);
    else if (verdict === 'hidden') tally.hidden++;
    else {
      tally.notImages++;
      if (tally.notImageExamples.length < 3) tally.notImageExamples.push(basename(paths[i]!));
    }
  });
  return kept;
}

/**
 * "12 file(s) seen, skipped: 2 hidden (dot) file(s), 5 not an image by content (e.g. a.txt)", with
 * `more` reasons (e.g. pattern mismatches) appended; ", none skipped" when there is no reason.
 */
export function describeTally(tally: ScanTally, more: readonly string[] = []): string {
  const reasons: string[] = [];
  if (tally.hidden > 0) reasons.push(`${tally.hidden} hidden (dot) file(s)`);
  if (tally.notImages > 0) reasons.push(`${tally.notImages} not an image by content (e.g. ${tally.notImageExamples.join(', ')})`);
  reasons.push(...more);
  return `${tally.seen} file(s) seen, ${reasons.length > 0 ? `skipped: ${reasons.join(', ')}` : 'none skipped'}`;
}
