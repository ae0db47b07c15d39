import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';

/**
 * Expands a path pattern whose segments may contain `*` and `?` (no `**`), relative to `base`.
 * Returns absolute paths in sorted order; an empty array when nothing matches.
 */
export async function expandPattern(pattern: string, base: string): Promise<string[]> {
  const absolute = isAbsolute(pattern) ? pattern : resolve(base, pattern);
  const parts = absolute.split(/[\\/]+/);
  let current = [parts[0] === '' ? sep : parts[0]!];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    if (!/[*?]/.test(part)) {
      for (const dir of current) next.push(join(dir, part));
    } else {
      const re = segmentRegExp(part);
      for (const dir of current) {
        let entries: string[];
        try {
          entries = await readdir(dir);
        } catch {
          continue;
        }
        for (const entry of entries.sort()) if (re.test(entry)) next.push(join(dir, entry));
      }
    }
    current = next;
  }
  return current.sort();
}

/** Whether a string contains glob wildcards. */
export function hasWildcard(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

function segmentRegExp(segment: string): RegExp {
  const body = segment
    .split('')
    .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}
