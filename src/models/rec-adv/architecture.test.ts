import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceNorm } from '../layers/instance-norm.js';
import { buildDiscriminator, buildReconstructor } from './architecture.js';

const paper = { height: 32, width: 32, channels: 3, gf: 32, df: 64 };

describe('RAN architecture', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => tf.disposeVariables());

  it('has exactly 4,757,559 reconstructor parameters for gf = 32 (hand count in the comment)', () => {
    // Down convs 4*4*cin*cout + cout: 1,568 + 32,832 + 131,200 + 262,272 + 524,544; up convs:
    // 3 x 1,048,832 + 524,416 + 131,136; output 3,075; ten InstanceNorms x (gamma + beta) = 20.
    const r = buildReconstructor(paper, 1);
    expect(r.countParams()).toBe(952_416 + 3_802_048 + 3_075 + 20);
    expect(r.countParams()).toBe(4_757_559);
    expect(r.outputs[0]!.shape).toEqual([null, 32, 32, 3]);
    r.dispose();
  });

  it('has a 2 x 2 x 1 PatchGAN output', () => {
    const d = buildDiscriminator(paper, 1);
    expect(d.outputs[0]!.shape).toEqual([null, 2, 2, 1]);
    // 3,136 + 131,200 + 524,544 + 2,097,664 + 8,193 conv parameters, 3 norms x 2.
    expect(d.countParams()).toBe(3_136 + 131_200 + 524_544 + 2_097_664 + 8_193 + 6);
    d.dispose();
  });

  it('InstanceNorm normalises each sample over all of H, W and C with one scalar gamma and beta', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 10, 20, 30, 40, 50, 60, 70, 90];
    const x = tf.tensor4d(values, [2, 2, 2, 2]);
    const layer = new InstanceNorm({ epsilon: 1e-3 });
    const y = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
    // Hand computation for sample 0: mean 4.5, biased std sqrt(5.25).
    const std0 = Math.sqrt(5.25);
    expect(y[0]![0]![0]![0]).toBeCloseTo((1 - 4.5) / (std0 + 1e-3), 5);
    expect(y[0]![1]![1]![1]).toBeCloseTo((8 - 4.5) / (std0 + 1e-3), 5);
    const s1 = values.slice(8);
    const m1 = s1.reduce((a, b) => a + b) / 8;
    const sd1 = Math.sqrt(s1.reduce((a, b) => a + (b - m1) ** 2, 0) / 8);
    expect(y[1]![1]![1]![1]).toBeCloseTo((90 - m1) / (sd1 + 1e-3), 5);
    expect(layer.countParams()).toBe(2);
    // A 1 x 1 x C bottleneck is not flattened to a constant (a per-channel norm would be).
    const bottleneck = layer.apply(tf.tensor4d([1, 5, 9, 2], [1, 1, 1, 4])) as tf.Tensor;
    expect(new Set(bottleneck.dataSync()).size).toBe(4);
  });
});
