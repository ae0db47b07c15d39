import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../wasm-kernels/register.js';
import { CONV_OP, resolveTrainKernel, trainAddon, trainKernelInfo, trainKernelLabel } from './native-addon.js';
import { nativeTrainingKernelsRegistered, registerNativeTrainingKernels, unregisterNativeTrainingKernels } from './register.js';
import { referenceAt, relError, sampleIndices, seeded, type Geometry } from '../../testing/train-kernel-support.js';

/**
 * Error bound. Each output is a float32 sum of K products (K = kh·kw·ci for the forward pass and
 * dX's co, n·oh·ow for dW), accumulated with fused multiply-adds: its error is at most K·u·Σ|a·b|
 * (u = 2^-24) and, for these random-sign data, about √K·u·Σ|a·b|. The cpu backend's reference has
 * an error of the same kind. Measured tensor-scale errors (max |diff| / max |reference|) are
 * 1e-7 to 1e-6; 1e-4 is the bound asserted (the wasm backend's own kernels meet it too).
 */
const TOLERANCE = 1e-4;

const native = trainAddon() !== undefined;
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  readonly x: [number, number, number, number];
  readonly k: [number, number];
  readonly co: number;
  readonly s: number | [number, number];
  readonly pad: Pad;
}
const label = (c: Case): string => `x ${c.x.join('x')} k ${c.k.join('x')}→${c.co} s ${c.s} ${JSON.stringify(c.pad)}`;

/** y, dx and dw of `Σ conv2d(x, w) ⊙ r` on the current backend. */
async function convAll(c: Case): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.co];
  const x = tf.tensor4d(seeded(tf.util.sizeFromShape(c.x), 1), c.x);
  const w = tf.tensor4d(seeded(tf.util.sizeFromShape(filterShape), 2), filterShape);
  const y = tf.conv2d(x, w, c.s, c.pad);
  const r = tf.tensor(seeded(y.size, 3), y.shape);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad).mul(r).sum())([x, w]);
  const out = { y: (await y.data()) as Float32Array, dx: (await dx!.data()) as Float32Array, dw: (await dw!.data()) as Float32Array };
  tf.dispose([x, w, y, r, dx!, dw!]);
  return out;
}

async function on<T>(backend: string, f: () => Promise<T>): Promise<T> {
  expect(await tf.setBackend(backend)).toBe(true);
  return f();
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
  registerNativeTrainingKernels();
});

describe('choosing the kernels', () => {
  it('the native kernels by default when built; PRIVEDGE_TRAIN_KERNEL=wasm keeps the wasm kernels; other values are refused', () => {
    const forced = resolveTrainKernel({ PRIVEDGE_TRAIN_KERNEL: 'wasm' });
    expect(forced.addon).toBeUndefined();
    expect(trainKernelLabel(forced.info)).toBe('wasm (PRIVEDGE_TRAIN_KERNEL=wasm)');
    expect(() => resolveTrainKernel({ PRIVEDGE_TRAIN_KERNEL: 'gpu' })).toThrow(/PRIVEDGE_TRAIN_KERNEL must be native or wasm/);
    // Default (unset or empty) and 'native': the addon whenever it is built and loads.
    const built = resolveTrainKernel({ PRIVEDGE_TRAIN_KERNEL: 'native' }).addon !== undefined;
    for (const env of [{}, { PRIVEDGE_TRAIN_KERNEL: 'native' }, { PRIVEDGE_TRAIN_KERNEL: '' }]) {
      const chosen = resolveTrainKernel(env);
      expect(chosen.info.kind, JSON.stringify(env)).toBe(built ? 'native' : 'wasm');
      if (built) expect(trainKernelLabel(chosen.info)).toMatch(/^native-(avx2|scalar)$/);
    }
  });
});

describe('native training kernel addon', () => {
  it('is built and loads (required in CI)', (ctx) => {
    if (!native && process.env['CI'] !== 'true') ctx.skip(`not loaded: ${trainKernelInfo().reason ?? ''}`);
    expect(native).toBe(true);
  });
});

