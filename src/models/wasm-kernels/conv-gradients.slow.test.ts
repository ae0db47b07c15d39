import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputWasmConfig } from './conv2d-backprop-input.js';
import { originalWasmConv2DBackpropInput, registerWasmTrainingKernels } from './register.js';
import type { BackendWasm } from './wasm-backend-util.js';
import { relError, seeded } from '../../testing/train-kernel-support.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  readonly x: [number, number, number, number];
  readonly kernel: [number, number];
  readonly outChannels: number;
  readonly strides: number | [number, number];
  readonly pad: Pad;
}

function label(c: ConvCase): string {
  return `x ${c.x.join('x')} k ${c.kernel.join('x')}→${c.outChannels} s ${c.strides} ${JSON.stringify(c.pad)}`;
}

/** dX and dW of `Σ conv2d(x, w) ⊙ r` (so dy = r, a fixed random tensor) on `backend`. */
async function convGrads(backend: string, c: ConvCase): Promise<{ dx: Float32Array; dw: Float32Array }> {
  expect(await tf.setBackend(backend)).toBe(true);
  const [n, h, w, ci] = c.x;
  const filterShape: [number, number, number, number] = [c.kernel[0], c.kernel[1], ci, c.outChannels];
  const x = tf.tensor4d(seeded(n * h * w * ci, 1), c.x);
  const filter = tf.tensor4d(seeded(filterShape.reduce((a, b) => a * b), 2), filterShape);
  const yShape = tf.conv2d(x, filter, c.strides, c.pad).shape;
  const r = tf.tensor(seeded(yShape.reduce((a, b) => a * b), 3), yShape);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad).mul(r).sum())([x, filter]);
  const result = { dx: (await dx!.data()) as Float32Array, dw: (await dw!.data()) as Float32Array };
  tf.dispose([x, filter, r, dx!, dw!]);
  return result;
}

const channelPairs: [number, number][] = [
  [3, 8],
  [8, 16],
  [16, 3],
];
const cases: ConvCase[] = [];
for (const batch of [1, 3]) {
  for (const size of [1, 2, 5, 8, 32]) {
    for (const k of [3, 4]) {
      for (const strides of [1, 2]) {
        for (const pad of ['same', 'valid'] as const) {
          if (pad === 'valid' && size < k) continue;
          const [ci, co] = channelPairs[cases.length % channelPairs.length]!;
          // Non-square inputs (w = h + 1) catch swapped height/width.
          cases.push({ x: [batch, size, size > 2 ? size + 1 : size, ci], kernel: [k, k], outChannels: co, strides, pad });
        }
      }
    }
  }
}
// Odd geometries: non-square kernels and strides, strides larger than the kernel (dX positions
// no tap reaches), numeric and explicit padding.
cases.push(
  { x: [2, 7, 6, 5], kernel: [3, 2], outChannels: 4, strides: [2, 1], pad: 'same' },
  { x: [2, 7, 6, 5], kernel: [2, 3], outChannels: 4, strides: [1, 3], pad: 'valid' },
  { x: [2, 9, 9, 4], kernel: [1, 1], outChannels: 6, strides: 2, pad: 'valid' },
  { x: [1, 10, 11, 3], kernel: [2, 2], outChannels: 5, strides: 3, pad: 'same' },
  { x: [2, 6, 6, 4], kernel: [4, 4], outChannels: 3, strides: 2, pad: 1 },
  {
    x: [2, 6, 7, 4],
    kernel: [3, 3],
    outChannels: 3,
    strides: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 2],
      [0, 0],
    ],
  },
);

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
});

describe('wasm training kernels: registration', () => {
  it('registers the replacements for the wasm backend only, idempotently', () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      registerWasmTrainingKernels();
      registerWasmTrainingKernels();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(conv2DBackpropFilterWasmConfig.kernelFunc);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2DBackpropInputWasmConfig.kernelFunc);
    const original = originalWasmConv2DBackpropInput();
    expect(original?.kernelFunc).toBeTypeOf('function');
    expect(original?.kernelFunc).not.toBe(conv2DBackpropInputWasmConfig.kernelFunc);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc).not.toBe(conv2DBackpropFilterWasmConfig.kernelFunc);
  });
});

describe('wasm conv2d gradients match the cpu backend', () => {
  it.each(cases.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const expected = await convGrads('cpu', c);
    const actual = await convGrads('wasm', c);
    expect(relError(actual.dw, expected.dw), 'dW').toBeLessThanOrEqual(TOLERANCE);
    expect(relError(actual.dx, expected.dx), 'dX').toBeLessThanOrEqual(TOLERANCE);
    // Guard against vacuous comparisons of all-zero gradients.
    expect(expected.dw.some((v) => v !== 0)).toBe(true);
  });

  it('the comparison notices a wrong gradient', async () => {
    const c: ConvCase = { x: [2, 5, 6, 3], kernel: [4, 4], outChannels: 8, strides: 2, pad: 'same' };
    const expected = await convGrads('cpu', c);
    const actual = await convGrads('wasm', c);
    const wrong = actual.dx.slice();
    wrong[7]! += 1e-2;
    expect(relError(wrong, expected.dx)).toBeGreaterThan(TOLERANCE);
    expect(relError(actual.dw.slice().reverse(), expected.dw)).toBeGreaterThan(TOLERANCE);
  });
});

