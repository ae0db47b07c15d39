import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { naturalCompare } from '../util/natural-sort.js';
import { readManifest, type RunManifest } from '../runner/run-folder.js';
import { runState, type RunState } from '../runner/run-state.js';
import { previewCsv, type CsvPreview } from './tables.js';

/** An image of a run that is not a chart rendering (e.g. `samples.png`). */
export interface RunImage {
  readonly file: string;
  readonly bytes: number;
  /** A `data:` URL, or null when the file is larger than the embedding limit. */
  readonly dataUrl: string | null;
}

/** Everything the report shows of one run folder. */
export interface RunData {
  readonly dir: string;
  readonly manifest: RunManifest;
  /** What to believe of the run: its status, or `stale` when it says running but its process is gone. */
  readonly state: RunState;
  /** The text of `run.json` as stored. */
  readonly manifestText: string;
  /** `config.resolved.yaml`, or null when missing. */
  readonly configYaml: string | null;
  /** Charts: `<name>.svg` files, with their SVG text. */
  readonly charts: readonly { readonly file: string; readonly svg: string }[];
  readonly images: readonly RunImage[];
  readonly tables: readonly CsvPreview[];
}

/** Limits of what a report embeds from one run. */
export interface RunDataOptions {
  /** Data rows shown per CSV file. */
  readonly maxRows: number;
  /** Largest image (bytes) embedded as a data URL. */
  readonly maxImageBytes: number;
}

const IMAGE_TYPES: Readonly<Record<string, string>> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Reads what the report shows of a run folder: manifest, resolved config, chart SVGs, other images
 * (a PNG with an SVG of the same name is that chart's rendering and is left out) and the first rows
 * of every CSV file.
 */
export async function readRunData(dir: string, options: RunDataOptions): Promise<RunData> {
  const manifest = await readManifest(dir);
  const manifestText = (await readOptional(join(dir, 'run.json'))) ?? '';
  const configYaml = await readOptional(join(dir, 'config.resolved.yaml'));
  const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort(naturalCompare);
  const stems = new Set(files.filter((f) => f.endsWith('.svg')).map((f) => f.slice(0, -4)));

  const charts: { file: string; svg: string }[] = [];
  const images: RunImage[] = [];
  const tables: CsvPreview[] = [];
  for (const file of files) {
    const ext = extname(file).toLowerCase();
    const path = join(dir, file);
    if (ext === '.svg') {
      charts.push({ file, svg: await readFile(path, 'utf8') });
    } else if (ext === '.csv') {
      tables.push(await previewCsv(path, options.maxRows));
    } else if (IMAGE_TYPES[ext] && !stems.has(file.slice(0, -ext.length))) {
      const bytes = (await stat(path)).size;
      const dataUrl = bytes <= options.maxImageBytes ? `data:${IMAGE_TYPES[ext]};base64,${(await readFile(path)).toString('base64')}` : null;
      images.push({ file, bytes, dataUrl });
    }
  }
  return { dir, manifest, state: runState(manifest), manifestText, configYaml, charts, images, tables };
}
