import type { z } from 'zod';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ProtocolError } from '../src/errors.js';
import { heCharts } from '../src/he/charts.js';
import { accuracyOf, firstImages, heData, type ByteSplit, type HeData } from '../src/he/data.js';
import { generateKeyPair } from '../src/he/keys.js';
import { lenetPredictions, lenetWeights, trainLenet } from '../src/models/lenet/lenet.js';
import { lenetPlan, type FloatWeights, type NetworkPlan } from '../src/models/lenet/network.js';
import { perImageCost, runEncryptedInference, type EncryptedInferenceResult } from '../src/he/protocol.js';
import { quantiseModel, type QuantisedModel } from '../src/he/quantise.js';
import { integerForward, integerPredictions } from '../src/he/reference.js';
import { costRows, layerRows, privedgeRows } from '../src/he/results.js';
import type { Row } from '../src/report/csv.js';
import { defineExperiment, type ExperimentContext } from '../src/runner/experiment.js';
import { heBaselineOptions, KEY_PATH } from './options/he-baseline.js';

type Options = z.infer<typeof heBaselineOptions.schema>;

/** What the float phase leaves: the trained model's test predictions and weights. */
interface FloatModel {
  readonly predictions: Int32Array;
  readonly weights: FloatWeights;
  readonly backend: string;
  readonly trainSeconds: number;
  readonly bestEpoch: number;
}

/** Phase 1: LeNet-5 trained with TF.js (`training.csv`), its float test predictions and weights. */
async function trainFloatModel(ctx: ExperimentContext, data: HeData, plan: NetworkPlan, o: Options): Promise<FloatModel> {
  const backend = await ctx.tensorflow();
  const seed = ctx.rng.child('he-baseline');
  const epochs = ctx.reporter.task(`LeNet-5: ${o.training.epochs} epochs on ${data.train.count} images`, o.training.epochs);
  const curve: Row[] = [];
  const { model, trained } = await trainLenet(
    plan,
    data.classes.length,
    { train: data.train, validation: data.validation },
    { ...o.training, seed: seed.child('init').nextUint32() % 1_000_000, rng: seed.child('train'), onEpoch: (e) => (curve.push({ ...e }), epochs.tick()) },
  );
  epochs.done();
  await ctx.writeCsv('training.csv', curve, ['epoch', 'loss', 'accuracy', 'valAccuracy']);
  const predictions = await lenetPredictions(model, plan, data.test.pixels);
  const weights = lenetWeights(model, plan);
  model.dispose();
  return { predictions, weights, backend: backend.name, trainSeconds: trained.seconds, bestEpoch: trained.bestEpoch };
}

/** What the quantisation phase leaves: the integer model, its test predictions, the images run encrypted. */
interface Quantised {
  readonly model: QuantisedModel;
  readonly predictions: ReturnType<typeof integerPredictions>;
  readonly selected: ByteSplit;
}

/** Phase 2: the integer model (activation scales calibrated on training images) and the test images to encrypt. */
function quantise(ctx: ExperimentContext, data: HeData, plan: NetworkPlan, float: FloatModel, o: Options): Quantised {
  const size = plan.input[0] * plan.input[1] * plan.input[2];
  const calibration = data.train.pixels.subarray(0, Math.min(o.quantisation.calibrationImages, data.train.count) * size);
  const model = quantiseModel(plan, float.weights, calibration, o.quantisation);
  const predictions = integerPredictions(model, data.test.pixels, data.test.count);
  const selected = firstImages(data.test, o.testImages ?? data.test.count);
  ctx.record('model', { backend: float.backend, trainSeconds: float.trainSeconds, bestEpoch: float.bestEpoch, slotBits: model.slotBits, bounds: model.layers.map((l) => l.bound) });
  return { model, predictions, selected };
}

/** What the encrypted phase leaves. */
interface Encrypted {
  readonly optimised: EncryptedInferenceResult;
  readonly naive: EncryptedInferenceResult | undefined;
  readonly keygenSeconds: number;
  readonly workers: number;
}

/** Phase 3: Paillier keys, the optimised protocol on every selected image and the naive one on a few. */
async function encryptedInference(ctx: ExperimentContext, quantised: QuantisedModel, selected: ByteSplit, o: Options): Promise<Encrypted> {
  const n = selected.count;
  const started = performance.now();
  const keys = await generateKeyPair({ bits: o.paillier.keyBits, insecureKeySize: o.paillier.insecureKeySize, safePrimes: o.paillier.safePrimes, keyPath: KEY_PATH });
  const keygenSeconds = (performance.now() - started) / 1000;
  const workers = o.workers || availableParallelism();
  const batches = ctx.reporter.task(`2P-DNN optimised: ${n} images, ${o.paillier.keyBits}-bit keys, ${workers} thread(s) per party`, n);
  const optimised = await runEncryptedInference(quantised, keys, selected.pixels, n, {
    implementation: 'optimised',
    workers,
    ...(o.slots ? { maxSlots: o.slots } : {}),
    onBatch: (b) => batches.tick(b.images),
  });
  batches.done();
  let naive: EncryptedInferenceResult | undefined;
  if (o.naiveImages > 0) {
    const k = Math.min(o.naiveImages, n);
    const task = ctx.reporter.task(`2P-DNN naive: ${k} image(s)`, k);
    naive = await runEncryptedInference(quantised, keys, selected.pixels, k, { implementation: 'naive', onBatch: (b) => task.tick(b.images) });
    task.done();
  }
  return { optimised, naive, keygenSeconds, workers };
}

