import type * as tf from '@tensorflow/tfjs';
import { classificationReport, confusionMatrix, type UndefinedPolicy } from '../metrics/confusion.js';
import { predictClasses } from '../models/baselines/train-classifier.js';
import type { ImageSet } from './local-train.js';

/** Test-set scores of a model. */
export interface Evaluation {
  readonly accuracy: number;
  readonly macroPrecision: number;
  readonly macroRecall: number;
  /** Predicted class index per test image. */
  readonly predicted: Int32Array;
  /** Wall time of the predictions (inference mode, batched). */
  readonly seconds: number;
}

/** Accuracy and macro precision / recall (src/metrics/confusion.ts) of a model on a labelled set. */
export async function evaluate(model: tf.LayersModel, test: ImageSet, classes: readonly string[], batchSize = 128, policy: UndefinedPolicy = 'zero'): Promise<Evaluation> {
  const started = performance.now();
  const predicted = await predictClasses(model, test.images, test.shape, batchSize);
  const seconds = (performance.now() - started) / 1000;
  const name = (k: number) => classes[k]!;
  const report = classificationReport(confusionMatrix(Array.from(test.labels, name), Array.from(predicted, name), classes), { policy });
  return { accuracy: report.accuracy, macroPrecision: report.macroPrecision, macroRecall: report.macroRecall, predicted, seconds };
}