describe.skipIf(!native)('native training kernels: registration', () => {
  it('replace the four wasm convolution kernels, and only those', () => {
    expect(trainKernelInfo().kind).toBe('native');
    expect(nativeTrainingKernelsRegistered()).toBe(true);
    const first = tf.getKernel(tf.Conv2D, 'wasm')?.kernelFunc;
    registerNativeTrainingKernels();
    expect(tf.getKernel(tf.Conv2D, 'wasm')?.kernelFunc).toBe(first);
    expect(tf.getKernel(tf.Conv2D, 'cpu')?.kernelFunc).not.toBe(first);
  });

  it('stay registered when the wasm training kernels are registered again (a second initTensorflow in one process)', () => {
    const names = [tf.Conv2D, tf.FusedConv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter, tf.ResizeNearestNeighborGrad];
    const nativeFuncs = names.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    // registerWasmTrainingKernels puts its own gradient kernels back over the native ones ...
    registerWasmTrainingKernels();
    expect(nativeTrainingKernelsRegistered()).toBe(false);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc).not.toBe(nativeFuncs[3]);
    // ... and registering the native kernels again restores every one of them (the bug: it did
    // nothing, so a second training in one process ran the wasm gradients: different last bits).
    registerNativeTrainingKernels();
    expect(nativeTrainingKernelsRegistered()).toBe(true);
    names.forEach((name, i) => expect(tf.getKernel(name, 'wasm')?.kernelFunc, name).toBe(nativeFuncs[i]));
  });
});

