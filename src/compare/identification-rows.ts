import { join } from 'node:path';
import { RunError } from '../errors.js';
import { fact, inputOf, scoreConfusion, scorePredictions, type SystemRow, type TestSet } from './rows.js';
import { privatePredictionRows, runCsv, type RunFolder } from './runs.js';

const BASELINE_LABELS: Record<string, string> = { vgg: 'Centralised VGG-style CNN', resnet: 'Centralised ResNet-style CNN' };

/** Why an identification run cannot be compared on this test set (null: it can). */
export async function identificationMismatch(run: RunFolder, set: TestSet): Promise<string | null> {
  const preds = (await runCsv(run, 'predictions.csv', 'identification')).filter((r) => r['system'] === 'privedge');
  const images = new Set(preds.map((r) => String(r['image'])));
  if (images.size !== set.labels.size) return `tests on ${images.size} images, the ${set.dataset} test split has ${set.labels.size}`;
  const other = [...images].find((i) => !set.labels.has(i));
  return other === undefined ? null : `test image '${other}' is not in the ${set.dataset} test split`;
}

/**
 * Rows of an identification run: PrivEdge with plaintext prediction (from `predictions.csv`),
 * PrivEdge with private (2PC) prediction (the queries of `private_predictions*.csv`, required
 * unless `requirePrivate` is false) and each centralised baseline (from `confusion.csv`).
 */
export async function identificationRows(run: RunFolder, set: TestSet, requirePrivate: boolean, keyPath: string): Promise<SystemRow[]> {
  const input = inputOf(run);
  const training = (run.config['training'] ?? {}) as Record<string, unknown>;
  const preds = (await runCsv(run, 'predictions.csv', 'identification')).filter((r) => r['system'] === 'privedge');
  const users = await runCsv(run, 'training_users.csv', 'identification');
  const userSeconds = users.reduce((a, r) => a + Number(r['seconds']), 0);
  const model = `one reconstructor per user (gf ${training['gf']}, df ${training['df']}, ${training['iterations']} iterations)`;
  const plaintextMs = fact(run, 'plaintextPrediction', 'msPerImage');
  const rows: SystemRow[] = [
    {
      system: 'privedge',
      kind: 'privedge',
      label: 'PrivEdge, plaintext prediction (reference)',
      model,
      input,
      scores: scorePredictions(preds.map((r) => ({ image: String(r['image']), truth: String(r['trueUser']), predicted: String(r['predicted']) })), set, join(run.dir, 'predictions.csv')),
      trainSeconds: userSeconds,
      trainBytes: 0,
      predictSecondsPerImage: typeof plaintextMs === 'number' ? plaintextMs / 1000 : null,
      predictBytesPerImage: null,
      predictRounds: null,
      notes: [`training: sum over ${users.length} users, each on its own images (nothing sent)`, 'prediction: every reconstructor evaluated in one process, so no bytes'],
      source: run.dir,
    },
  ];
  const priv = await privatePredictionRows(run);
  if (priv) {
    const n = priv.rows.length;
    const mean = (k: string) => priv.rows.reduce((a, r) => a + Number(r[k]), 0) / n;
    const where = join(run.dir, priv.files.join(' + '));
    rows.push({
      system: 'privedge-2pc',
      kind: 'privedge-2pc',
      label: 'PrivEdge, private prediction (2PC)',
      model,
      input,
      scores: scorePredictions(priv.rows.map((r) => ({ image: String(r['image']), truth: String(r['trueUser']), predicted: String(r['privatePredicted']) })), set, where),
      trainSeconds: userSeconds,
      trainBytes: 0,
      predictSecondsPerImage: mean('onlineSeconds') + mean('offlineSeconds'),
      predictBytesPerImage: mean('onlineBytes'),
      predictRounds: mean('rounds'),
      notes: [
        `${n} test images predicted privately (spread over the test split)`,
        `private labels equal the plaintext ones for ${priv.rows.filter((r) => r['agree'] === true).length} of ${n}`,
        'prediction: online + offline seconds per query, in process; bytes: online, per party, dealer material excluded; enrolment (sharing each reconstructor once) not counted',
      ],
      source: run.dir,
    });
  } else if (requirePrivate) {
    throw new RunError(
      join(run.dir, 'private_predictions.csv'),
      `${keyPath}: not found: run \`npx privedge predict-private --run ${run.dir} --queries 50\` (or identification with mode: private), or set ${keyPath.replace(/\.identification$/, '')}.privatePrediction: false to leave PrivEdge 2PC out`,
    );
  }
  const confusion = await runCsv(run, 'confusion.csv', 'identification');
  const baselines = [...new Set(confusion.map((r) => String(r['system'])))].filter((s) => s !== 'privedge' && s !== 'privedge-2pc');
  const specs = ((run.config['experiments'] as Record<string, unknown>[] | undefined)?.find((e) => e['id'] === 'identification')?.['baselines'] ?? []) as Record<string, unknown>[];
  for (const name of baselines) {
    const kind = name.replace(/-\d+$/, '');
    const spec = specs.filter((s) => s['kind'] === kind)[Number(/-(\d+)$/.exec(name)?.[1] ?? 1) - 1];
    const seconds = fact(run, 'identification', name, 'trainSeconds');
    rows.push({
      system: name,
      kind: 'centralised-cnn',
      label: BASELINE_LABELS[kind] ?? `Centralised ${name}`,
      model: spec ? `${kind} ${JSON.stringify(spec['blocks'] ?? spec['stages'])}, Adam, ${spec['epochs']} epochs` : kind,
      input,
      scores: scoreConfusion(confusion, name, set, join(run.dir, 'confusion.csv')),
      trainSeconds: typeof seconds === 'number' ? seconds : null,
      trainBytes: set.trainImages * set.imageBytes,
      predictSecondsPerImage: null,
      predictBytesPerImage: null,
      predictRounds: null,
      notes: [
        'training bytes: the raw training images (uint8) uploaded to the server',
        ...(typeof seconds === 'number' ? [] : ['training and prediction time not recorded by this identification run']),
      ],
      source: run.dir,
    });
  }
  return rows;
}