/** Phase 4, exactness: the selected images whose decrypted logits differ from the integer reference model's. */
function exactnessMismatches(quantised: QuantisedModel, selected: ByteSplit, encrypted: Encrypted, plan: NetworkPlan): number[] {
  const { optimised, naive } = encrypted;
  const size = plan.input[0] * plan.input[1] * plan.input[2];
  const sameLogits = (a: ArrayLike<number> | undefined, b: ArrayLike<number>) => a !== undefined && a.length === b.length && Array.from(b).every((v, j) => a[j] === v);
  const mismatches: number[] = [];
  for (let i = 0; i < selected.count; i++) {
    const ref = integerForward(quantised, selected.pixels.subarray(i * size, (i + 1) * size)).logits;
    if (!sameLogits(optimised.logits[i], ref) || (naive && i < naive.logits.length && !sameLogits(naive.logits[i], ref))) mismatches.push(i);
  }
  return mismatches;
}

/** Phase 5: predictions, accuracy, cost, layers and comparison CSV files and the `he` facts. */
async function writeResults(ctx: ExperimentContext, data: HeData, float: FloatModel, quantised: Quantised, encrypted: Encrypted, mismatches: readonly number[], o: Options): Promise<void> {
  const { selected } = quantised;
  const { optimised, naive, workers, keygenSeconds } = encrypted;
  const floatAll = float.predictions;
  const intAll = quantised.predictions;
  const n = selected.count;
  const intSel = intAll.subarray(0, n);
  await ctx.writeCsv(
    'predictions.csv',
    selected.ids.map((id, i) => ({
      image: id,
      label: data.classes[selected.labels[i]!]!,
      float: data.classes[floatAll[i]!]!,
      quantised: data.classes[intSel[i]!]!,
      encrypted: data.classes[optimised.predictions[i]!]!,
      naive: naive && i < naive.predictions.length ? data.classes[naive.predictions[i]!]! : null,
      encryptedEqualsQuantised: !mismatches.includes(i),
    })),
  );
  const accRow = (system: string, scope: string, predicted: ArrayLike<number>, labels: ArrayLike<number>): Row => ({ system, scope, images: predicted.length, accuracy: accuracyOf(predicted, labels) });
  const labelsSel = selected.labels;
  const accuracy: Row[] = [
    accRow('float', 'evaluated', floatAll.subarray(0, n), labelsSel),
    accRow('quantised', 'evaluated', intSel, labelsSel),
    accRow('encrypted', 'evaluated', optimised.predictions, labelsSel),
    accRow('float', 'test split', floatAll, data.test.labels),
    accRow('quantised', 'test split', intAll, data.test.labels),
  ];
  if (naive) accuracy.push(accRow('encrypted-naive', 'naive subset', naive.predictions, labelsSel.subarray(0, naive.predictions.length)));
  await ctx.writeCsv('accuracy.csv', accuracy, ['system', 'scope', 'images', 'accuracy']);
  const cost = [...costRows(optimised, o.paillier.keyBits, workers), ...(naive ? costRows(naive, o.paillier.keyBits, 1) : [])];
  await ctx.writeCsv('cost.csv', cost, ['implementation', 'keyBits', 'images', 'slots', 'workers', 'metric', 'value', 'unit']);
  await ctx.writeCsv('layers.csv', layerRows(quantised.model, optimised));

  const opt = perImageCost(optimised);
  const comparison: Row[] = [
    {
      system: '2p-dnn',
      protocol: `Paillier ${o.paillier.keyBits}-bit, LeNet-5, ${optimised.layout.slots} images per ciphertext`,
      testImages: n,
      accuracy: accuracyOf(optimised.predictions, labelsSel),
      secondsPerImage: opt.totalSeconds,
      bytesPerImage: opt.bytesClientToServer + opt.bytesServerToClient,
      roundTrips: opt.roundTripsPerBatch,
      source: 'this run',
    },
  ];
  if (o.privedgeRun) {
    const p = await privedgeRows(resolve(o.privedgeRun));
    comparison.push(...p.rows);
    if (p.note) ctx.reporter.warn(p.note);
  }
  await ctx.writeCsv('comparison.csv', comparison, ['system', 'protocol', 'testImages', 'accuracy', 'secondsPerImage', 'bytesPerImage', 'roundTrips', 'source']);
  ctx.record('he', {
    keyBits: o.paillier.keyBits,
    keygenSeconds,
    slots: optimised.layout.slots,
    slotBits: optimised.layout.slotBits,
    workers,
    optimised: opt,
    naive: naive ? perImageCost(naive) : null,
    onlineResidues: optimised.onlineResidues,
    mismatches: mismatches.length,
  });
}

/**
 * `he-baseline`: 2P-DNN, LeNet-5 inference on Paillier-encrypted MNIST. Trains LeNet-5 with
 * TF.js, quantises it to integers, runs the test images through the encrypted protocol (the
 * optimised implementation on every selected image, the naive one on a few), checks that every
 * encrypted prediction equals the integer reference model's, and writes accuracy, predictions,
 * time and bytes per image, per-layer costs and a cross-system comparison row.
 */
export const heBaseline = defineExperiment({
  ...heBaselineOptions,
  charts: heCharts,
  async run(ctx, o) {
    const data = heData(await ctx.dataset());
    const plan = lenetPlan(data.shape[0], data.shape[1], data.shape[2], data.classes.length);
    const float = await trainFloatModel(ctx, data, plan, o);
    const quantised = quantise(ctx, data, plan, float, o);
    const encrypted = await encryptedInference(ctx, quantised.model, quantised.selected, o);
    const mismatches = exactnessMismatches(quantised.model, quantised.selected, encrypted, plan);
    await writeResults(ctx, data, float, quantised, encrypted, mismatches, o);
    if (mismatches.length > 0) {
      throw new ProtocolError('he-baseline', `${mismatches.length} encrypted result(s) differ from the integer reference model's logits (first: test image ${quantised.selected.ids[mismatches[0]!]})`);
    }
  },
});