// Edge shapes against the cpu backend (whole tensors): 1x1 maps, stride 2 on odd sizes, batch 1,
// non-square, valid padding, LeNet's 5x5 valid, VGG's 3x3 same, ResNet's 1x1 stride-2 shortcut,
// explicit padding, channel counts off the 6 x 16 register tile, and reductions longer than one
// 256-block with more than one 120-row block.
const edgeCases: Case[] = [
  { x: [1, 1, 1, 3], k: [4, 4], co: 5, s: 2, pad: 'same' },
  { x: [2, 1, 1, 7], k: [4, 4], co: 17, s: 1, pad: 'same' },
  { x: [1, 7, 9, 5], k: [4, 4], co: 6, s: 2, pad: 'same' },
  { x: [2, 5, 5, 3], k: [3, 3], co: 4, s: 2, pad: 'valid' },
  { x: [1, 12, 12, 1], k: [5, 5], co: 6, s: 1, pad: 'valid' },
  { x: [2, 6, 6, 3], k: [3, 3], co: 8, s: 1, pad: 'same' },
  { x: [2, 9, 9, 4], k: [1, 1], co: 6, s: 2, pad: 'same' },
  { x: [2, 7, 6, 5], k: [3, 2], co: 4, s: [2, 1], pad: 'same' },
  { x: [2, 9, 9, 20], k: [4, 4], co: 33, s: 1, pad: 'same' },
  { x: [2, 6, 7, 4], k: [3, 3], co: 3, s: 2, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
];

describe.skipIf(!native)('native convolution kernels match the cpu backend (edge shapes)', () => {
  it.each(edgeCases.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const expected = await on('cpu', () => convAll(c));
    const actual = await on('wasm', () => convAll(c));
    expect(relError(actual.y, expected.y), 'y').toBeLessThanOrEqual(TOLERANCE);
    expect(relError(actual.dx, expected.dx), 'dx').toBeLessThanOrEqual(TOLERANCE);
    expect(relError(actual.dw, expected.dw), 'dw').toBeLessThanOrEqual(TOLERANCE);
    expect(expected.dw.some((v) => v !== 0)).toBe(true);
  });

  it.each(['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'] as const)('fused conv2d with bias and %s', async (activation) => {
    const run = async (): Promise<Float32Array> => {
      const x = tf.tensor4d(seeded(2 * 5 * 6 * 7, 4).map((v) => 4 * v), [2, 5, 6, 7]);
      const filter = tf.tensor4d(seeded(3 * 3 * 7 * 18, 5), [3, 3, 7, 18]);
      const bias = tf.tensor1d(seeded(18, 6));
      const y = tf.fused.conv2d({ x, filter, bias, strides: 2, pad: 'same', activation, leakyreluAlpha: 0.3 });
      const out = (await y.data()) as Float32Array;
      tf.dispose([x, filter, bias, y]);
      return out;
    };
    const expected = await on('cpu', run);
    expect(relError(await on('wasm', run), expected)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('cases it does not run (dilation 2) go to the kernel registered before', async () => {
    const run = async (): Promise<Float32Array> => {
      const x = tf.tensor4d(seeded(2 * 9 * 9 * 3, 7), [2, 9, 9, 3]);
      const w = tf.tensor4d(seeded(3 * 3 * 3 * 4, 8), [3, 3, 3, 4]);
      const y = tf.conv2d(x, w, 1, 'same', 'NHWC', 2);
      const out = (await y.data()) as Float32Array;
      tf.dispose([x, w, y]);
      return out;
    };
    const expected = await on('cpu', run);
    expect(relError(await on('wasm', run), expected)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('the comparison notices a wrong result', async () => {
    const c = edgeCases[2]!;
    const expected = await on('cpu', () => convAll(c));
    const wrong = (await on('wasm', () => convAll(c))).dx.slice();
    wrong[5]! += 1e-2;
    expect(relError(wrong, expected.dx)).toBeGreaterThan(TOLERANCE);
  });
});

/** Geometry of `tf.conv2d(x [n, h, w, ci], [k, k, ci, co], s, 'same')` with TF's padding. */
function same(n: number, h: number, ci: number, k: number, s: number, co: number): Geometry {
  const o = Math.ceil(h / s);
  const pad = Math.max(0, (o - 1) * s + k - h);
  return { n, h, w: h, ci, oh: o, ow: o, co, kh: k, kw: k, sh: s, sw: s, pt: Math.floor(pad / 2), pl: Math.floor(pad / 2) };
}

// Every convolution of the reconstructor (gf 32) and discriminator (df 64) on 32 x 32 x 3, and
// of the baselines (VGG 3x3, ResNet 3x3 / 1x1 stride 2, LeNet 5x5 valid), at batch 2 (1 for the
// largest): the cpu backend's gradients take minutes there, so each tensor is checked against a
// float64 reference on 200 sampled elements.
const modelShapes: [string, Geometry][] = [
  ['R down0', same(2, 32, 3, 4, 2, 32)],
  ['R down1', same(2, 16, 32, 4, 2, 64)],
  ['R down2', same(2, 8, 64, 4, 2, 128)],
  ['R down3', same(2, 4, 128, 4, 2, 128)],
  ['R down4', same(2, 2, 128, 4, 2, 256)],
  ['R up0', same(2, 2, 256, 4, 1, 256)],
  ['R up1', same(2, 4, 256, 4, 1, 256)],
  ['R up2', same(2, 8, 256, 4, 1, 256)],
  ['R up3', same(1, 16, 256, 4, 1, 128)],
  ['R up4', same(1, 32, 128, 4, 1, 64)],
  ['R out', same(1, 32, 64, 4, 1, 3)],
  ['D d0', same(2, 32, 3, 4, 2, 64)],
  ['D d1', same(2, 16, 64, 4, 2, 128)],
  ['D d2', same(2, 8, 128, 4, 2, 256)],
  ['D d3', same(2, 4, 256, 4, 2, 512)],
  ['D validity', same(2, 2, 512, 4, 1, 1)],
  ['VGG 3x3', same(2, 16, 32, 3, 1, 64)],
  ['ResNet 3x3 s2', same(2, 16, 16, 3, 2, 32)],
  ['ResNet 1x1 s2', same(2, 16, 16, 1, 2, 32)],
  ['LeNet 5x5 valid', { n: 2, h: 28, w: 28, ci: 1, oh: 24, ow: 24, co: 6, kh: 5, kw: 5, sh: 1, sw: 1, pt: 0, pl: 0 }],
];

describe.skipIf(!native)('native convolution kernels on every model shape (float64 reference, sampled)', () => {
  it.each(modelShapes)('%s', async (_name, g) => {
    await tf.setBackend('wasm');
    const xShape: [number, number, number, number] = [g.n, g.h, g.w, g.ci];
    const wShape: [number, number, number, number] = [g.kh, g.kw, g.ci, g.co];
    const pad: Pad = g.pt === 0 && g.pl === 0 && g.oh === g.h - g.kh + 1 ? 'valid' : 'same';
    const x = tf.tensor4d(seeded(tf.util.sizeFromShape(xShape), 11), xShape);
    const w = tf.tensor4d(seeded(tf.util.sizeFromShape(wShape), 12), wShape);
    const dy = tf.tensor4d(seeded(g.n * g.oh * g.ow * g.co, 13), [g.n, g.oh, g.ow, g.co]);
    const y = tf.conv2d(x, w, [g.sh, g.sw], pad);
    expect(y.shape).toEqual([g.n, g.oh, g.ow, g.co]);
    const dx = tf.conv2dTranspose(dy, w, xShape, [g.sh, g.sw], pad); // Conv2DBackpropInput
    const dW = tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, [g.sh, g.sw], pad).mul(dy).sum())(w); // Conv2DBackpropFilter
    const [xs, ws, dys] = [(await x.data()) as Float32Array, (await w.data()) as Float32Array, (await dy.data()) as Float32Array];
    const check = async (op: 'forward' | 'dx' | 'dw', t: tf.Tensor, a: Float32Array, b: Float32Array): Promise<void> => {
      const values = (await t.data()) as Float32Array;
      const idx = sampleIndices(values.length, 200, 14);
      const expected = new Float64Array(values.length);
      for (const i of idx) expected[i] = referenceAt(op, g, a, b, i);
      expect(relError(values, expected, idx), op).toBeLessThanOrEqual(TOLERANCE);
    };
    await check('forward', y, xs, ws);
    await check('dx', dx, dys, ws);
    await check('dw', dW, xs, dys);
    tf.dispose([x, w, dy, y, dx, dW]);
  });
});

describe.skipIf(!native || !trainAddon()?.supportedIsas().includes('avx2'))('scalar and AVX2 paths', () => {
  it.each([
    ['R down1 (stride 2)', same(2, 8, 32, 4, 2, 20)],
    ['R up (stride 1, 3 outputs)', same(1, 9, 13, 4, 1, 3)],
    ['long reduction', same(2, 7, 40, 3, 1, 19)],
  ] as const)('give the same bits: %s', (_name, g) => {
    const addon = trainAddon()!;
    const nx = g.n * g.h * g.w * g.ci;
    const ny = g.n * g.oh * g.ow * g.co;
    const nw = g.kh * g.kw * g.ci * g.co;
    for (const [op, sizes] of [
      [CONV_OP.forward, [nx, nw, ny]],
      [CONV_OP.backpropInput, [ny, nw, nx]],
      [CONV_OP.backpropFilter, [nx, ny, nw]],
    ] as const) {
      const outputs = (['scalar', 'avx2'] as const).map((isa) => {
        const heap = new ArrayBuffer(4 * (sizes[0] + sizes[1] + sizes[2] + g.co));
        new Float32Array(heap, 0, sizes[0]).set(seeded(sizes[0], 21));
        new Float32Array(heap, 4 * sizes[0], sizes[1]).set(seeded(sizes[1], 22));
        const biasAt = 4 * (sizes[0] + sizes[1] + sizes[2]);
        new Float32Array(heap, biasAt, g.co).set(seeded(g.co, 23));
        const geom = [g.n, g.h, g.w, g.ci, g.oh, g.ow, g.co, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl];
        addon.conv(op, heap, new Float64Array([...geom, 0, 4 * sizes[0], 4 * (sizes[0] + sizes[1]), op === 0 ? biasAt : -1, 3, 0.2]), isa);
        return new Uint32Array(heap, 4 * (sizes[0] + sizes[1]), sizes[2]);
      });
      expect(Buffer.from(outputs[0]!.buffer, outputs[0]!.byteOffset, outputs[0]!.byteLength).equals(Buffer.from(outputs[1]!.buffer, outputs[1]!.byteOffset, outputs[1]!.byteLength)), `op ${op}`).toBe(true);
    }
  });

  it('refuses offsets outside the heap and unknown paths', () => {
    const addon = trainAddon()!;
    const heap = new ArrayBuffer(64);
    const geom = [1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 1, 0, 0];
    expect(() => addon.conv(0, heap, new Float64Array([...geom, 0, 16, 60, -1, 0, 0]))).toThrow(/outside the heap/);
    expect(() => addon.conv(0, heap, new Float64Array([...geom, 0, 16, 32, -1, 0, 0]), 'avx512' as never)).toThrow(/scalar or avx2/);
    expect(() => addon.conv(0, heap, new Float64Array([...geom, 0, 0, 32, -1, 0, 0]).subarray(1))).toThrow(/19 numbers/);
  });
});

describe.skipIf(!native)('the wasm fallback', () => {
  it('gives the same results within the bound, and the native kernels come back', async () => {
    const c: Case = { x: [2, 8, 8, 16], k: [4, 4], co: 32, s: 2, pad: 'same' };
    await tf.setBackend('wasm');
    const withNative = await convAll(c);
    const names = [tf.Conv2D, tf.FusedConv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter, tf.ResizeNearestNeighborGrad];
    const nativeFuncs = names.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    unregisterNativeTrainingKernels();
    const originals = names.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    try {
      expect(nativeTrainingKernelsRegistered()).toBe(false);
      names.forEach((name, i) => expect(originals[i], name).not.toBe(nativeFuncs[i]));
      const fallback = await convAll(c);
      for (const key of ['y', 'dx', 'dw'] as const) expect(relError(fallback[key], withNative[key]), key).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      registerNativeTrainingKernels();
    }
    expect(nativeTrainingKernelsRegistered()).toBe(true);
    names.forEach((name, i) => expect(tf.getKernel(name, 'wasm')?.kernelFunc, name).not.toBe(originals[i]));
  });
});

describe.skipIf(!native)('native upsampling gradient', () => {
  it.each([
    [[3, 4, 5, 2], 2],
    [[1, 1, 1, 7], 2],
    [[2, 3, 2, 3], 4],
  ] as const)('x %j, factor %i: sums each block, in a JS reference', async (shape, f) => {
    await tf.setBackend('wasm');
    const [n, h, w, c] = shape;
    const x = tf.tensor4d(seeded(n * h * w * c, 51), [n, h, w, c]);
    const r = seeded(n * f * h * f * w * c, 52);
    const rt = tf.tensor4d(r, [n, f * h, f * w, c]);
    const g = tf.grad((a: tf.Tensor) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [f * h, f * w]).mul(rt).sum())(x);
    const expected = new Float32Array(n * h * w * c);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < f * h; i++)
        for (let j = 0; j < f * w; j++)
          for (let k = 0; k < c; k++) expected[((b * h + Math.floor(i / f)) * w + Math.floor(j / f)) * c + k]! += r[((b * f * h + i) * f * w + j) * c + k]!;
    expect(relError((await g.data()) as Float32Array, expected)).toBeLessThanOrEqual(1e-6);
    tf.dispose([x, rt, g]);
  });

  it('cases it does not run (factor 3, alignCorners) go to the kernel registered before', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(seeded(2 * 3 * 3 * 2, 53), [2, 3, 3, 2]);
    for (const [size, align] of [[9, false], [6, true]] as const) {
      const rt = tf.tensor4d(seeded(2 * size * size * 2, 54), [2, size, size, 2]);
      const g = tf.grad((a: tf.Tensor) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [size, size], align).mul(rt).sum())(x);
      expect(g.shape).toEqual([2, 3, 3, 2]);
      const total = (await g.sum().data())[0]!;
      expect(total).toBeCloseTo((await rt.sum().data())[0]!, 4); // every dy value lands somewhere
      tf.dispose([rt, g]);
    }
    x.dispose();
  });
});