describe('other ops of a conv training graph on wasm', () => {
  const ops: [string, (x: tf.Tensor4D) => tf.Scalar][] = [
    ['relu', (x) => tf.relu(x).square().sum()],
    ['leakyRelu', (x) => tf.leakyRelu(x, 0.2).square().sum()],
    ['tanh', (x) => tf.tanh(x).square().sum()],
    ['sigmoid', (x) => tf.sigmoid(x).square().sum()],
    [
      'moments',
      (x) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return mean.square().add(variance.square()).sum();
      },
    ],
    ['meanSquaredError', (x) => tf.losses.meanSquaredError(tf.onesLike(x), x) as tf.Scalar],
    [
      'instance norm (moments, sqrt, div)',
      (x) => {
        const { mean, variance } = tf.moments(x, [1, 2], true);
        return tf.div(tf.sub(x, mean), tf.add(tf.sqrt(variance), 1e-3)).mul(tf.tensor4d(seeded(2 * 5 * 5 * 3, 10), [2, 5, 5, 3])).sum();
      },
    ],
  ];
  it.each(ops)('%s gradient matches cpu', async (_name, f) => {
    const grads: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const x = tf.tensor4d(seeded(2 * 5 * 5 * 3, 4).map((v) => 2 * v), [2, 5, 5, 3]);
      const g = tf.grad((t: tf.Tensor) => f(t as tf.Tensor4D))(x);
      grads.push((await g.data()) as Float32Array);
      tf.dispose([x, g]);
    }
    expect(relError(grads[1]!, grads[0]!)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('resizeNearestNeighbor (UpSampling2D) gradient sums each 2x2 block', async () => {
    // Reference in JS: the cpu backend's ResizeNearestNeighborGrad is wrong for batch > 1 in 4.22.
    await tf.setBackend('wasm');
    const [n, h, w, c] = [3, 4, 5, 2];
    const x = tf.tensor4d(seeded(n * h * w * c, 5), [n, h, w, c]);
    const r = seeded(n * 2 * h * 2 * w * c, 6);
    const rt = tf.tensor4d(r, [n, 2 * h, 2 * w, c]);
    const g = tf.grad((a: tf.Tensor) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [2 * h, 2 * w]).mul(rt).sum())(x);
    const expected = new Float32Array(n * h * w * c);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < 2 * h; i++)
        for (let j = 0; j < 2 * w; j++)
          for (let k = 0; k < c; k++) expected[((b * h + (i >> 1)) * w + (j >> 1)) * c + k]! += r[((b * 2 * h + i) * 2 * w + j) * c + k]!;
    expect(relError((await g.data()) as Float32Array, expected)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([x, rt, g]);
  });
});

describe('no leaks on wasm', () => {
  it('keeps tensor and wasm-heap counts unchanged across gradient and optimizer steps', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const x = tf.tensor4d(seeded(4 * 8 * 8 * 3, 7), [4, 8, 8, 3]);
    const w1 = tf.variable(tf.tensor4d(seeded(4 * 4 * 3 * 16, 8).map((v) => v * 0.2), [4, 4, 3, 16]));
    const w2 = tf.variable(tf.tensor4d(seeded(4 * 4 * 16 * 3, 9).map((v) => v * 0.2), [4, 4, 16, 3]));
    const loss = (): tf.Scalar => {
      const h = tf.leakyRelu(tf.conv2d(x, w1, 2, 'same'), 0.2);
      const up = tf.image.resizeNearestNeighbor(h, [8, 8]);
      const y = tf.tanh(tf.conv2d(up, w2, 1, 'same'));
      return tf.losses.meanSquaredError(x, y) as tf.Scalar;
    };
    const optimizer = tf.train.adam(1e-2);
    optimizer.minimize(loss); // creates the optimizer's slots
    const before = { tensors: tf.memory().numTensors, data: backend.numDataIds() };
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const cost = optimizer.minimize(loss, true)!;
      losses.push((await cost.data())[0]!);
      cost.dispose();
      const { grads, value } = tf.variableGrads(loss);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect({ tensors: tf.memory().numTensors, data: backend.numDataIds() }).toEqual(before);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    optimizer.dispose();
    tf.dispose([x, w1, w2]);
  });
});
