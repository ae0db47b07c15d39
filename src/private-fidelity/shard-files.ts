import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunError } from '../errors.js';
import { FIDELITY_COLUMNS, LAYER_COLUMNS } from '../mpc-sim/private-reconstructor/fidelity.js';
import { mergeFidelityShards, type FidelityRow, type FidelityShard, type LayerRow } from '../mpc-sim/private-reconstructor/fidelity-rows.js';
import { readCsv, readGrowingCsv, writeCsv } from '../report/csv.js';

/**
 * Merges the outputs of `--shard 0/n ... n-1/n` in `dir` (all must be complete) into
 * `private_predictions.csv` and `private_cost_layers.csv`, and returns the merged rows.
 * @throws RunError naming the file if a shard or a shard's layer file is missing.
 */
export async function mergeShardFiles(dir: string, tag = ''): Promise<FidelityRow[]> {
  const { predictions, layers } = mergeFidelityShards(await readShards(dir, tag));
  await writeCsv(join(dir, `private_predictions${tag}.csv`), predictions, FIDELITY_COLUMNS);
  await writeCsv(join(dir, `private_cost_layers${tag}.csv`), layers, LAYER_COLUMNS);
  return predictions;
}

/** `tag` (a protocol suffix such as `.v3`, or '') escaped for a regular expression. */
function escapeTag(tag: string): string {
  return tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The completed shards of a sharded fidelity run in `dir` (a shard's CSV files are written when
 * its process ends).
 * @throws RunError naming the file if a shard's layer file is missing or no shard file exists.
 */
export async function readShards(dir: string, tag = ''): Promise<FidelityShard[]> {
  const shardFile = new RegExp(`^private_predictions${escapeTag(tag)}\\.shard-(\\d+)-of-(\\d+)\\.csv$`);
  const shards: FidelityShard[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const match = shardFile.exec(name);
    if (match === null) continue;
    const [index, count] = [Number(match[1]), Number(match[2])];
    const layersPath = join(dir, `private_cost_layers${tag}.shard-${index}-of-${count}.csv`);
    let layers: LayerRow[];
    try {
      layers = (await readCsv(layersPath)) as LayerRow[];
    } catch {
      throw new RunError(layersPath, `missing: shard ${index} of ${count} has predictions but no layer costs`);
    }
    shards.push({ index, count, source: name, predictions: (await readCsv(join(dir, name))) as FidelityRow[], layers });
  }
  if (shards.length === 0) throw new RunError(join(dir, `private_predictions${tag}.shard-0-of-N.csv`), 'no shard outputs to merge (run with --shard i/n first)');
  return shards;
}


/**
 * Every query a (possibly sharded, possibly still running) fidelity run in `dir` has finished:
 * the rows of each final `private_predictions*.csv` and, for shards without one, of its
 * `.partial.csv` (torn last lines dropped). A sharded run's unsharded file is ignored.
 */
export async function readFinishedQueries(dir: string, tag = ''): Promise<FidelityRow[]> {
  const finished = new RegExp(`^private_predictions${escapeTag(tag)}(\\.shard-\\d+-of-\\d+)?(\\.partial)?\\.csv$`);
  const names = (await readdir(dir)).filter((n) => finished.test(n)).sort();
  const sharded = names.some((n) => n.includes('.shard-'));
  const rows: FidelityRow[] = [];
  for (const name of names) {
    const partial = name.endsWith('.partial.csv');
    if (sharded && !name.includes('.shard-')) continue;
    if (partial && names.includes(name.replace('.partial.csv', '.csv'))) continue;
    rows.push(...(((await readGrowingCsv(join(dir, name))) ?? []) as FidelityRow[]));
  }
  if (rows.length === 0) throw new RunError(join(dir, `private_predictions${tag}.csv`), 'no finished queries yet');
  return rows;
}

/**
 * The test image ids listed in `path` (one per line; blank lines and lines starting with # are
 * skipped).
 * @throws RunError naming the file if it cannot be read, lists nothing, or lists an id that is
 *   not a test image of the run.
 */
export async function readImageList(path: string, testIds: ReadonlySet<string>): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RunError(path, 'image list not found');
  }
  const ids = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (ids.length === 0) throw new RunError(path, 'the image list is empty');
  const unknown = ids.filter((id) => !testIds.has(id));
  if (unknown.length > 0) throw new RunError(path, `${unknown.length} listed image(s) are not test images of this run, e.g. '${unknown[0]}'`);
  return new Set(ids);
}
