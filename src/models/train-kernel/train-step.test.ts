import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDiscriminator, buildReconstructor, type RanShape } from '../rec-adv/architecture.js';
import { ranOptimizers, ranTrainStep, type RanTrainingSettings } from '../rec-adv/train-step.js';
import { registerWasmTrainingKernels } from '../wasm-kernels/register.js';
import { trainAddon } from './native-addon.js';
import { registerNativeTrainingKernels } from './register.js';
import { relError, seeded } from '../../testing/train-kernel-support.js';


const SETTINGS: RanTrainingSettings = { learningRate: 2e-4, beta1: 0.5, reconstructionWeight: 0.999, adversarialWeight: 0.001 };
const mse = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.squaredDifference(a, b));

/**
 * Bound for a whole step's gradients: max |native − cpu| over a weight's gradient, relative to the
 * largest |cpu| value of that gradient, is at most 1e-3 (each gradient passes through up to 22
 * convolutions, each within 1e-4, see conv-kernels.test.ts, and 15 instance normalisations, which
 * divide by per-image standard deviations; measured: at most 6e-5 for the kernels and biases).
 * The InstanceNorm scales (gamma) have gradients that nearly cancel (1e-8 to 4e-4 against 1 for
 * the largest gradient of the step), which float32 computes with noise of the size of the other
 * gradients' rounding: there the scale is floored at 1e-2 of the step's largest gradient. (Measured
 * worst case: up3_norm/gamma, 7.1e-3 of its own size with the native kernels and 7.0e-3 with the
 * wasm backend's own kernels.)
 */
const STEP_TOLERANCE = 1e-3;
const GRADIENT_FLOOR = 1e-2;

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
  registerNativeTrainingKernels();
});

/** Gradients of the reconstructor loss with respect to R's weights, by weight name. */
async function reconstructorGrads(backend: string, shape: RanShape, n: number): Promise<Map<string, Float32Array>> {
  expect(await tf.setBackend(backend)).toBe(true);
  const R = buildReconstructor(shape, 5);
  const D = buildDiscriminator(shape, 5);
  const x = tf.tensor4d(seeded(n * shape.height * shape.width * shape.channels, 31), [n, shape.height, shape.width, shape.channels]);
  const { grads, value } = tf.variableGrads(() => tf.tidy(() => {
    const rec = R.apply(x) as tf.Tensor;
    const validity = D.apply(rec) as tf.Tensor;
    return tf.add(tf.mul(SETTINGS.reconstructionWeight, mse(rec, x)), tf.mul(SETTINGS.adversarialWeight, mse(validity, tf.onesLike(validity)))) as tf.Scalar;
  }), R.trainableWeights.map((w) => w.read() as tf.Variable));
  const out = new Map<string, Float32Array>();
  // Layer names get a suffix (_1, ...) when a second model is built: key by the name without it.
  for (const w of R.trainableWeights) out.set(w.name.replace(/_\d+$/, ''), (await grads[(w.read() as tf.Variable).name]!.data()) as Float32Array);
  tf.dispose([x, value, ...Object.values(grads)]);
  R.dispose();
  D.dispose();
  return out;
}

describe.skipIf(trainAddon() === undefined)('a reconstructor training step with the native kernels', () => {
  it('has the cpu backend\'s gradients for every weight', async () => {
    // 32 x 32 x 1, gf 2, df 2, batch 1: every layer of the real network (down to 1 x 1 maps),
    // small enough for the cpu backend's convolution gradients. Batch 1: the cpu backend's
    // ResizeNearestNeighborGrad is wrong for batch > 1 in tfjs 4.22.
    const shape: RanShape = { height: 32, width: 32, channels: 1, gf: 2, df: 2 };
    const expected = await reconstructorGrads('cpu', shape, 1);
    const actual = await reconstructorGrads('wasm', shape, 1);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    expect(actual.size).toBe(2 * 11 + 2 * 5 * 2); // 11 convolutions (kernel, bias), 10 instance norms (gamma, beta)
    const maxAbs = (xs: Float32Array): number => xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const global = Math.max(...[...expected.values()].map(maxAbs));
    for (const [name, values] of expected) {
      const got = actual.get(name)!;
      let worst = 0;
      for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(got[i]! - values[i]!));
      expect(worst / Math.max(maxAbs(values), GRADIENT_FLOOR * global), name).toBeLessThanOrEqual(STEP_TOLERANCE);
    }
  });

  it('gives bit-identical weights for the same seed across runs', async () => {
    await tf.setBackend('wasm');
    const shape: RanShape = { height: 32, width: 32, channels: 3, gf: 4, df: 4 };
    const train = async (): Promise<Uint8Array> => {
      const pair = { reconstructor: buildReconstructor(shape, 9), discriminator: buildDiscriminator(shape, 9), ...ranOptimizers(SETTINGS) };
      const batch = tf.tensor4d(seeded(4 * 32 * 32 * 3, 41), [4, 32, 32, 3]);
      for (let i = 0; i < 2; i++) await ranTrainStep(pair, batch, SETTINGS);
      const weights = await Promise.all(pair.reconstructor.getWeights().map(async (w) => new Uint8Array(((await w.data()) as Float32Array).slice().buffer)));
      batch.dispose();
      pair.reconstructor.dispose();
      pair.discriminator.dispose();
      pair.optimizerR.dispose();
      pair.optimizerD.dispose();
      const all = new Uint8Array(weights.reduce((s, w) => s + w.length, 0));
      let at = 0;
      for (const w of weights) {
        all.set(w, at);
        at += w.length;
      }
      return all;
    };
    const first = await train();
    const second = await train();
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
  });
});
