import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { SourceConfig } from '../../config/dataset-schema.js';
import { DatasetError } from '../../errors.js';
import { expandPattern, hasWildcard } from '../../util/glob.js';
import { naturalCompare } from '../../util/natural-sort.js';
import { imageExtensions } from '../decode/image.js';
import type { AttributeValue } from '../types.js';
import type { FileItem, SourcePlan } from './types.js';

type FolderConfig = Extract<SourceConfig, { type: 'folder' }>;
type CsvConfig = Extract<SourceConfig, { type: 'csv' }>;
type FilenameConfig = Extract<SourceConfig, { type: 'filename' }>;

function isImageFile(name: string): boolean {
  return !name.startsWith('.') && imageExtensions.includes(extname(name).toLowerCase());
}

async function requireFolder(path: string, what: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new DatasetError(path, `${what} not found`);
  }
  if (!info.isDirectory()) throw new DatasetError(path, `${what} is not a folder`);
}

/** A numeric-looking attribute value becomes a number, anything else stays a string. */
export function attributeValue(text: string): AttributeValue {
  const t = text.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

/** One sub-folder per class; every image file inside is an image of that class. */
export async function planFolder(config: FolderConfig, resolvePath: (p: string) => string): Promise<SourcePlan> {
  const root = resolvePath(config.root);
  await requireFolder(root, 'dataset root folder');
  const entries = await readdir(root, { withFileTypes: true });
  const classes = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(naturalCompare);
  if (classes.length === 0) throw new DatasetError(root, 'has no class sub-folders');
  const items: FileItem[] = [];
  for (const label of classes) {
    const dir = join(root, label);
    const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && isImageFile(e.name)).map((e) => e.name).sort(naturalCompare);
    if (files.length === 0) throw new DatasetError(dir, `class "${label}" is empty: no image files (${imageExtensions.join(' ')})`);
    for (const name of files) items.push({ path: join(dir, name), id: `${label}/${name}`, label, attributes: {} });
  }
  return { kind: 'files', items, inputs: [], notes: [] };
}

/** CSV manifests (letters layout `letter,label,file,background`); files are relative to their manifest. */
export async function planCsv(config: CsvConfig, resolvePath: (p: string) => string, base: string): Promise<SourcePlan> {
  const patterns = typeof config.manifests === 'string' ? [config.manifests] : config.manifests;
  const manifests: string[] = [];
  for (const pattern of patterns) {
    const found = hasWildcard(pattern) ? await expandPattern(resolvePath(pattern), base) : [resolvePath(pattern)];
    if (found.length === 0) throw new DatasetError(resolvePath(pattern), 'no manifest matches this pattern');
    manifests.push(...found);
  }
  const common = commonFolder(manifests.map(dirname));
  const items: FileItem[] = [];
  for (const manifest of manifests) {
    let text: string;
    try {
      text = await readFile(manifest, 'utf8');
    } catch {
      throw new DatasetError(manifest, 'manifest not found');
    }
    let rows: Record<string, string>[];
    try {
      rows = parseCsv(text, { columns: true, bom: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
    } catch (error) {
      throw new DatasetError(manifest, `malformed CSV: ${(error as Error).message}`);
    }
    const header = rows.length > 0 ? Object.keys(rows[0]!) : parseCsv(text.split(/\r?\n/)[0] ?? '', { bom: true })[0] ?? [];
    for (const column of [config.fileColumn, config.labelColumn, ...config.attributeColumns]) {
      if (!header.includes(column)) {
        throw new DatasetError(manifest, `no "${column}" column (columns: ${header.join(', ') || 'none'})`);
      }
    }
    if (rows.length === 0) throw new DatasetError(manifest, 'manifest has no rows');
    const dir = dirname(manifest);
    rows.forEach((row, i) => {
      const file = row[config.fileColumn]!;
      const label = row[config.labelColumn]!;
      if (!file) throw new DatasetError(manifest, `row ${i + 2}: empty "${config.fileColumn}"`);
      if (!label) throw new DatasetError(manifest, `row ${i + 2}: empty "${config.labelColumn}"`);
      const attributes: Record<string, AttributeValue> = {};
      for (const column of config.attributeColumns) attributes[column] = attributeValue(row[column] ?? '');
      const path = join(dir, file);
      items.push({ path, id: relative(common, path), label, attributes });
    });
  }
  return { kind: 'files', items, inputs: manifests, notes: [`${manifests.length} manifest(s)`] };
}

/** Every image below a folder whose name matches a pattern; group `label` (or group 1) is the class. */
export async function planFilename(config: FilenameConfig, resolvePath: (p: string) => string): Promise<SourcePlan> {
  const root = resolvePath(config.root);
  await requireFolder(root, 'dataset root folder');
  let pattern: RegExp;
  try {
    pattern = new RegExp(config.pattern);
  } catch (error) {
    throw new DatasetError(root, `bad filename pattern ${config.pattern}: ${(error as Error).message}`);
  }
  const files = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && isImageFile(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort(naturalCompare);
  const items: FileItem[] = [];
  const seen = new Map<string, string>();
  let unmatched = 0;
  let duplicates = 0;
  for (const path of files) {
    const name = basename(path);
    const match = pattern.exec(name);
    if (!match) {
      unmatched++;
      continue;
    }
    const label = match.groups?.['label'] ?? match[1] ?? match[0];
    if (!label) throw new DatasetError(path, `pattern ${config.pattern} matched but captured an empty label`);
    const previous = seen.get(name);
    if (previous !== undefined) {
      if (config.duplicates === 'error') throw new DatasetError(path, `same file name as ${previous} (set duplicates: first or keep)`);
      if (config.duplicates === 'first') {
        duplicates++;
        continue;
      }
    } else seen.set(name, path);
    const attributes: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(match.groups ?? {})) if (k !== 'label' && v !== undefined) attributes[k] = attributeValue(v);
    items.push({ path, id: relative(root, path), label, attributes });
  }
  if (items.length === 0) throw new DatasetError(root, `no image file name matches ${config.pattern}`);
  const notes = [];
  if (unmatched > 0) notes.push(`${unmatched} file(s) did not match the pattern and were skipped`);
  if (duplicates > 0) notes.push(`${duplicates} file(s) with a name already seen were skipped (duplicates: first)`);
  return { kind: 'files', items, inputs: [], notes };
}

function commonFolder(dirs: readonly string[]): string {
  if (dirs.length === 0) return '.';
  let common = dirs[0]!;
  for (const d of dirs.slice(1)) {
    while (!(d === common || d.startsWith(common.endsWith('/') ? common : `${common}/`))) {
      const up = dirname(common);
      if (up === common) return common;
      common = up;
    }
  }
  return common;
}
