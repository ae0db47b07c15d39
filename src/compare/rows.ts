import { RunError } from '../errors.js';
import { classificationReport, confusionMatrix, type ConfusionMatrix, type UndefinedPolicy } from '../metrics/confusion.js';
import type { Cell, Row } from '../report/csv.js';
import type { RunFolder } from './runs.js';
import { EXPOSURE, type SystemKind } from './who-sees-what.js';

/** Columns of `comparison.csv`, in order. */
export const COMPARISON_COLUMNS = [
  'dataset',
  'system',
  'label',
  'model',
  'input',
  'testImages',
  'accuracy',
  'macroPrecision',
  'macroRecall',
  'trainSeconds',
  'trainBytes',
  'predictSecondsPerImage',
  'predictBytesPerImage',
  'predictRounds',
  'whoLearnsWhat',
  'notes',
  'source',
] as const;

/** The test split every row is checked against: the collab run's, for one dataset. */
export interface TestSet {
  readonly dataset: string;
  /** Class names in order. */
  readonly classes: readonly string[];
  /** Test image id -> its class name (the whole test split). */
  readonly labels: ReadonlyMap<string, string>;
  /** Training images (pooled train + validation) and bytes per raw uint8 image: the cost of uploading them. */
  readonly trainImages: number;
  readonly imageBytes: number;
  readonly policy: UndefinedPolicy;
}

/** One system's row before it gets its dataset and exposure columns. */
export interface SystemRow {
  readonly system: string;
  readonly kind: SystemKind;
  readonly label: string;
  readonly model: string;
  readonly input: string;
  readonly scores: Scores;
  readonly trainSeconds: number | null;
  readonly trainBytes: number | null;
  readonly predictSecondsPerImage: number | null;
  readonly predictBytesPerImage: number | null;
  readonly predictRounds: number | null;
  readonly notes: readonly string[];
  readonly source: string;
}

/** Accuracy and macro precision / recall over the images a system was scored on. */
export interface Scores {
  readonly testImages: number;
  readonly accuracy: number;
  readonly macroPrecision: number;
  readonly macroRecall: number;
  /** Set when the macro averages are over fewer classes than the dataset has (a subset of the test images was scored). */
  readonly note?: string;
}

function fromMatrix(cm: ConfusionMatrix, policy: UndefinedPolicy): Scores {
  const r = classificationReport(cm, { policy });
  return { testImages: cm.total, accuracy: r.accuracy, macroPrecision: r.macroPrecision, macroRecall: r.macroRecall };
}

/**
 * Scores of per-image predictions, after checking every image is in the test split with the same
 * class (so every system is scored on the same data, against the same labels); `where` names the file.
 */
export function scorePredictions(pairs: readonly { readonly image: string; readonly truth: string; readonly predicted: string }[], set: TestSet, where: string): Scores {
  if (pairs.length === 0) throw new RunError(where, 'no prediction to score');
  for (const p of pairs) {
    const label = set.labels.get(p.image);
    if (label === undefined) throw new RunError(where, `test image '${p.image}' is not in the ${set.dataset} test split of the collab run: different data`);
    if (label !== p.truth) throw new RunError(where, `test image '${p.image}' is labelled '${p.truth}' here and '${label}' in the collab run`);
    if (!set.classes.includes(p.predicted)) throw new RunError(where, `prediction '${p.predicted}' for '${p.image}' is not one of the ${set.classes.length} classes`);
  }
  // A subset that misses classes: macro averages over the classes among its labels and
  // predictions (scikit-learn's default), not over classes that were never asked about.
  const present = set.classes.filter((c) => pairs.some((p) => p.truth === c || p.predicted === c));
  const scores = fromMatrix(confusionMatrix(pairs.map((p) => p.truth), pairs.map((p) => p.predicted), present), set.policy);
  if (present.length === set.classes.length) return scores;
  return { ...scores, note: `macro averages over the ${present.length} of ${set.classes.length} classes among these images' labels and predictions` };
}

/** Scores of a system from long confusion rows (`system, true, predicted, count`), which must cover the whole test split. */
export function scoreConfusion(rows: readonly Record<string, Cell>[], system: string, set: TestSet, where: string): Scores {
  const index = new Map(set.classes.map((c, i) => [c, i]));
  const counts = set.classes.map(() => new Array<number>(set.classes.length).fill(0));
  for (const r of rows) {
    if (r['system'] !== system) continue;
    const t = index.get(String(r['true']));
    const p = index.get(String(r['predicted']));
    if (t === undefined || p === undefined) throw new RunError(where, `${system}: class '${t === undefined ? r['true'] : r['predicted']}' is not one of the collab run's classes`);
    counts[t]![p]! += Number(r['count']);
  }
  const total = counts.flat().reduce((a, b) => a + b, 0);
  if (total !== set.labels.size) throw new RunError(where, `${system} counts ${total} test images, the ${set.dataset} test split has ${set.labels.size}: different data`);
  return fromMatrix({ classes: [...set.classes], counts, total }, set.policy);
}

/** `W x H x C` of a run's resolved `dataset.image`. */
export function inputOf(run: RunFolder): string {
  const image = ((run.config['dataset'] as Record<string, unknown> | undefined)?.['image'] ?? {}) as Record<string, unknown>;
  return `${image['width']}x${image['height']}x${image['channels']}`;
}

/** A value of run.json facts by path, or undefined. */
export function fact(run: RunFolder, ...path: string[]): unknown {
  let v: unknown = run.manifest.facts;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The final table row of a system. */
export function tableRow(dataset: string, r: SystemRow): Row {
  return {
    dataset,
    system: r.system,
    label: r.label,
    model: r.model,
    input: r.input,
    testImages: r.scores.testImages,
    accuracy: r.scores.accuracy,
    macroPrecision: r.scores.macroPrecision,
    macroRecall: r.scores.macroRecall,
    trainSeconds: r.trainSeconds,
    trainBytes: r.trainBytes,
    predictSecondsPerImage: r.predictSecondsPerImage,
    predictBytesPerImage: r.predictBytesPerImage,
    predictRounds: r.predictRounds,
    whoLearnsWhat: EXPOSURE[r.kind].summary,
    notes: [...r.notes, ...(r.scores.note ? [r.scores.note] : [])].join('; '),
    source: r.source,
  };
}

/** Long rows `dataset, system, party, learns` for the systems of a table. */
export function exposureRows(dataset: string, rows: readonly SystemRow[]): Row[] {
  return rows.flatMap((r) => EXPOSURE[r.kind].parties.map((p) => ({ dataset, system: r.system, party: p.party, learns: p.learns })));
}
