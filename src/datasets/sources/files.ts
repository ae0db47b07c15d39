import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { SourceConfig } from '../../config/dataset-schema.js';
import { DatasetError } from '../../errors.js';
import { expandPattern, hasWildcard } from '../../util/glob.js';
import { naturalCompare } from '../../util/natural-sort.js';
import type { AttributeValue } from '../types.js';
import { describeTally, emptyTally, keepImageFiles } from './file-scan.js';
import type { FileItem, SourcePlan } from './types.js';

type FolderConfig = Extract<SourceConfig, { type: 'folder' }>;
type CsvConfig = Extract<SourceConfig, { type: 'csv' }>;
type FilenameConfig = Extract<SourceConfig, { type: 'filename' }>;

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
  const total = emptyTally();
  for (const label of classes) {
    const dir = join(root, label);
    const tally = emptyTally();
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(dir, e.name));
    const files = (await keepImageFiles(entries, tally)).map((p) => basename(p)).sort(naturalCompare);
    if (files.length === 0) throw new DatasetError(dir, `class "${label}" has no image file (found by content): ${describeTally(tally)}`);
    for (const name of files) items.push({ path: join(dir, name), id: `${label}/${name}`, label, attributes: {} });
    total.seen += tally.seen;
    total.hidden += tally.hidden;
    total.notImages += tally.notImages;
    for (const e of tally.notImageExamples) if (total.notImageExamples.length < 3) total.notImageExamples.push(`${label}/${e}`);
  }
  const notes = total.notImages + total.hidden > 0 ? [describeTally(total)] : [];
  return { kind: 'files', items, inputs: [], notes };
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
      const path = resolve(dir, file);
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
  const tally = emptyTally();
  const listed = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const files = (await keepImageFiles(listed, tally)).sort(naturalCompare);
  const items: FileItem[] = [];
  const seen = new Map<string, string>();
  const unmatched: string[] = [];
  let duplicates = 0;
  const onPath = config.matchOn === 'path';
  for (const path of files) {
    const name = basename(path);
    const subject = onPath ? relative(root, path).split(sep).join('/') : name;
    const match = pattern.exec(subject);
    if (!match) {
      unmatched.push(subject);
      continue;
    }
    const label = match.groups?.['label'] ?? match[1] ?? match[0];
    if (!label) throw new DatasetError(path, `pattern ${config.pattern} matched but captured an empty label`);
    const previous = onPath ? undefined : seen.get(name);
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
  const what = onPath ? 'path relative to the root' : 'file name';
  const mismatch = unmatched.length > 0 ? [`${unmatched.length} image(s) whose ${what} does not match (e.g. ${unmatched.slice(0, 2).join(', ')})`] : [];
  if (items.length === 0) {
    const hint = !onPath && files.some((f) => pattern.test(relative(root, f).split(sep).join('/'))) ? ' (it matches paths relative to the root: set matchOn: path)' : '';
    throw new DatasetError(root, `no image ${what} matches ${config.pattern}${hint}: ${describeTally(tally, mismatch)}`);
  }
  const notes = [];
  if (tally.hidden + tally.notImages > 0) notes.push(describeTally(tally));
  if (unmatched.length > 0) notes.push(`${mismatch[0]}: skipped`);
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
