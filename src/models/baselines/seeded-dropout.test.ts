import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SeededDropout } from './seeded-dropout.js';

const masks = (layer: SeededDropout, x: tf.Tensor, calls: number) => Array.from({ length: calls }, () => Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync()));

describe('SeededDropout', () => {
  const x = tf.ones([4, 50]);

  it('draws a new mask on every training call, the same sequence for the same seed', () => {
    const a = masks(new SeededDropout({ rate: 0.5, seed: 3 }), x, 3);
    const b = masks(new SeededDropout({ rate: 0.5, seed: 3 }), x, 3);
    expect(b).toEqual(a);
    expect(a[1]).not.toEqual(a[0]);
    expect(masks(new SeededDropout({ rate: 0.5, seed: 4 }), x, 1)[0]).not.toEqual(a[0]);
    // Inverted dropout: kept units are scaled by 1 / (1 - rate).
    expect(new Set(a.flat())).toEqual(new Set([0, 2]));
  });

  it('is active inside a model applied with training: true', () => {
    const input = tf.input({ shape: [50] });
    const model = tf.model({ inputs: input, outputs: new SeededDropout({ rate: 0.5, seed: 1 }).apply(input) as tf.SymbolicTensor });
    expect(Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync())).toContain(0);
    expect(Array.from((model.apply(x) as tf.Tensor).dataSync())).not.toContain(0);
  });

  it('is the identity at inference and serialises its rate and seed', () => {
    const layer = new SeededDropout({ rate: 0.3, seed: 9, name: 'drop' });
    expect(Array.from((layer.apply(x) as tf.Tensor).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(layer.getConfig()).toMatchObject({ rate: 0.3, seed: 9, name: 'drop' });
    expect(() => new SeededDropout({ rate: 1 })).toThrow(RangeError);
  });
});
