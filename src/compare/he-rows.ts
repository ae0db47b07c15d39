import { join } from 'node:path';
import { RunError } from '../errors.js';
import { fact, inputOf, scorePredictions, type SystemRow, type TestSet } from './rows.js';
import { runCsv, type RunFolder } from './runs.js';

/** Why a he-baseline run cannot be compared on this test set (null: it can). */
export async function heMismatch(run: RunFolder, set: TestSet): Promise<string | null> {
  const preds = await runCsv(run, 'predictions.csv', 'he-baseline');
  const other = preds.find((r) => set.labels.get(String(r['image'])) !== String(r['label']));
  return other === undefined ? null : `test image '${other['image']}' (label ${other['label']}) is not in the ${set.dataset} test split with that label`;
}

/**
 * The 2P-DNN row of a he-baseline run: the encrypted predictions of its evaluated test images
 * (`predictions.csv`), the optimised implementation's time and bytes per image and round trips
 * (`cost.csv`), and LeNet-5's plaintext training time (run.json).
 */
export async function heRows(run: RunFolder, set: TestSet): Promise<SystemRow[]> {
  const preds = await runCsv(run, 'predictions.csv', 'he-baseline');
  const cost = await runCsv(run, 'cost.csv', 'he-baseline');
  const metric = (m: string) => {
    const row = cost.find((r) => r['implementation'] === 'optimised' && r['metric'] === m);
    if (!row) throw new RunError(join(run.dir, 'cost.csv'), `no optimised ${m}`);
    return Number(row['value']);
  };
  const keyBits = fact(run, 'he', 'keyBits');
  const seconds = fact(run, 'model', 'trainSeconds');
  return [
    {
      system: '2p-dnn',
      kind: '2p-dnn',
      label: '2P-DNN (LeNet-5 on Paillier ciphertexts)',
      model: `LeNet-5, 8-bit integer, Paillier ${keyBits ?? '?'}-bit`,
      input: inputOf(run),
      scores: scorePredictions(preds.map((r) => ({ image: String(r['image']), truth: String(r['label']), predicted: String(r['encrypted']) })), set, join(run.dir, 'predictions.csv')),
      trainSeconds: typeof seconds === 'number' ? seconds : null,
      trainBytes: set.trainImages * set.imageBytes,
      predictSecondsPerImage: metric('secondsPerImage'),
      predictBytesPerImage: metric('bytesClientToServerPerImage') + metric('bytesServerToClientPerImage'),
      predictRounds: metric('roundTrips'),
      notes: [
        `${preds.length} test images run encrypted (classes interleaved)`,
        'training: plaintext TF.js on the pooled images; bytes: the raw training images (uint8) uploaded',
        'prediction: optimised implementation, per image amortised over the images packed in one ciphertext',
      ],
      source: run.dir,
    },
  ];
}
