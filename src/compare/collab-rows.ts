import { join } from 'node:path';
import { RunError } from '../errors.js';
import type { UndefinedPolicy } from '../metrics/confusion.js';
import type { Cell } from '../report/csv.js';
import { fact, scorePredictions, type Scores, type SystemRow, type TestSet } from './rows.js';
import { runCsv, type RunFolder } from './runs.js';
import type { SystemKind } from './who-sees-what.js';

/** The datasets of a collab run (names as in its files). */
export async function collabDatasets(run: RunFolder): Promise<string[]> {
  return [...new Set((await runCsv(run, 'test_images.csv', 'collab')).map((r) => String(r['dataset'])))];
}

/** The test split of one dataset of a collab run, as the reference every other run is checked against. */
export async function collabTestSet(run: RunFolder, dataset: string, policy: UndefinedPolicy, keyPath: string): Promise<TestSet> {
  const rows = (await runCsv(run, 'test_images.csv', 'collab')).filter((r) => String(r['dataset']) === dataset);
  if (rows.length === 0) throw new RunError(join(run.dir, 'test_images.csv'), `${keyPath}: the collab run has no dataset "${dataset}" (it has: ${(await collabDatasets(run)).join(', ')})`);
  const trainImages = fact(run, 'collab', 'datasets', dataset, 'trainImages');
  const imageBytes = fact(run, 'collab', 'datasets', dataset, 'imageBytes');
  if (typeof trainImages !== 'number' || typeof imageBytes !== 'number') throw new RunError(join(run.dir, 'run.json'), `no collab facts for dataset "${dataset}"`);
  const classes: string[] = [];
  for (const r of rows) if (!classes.includes(String(r['label']))) classes.push(String(r['label']));
  return { dataset, classes, labels: new Map(rows.map((r) => [String(r['image']), String(r['label'])])), trainImages, imageBytes, policy };
}

const LABELS: Record<string, [SystemKind, string]> = {
  'weight-transmission-server-aided': ['wt-server-aided', 'Weight transmission, server-aided'],
  'weight-transmission-fully-connected': ['wt-fully-connected', 'Weight transmission, fully connected'],
  'centralised-sgd': ['centralised-sgd', 'Centralised SGD, same model (reference)'],
  'owner-alone': ['owner-alone', 'Each owner alone (mean over owners)'],
};

/**
 * Rows of a collab run for one dataset: per partition, each weight-transmission topology and each
 * owner alone (the mean of the owners' scores), and centralised SGD once (first partition):
 * final-round predictions (`predictions.csv`), training seconds and bytes (`costs.csv`), local
 * prediction seconds per image.
 */
export async function collabRows(run: RunFolder, set: TestSet, partitions: readonly string[] | null): Promise<SystemRow[]> {
  const preds = (await runCsv(run, 'predictions.csv', 'collab')).filter((r) => String(r['dataset']) === set.dataset);
  const costs = (await runCsv(run, 'costs.csv', 'collab')).filter((r) => String(r['dataset']) === set.dataset);
  const available = [...new Set(preds.map((r) => String(r['partition'])))];
  const chosen = partitions ?? available;
  const missing = chosen.filter((p) => !available.includes(p));
  if (missing.length > 0) throw new RunError(join(run.dir, 'predictions.csv'), `no partition ${missing.join(', ')} for ${set.dataset} (the run has: ${available.join(', ')})`);
  const shape = fact(run, 'collab', 'datasets', set.dataset, 'shape') as number[] | undefined;
  const model = fact(run, 'collab', 'datasets', set.dataset, 'model') as Record<string, unknown> | undefined;
  const collabEntry = ((run.config['experiments'] as Record<string, unknown>[] | undefined)?.find((e) => e['id'] === 'collab') ?? {}) as Record<string, unknown>;
  const optimizer = fact(run, 'collab', 'datasets', set.dataset, 'optimizer') as Record<string, unknown> | undefined;
  const roundCount = Number(fact(run, 'collab', 'datasets', set.dataset, 'rounds') ?? collabEntry['rounds']);
  const describe = `${model?.['kind'] === 'vgg' ? `VGG-style ${JSON.stringify(model['blocks'])}` : 'LeNet-5'}, ${optimizer?.['kind'] ?? '?'} ${optimizer?.['learningRate'] ?? ''}, ${roundCount} round${roundCount === 1 ? '' : 's'}, ${collabEntry['owners']} owners`;
  const input = shape ? `${shape[1]}x${shape[0]}x${shape[2]}` : '';
  const where = join(run.dir, 'predictions.csv');
  const pairs = (rows: readonly Record<string, Cell>[]) => rows.map((r) => ({ image: String(r['image']), truth: String(r['trueLabel']), predicted: String(r['predicted']) }));
  const cost = (partition: string, system: string, metric: string): number | null => {
    const row = costs.find((r) => String(r['partition']) === partition && r['system'] === system && r['metric'] === metric);
    return row ? Number(row['value']) : null;
  };
  const out: SystemRow[] = [];
  for (const [i, partition] of chosen.entries()) {
    const inPartition = preds.filter((r) => String(r['partition']) === partition);
    const systems = [...new Set(inPartition.map((r) => String(r['system']).replace(/:\d+$/, '')))].filter((s) => s !== 'centralised-sgd' || i === 0);
    for (const system of systems) {
      const [kind, label] = LABELS[system] ?? ['owner-alone', system];
      let scores: Scores;
      const notes: string[] = [];
      if (system === 'owner-alone') {
        const owners = [...new Set(inPartition.filter((r) => String(r['system']).startsWith('owner-alone:')).map((r) => String(r['system'])))];
        const each = owners.map((o) => scorePredictions(pairs(inPartition.filter((r) => r['system'] === o)), set, where));
        const mean = (k: 'accuracy' | 'macroPrecision' | 'macroRecall') => each.reduce((a, s) => a + s[k], 0) / each.length;
        scores = { testImages: each[0]!.testImages, accuracy: mean('accuracy'), macroPrecision: mean('macroPrecision'), macroRecall: mean('macroRecall') };
        notes.push(`mean over ${owners.length} owners; best owner accuracy ${Math.max(...each.map((s) => s.accuracy)).toFixed(3)}`);
      } else {
        scores = scorePredictions(pairs(inPartition.filter((r) => r['system'] === system)), set, where);
      }
      const wt = system.startsWith('weight-transmission');
      if (wt) notes.push(`bytes: every AES-256-GCM message of training and the final distribution (${cost(partition, system, 'messageBytes')} bytes each); seconds include AES-GCM ${cost(partition, system, 'aesGcmSeconds')?.toFixed(3)} s`);
      if (system === 'centralised-sgd') notes.push('training bytes: the raw training images (uint8) uploaded');
      notes.push('prediction: local plaintext model, no bytes');
      out.push({
        system: system === 'centralised-sgd' ? system : `${system} (${partition})`,
        kind,
        label: system === 'centralised-sgd' ? label : `${label}, ${partition}`,
        model: describe,
        input,
        scores,
        trainSeconds: cost(partition, system, 'trainSeconds'),
        trainBytes: wt ? cost(partition, system, 'totalBytesSent') : system === 'centralised-sgd' ? set.trainImages * set.imageBytes : 0,
        predictSecondsPerImage: cost(partition, system, 'predictSecondsPerImage'),
        predictBytesPerImage: 0,
        predictRounds: 0,
        notes,
        source: run.dir,
      });
    }
  }
  return out;
}
