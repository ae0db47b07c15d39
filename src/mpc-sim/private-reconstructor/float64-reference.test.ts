import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReconstructor } from '../../models/rec-adv/architecture.js';
import { SeededRandom } from '../ring/random.js';
import { mseFloat64, reconstructFloat64 } from './float64-reference.js';
import { readReconstructorWeights, type ReconstructorDescription } from './reconstructor.js';

const rng = (name: string) => new SeededRandom(`float64-reference-test:${name}`, { insecureDeterministic: true });

/** n reproducible values uniform in [-scale, scale]. */
function uniform(name: string, n: number, scale = 1): Float32Array {
  const w = new BigUint64Array(n);
  rng(name).fill(w);
  return Float32Array.from(w, (v) => scale * (2 * (Number(v >> 11n) / 2 ** 53) - 1));
}

const conv = (stride: number, padding: 'same' | 'valid'): ReconstructorDescription => ({
  inputShape: [3, 3, 1],
  steps: [{ kind: 'conv', name: 'c', stride, padding, weights: Float32Array.of(1, 2, 3, 4), shape: [2, 2, 1, 1], bias: Float32Array.of(0.5) }],
});
const NINE = Array.from({ length: 9 }, (_, i) => i + 1);

describe('float64 reference reconstructor', () => {
  it('pads a conv as TensorFlow does (the extra row and column after), by hand on a 3 x 3 image', () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], kernel [[1,2],[3,4]], bias 0.5.
    expect(Array.from(reconstructFloat64(conv(1, 'same'), NINE))).toEqual([37.5, 47.5, 21.5, 67.5, 77.5, 33.5, 23.5, 26.5, 9.5]);
    expect(Array.from(reconstructFloat64(conv(2, 'same'), NINE))).toEqual([37.5, 21.5, 23.5, 9.5]);
    expect(Array.from(reconstructFloat64(conv(1, 'valid'), NINE))).toEqual([37.5, 47.5, 67.5, 77.5]);
  });

  it('computes the InstanceNorm over the whole sample as (x - mean) / (std + epsilon) gamma + beta, then LeakyReLU, ReLU, upsampling and tanh', () => {
    const x = [1, 2, 3, 4];
    const std = Math.sqrt(1.25);
    const normed = x.map((v) => ((v - 2.5) / (std + 1e-3)) * 2 - 0.5);
    const d = (steps: ReconstructorDescription['steps']): ReconstructorDescription => ({ inputShape: [2, 2, 1], steps });
    expect(Array.from(reconstructFloat64(d([{ kind: 'norm', name: 'n', gamma: 2, beta: -0.5, epsilon: 1e-3 }]), x))).toEqual(normed);
    expect(Array.from(reconstructFloat64(d([{ kind: 'lrelu', name: 'l', alpha: 0.2 }]), [-1, 2, -3, 0]))).toEqual([-0.2, 2, -0.6000000000000001, 0]);
    expect(Array.from(reconstructFloat64(d([{ kind: 'relu', name: 'r' }]), [-1, 2, -3, 0]))).toEqual([0, 2, 0, 0]);
    expect(Array.from(reconstructFloat64(d([{ kind: 'tanh', name: 't' }]), [-1, 2, -3, 0]))).toEqual([Math.tanh(-1), Math.tanh(2), Math.tanh(-3), 0]);
    expect(Array.from(reconstructFloat64(d([{ kind: 'upsample', name: 'u', factor: 2 }]), x))).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('rejects an image of the wrong size, naming the input shape', () => {
    expect(() => reconstructFloat64(conv(1, 'same'), [1, 2, 3])).toThrow(/3 values, the input shape \[3, 3, 1\] needs 9/);
  });

  describe('against TF.js (float32) on a tiny PrivEdge reconstructor with every weight randomised', () => {
    let model: tf.LayersModel;
    beforeAll(async () => {
      await tf.setBackend('cpu');
      model = buildReconstructor({ height: 32, width: 32, channels: 3, gf: 2, df: 2 }, 7);
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(uniform(`weight-${i}`, w.size, w.size <= 1 ? 1.5 : 0.4), w.shape)));
    });

    it('every output value within 2e-5 of model.predict, and the MSE within 1e-6', () => {
      const description = readReconstructorWeights(model);
      for (const name of ['a', 'b']) {
        const image = uniform(`image-${name}`, 32 * 32 * 3);
        const expected = tf.tidy(() => (model.predict(tf.tensor4d(image, [1, 32, 32, 3])) as tf.Tensor).dataSync() as Float32Array);
        const got = reconstructFloat64(description, image);
        expect(got.length).toBe(expected.length);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
        expect(worst).toBeLessThan(2e-5);
        expect(new Set(Array.from(expected, (v) => Math.sign(v))).size).toBeGreaterThan(1); // a real spread of outputs, not saturated
        const mse = expected.reduce((s, v, i) => s + (v - image[i]!) ** 2, 0) / image.length;
        expect(Math.abs(mseFloat64(description, image) - mse)).toBeLessThan(1e-6);
      }
    });
  });
});
