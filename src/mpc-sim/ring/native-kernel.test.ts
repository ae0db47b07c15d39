import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ShapeError } from '../../errors.js';
import { dotWords, sumWords } from './elementwise.js';
import { matmul } from './matmul.js';
import { matmulTs } from './matmul-ts.js';
import { convGeometry, im2col, type Padding } from './im2col.js';
import { RING_KERNEL_BINARY, convMatmulAsync, convMatmulFast, loadRingKernel, matmulAsync, matmulFast, matmulNative, ringKernelInfo } from './native-kernel.js';
import { SeededRandom, randomTensor } from './random.js';
import { RingTensor, type Shape } from './ring-tensor.js';
import { upsampleNearest } from './upsample.js';

// Build the addon if it is missing or stale (a no-op otherwise; never fails), then load it. At
// collection time, so the native tests can be skipped when it is not there (outside CI).
const root = join(import.meta.dirname, '..', '..', '..');
execFileSync(process.execPath, [join(root, 'scripts', 'build-ring-kernel.mjs')], { stdio: 'inherit' });
const info = loadRingKernel();
const native = info.kind === 'native';
const ci = process.env['CI'] === 'true';

const random = new SeededRandom('native-kernel-test', { insecureDeterministic: true });
const MAX = (1n << 64n) - 1n;

/** Words within 2^16 of 2^64 - 1 (products and sums wrap on every step). */
function nearMax(shape: Shape): RingTensor {
  const t = randomTensor(random, shape);
  for (let i = 0; i < t.size; i++) t.data[i] = MAX - (t.data[i]! & 0xffffn);
  return t;
}

// 1 x 1 x 1, sizes off the vector width (4, 8) and tile (4 x 4, 8 x 16), k = 0 and empty sides,
// k across depth blocks (256), n across column blocks (512), m across row blocks (96).
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [2, 3, 4],
  [3, 5, 7],
  [7, 1, 9],
  [8, 256, 16],
  [9, 17, 33],
  [13, 257, 17],
  [4, 4, 15],
  [5, 0, 3],
  [0, 4, 4],
  [4, 4, 0],
  [1, 1000, 1],
  [11, 600, 23],
  [3, 20, 530],
  [130, 40, 21],
  [97, 130, 67],
];

// Lowered convolutions: [h, w, c] before upsampling, kernel, stride, padding, upsampling, n.
// Odd channel counts (taps straddle depth blocks), K across depth blocks (4 x 4 x 20 = 320 > 256),
// M across row blocks (96), TF's asymmetric "same" padding (k 4, s 2), valid padding, n > 512.
const CONVS: [number, number, number, number, number, Padding, number, number][] = [
  [1, 1, 1, 1, 1, 'same', 1, 1],
  [5, 7, 3, 3, 1, 'same', 1, 4],
  [8, 8, 3, 4, 2, 'same', 1, 16],
  [9, 6, 5, 4, 2, 'same', 1, 9],
  [6, 6, 20, 4, 1, 'same', 1, 17],
  [4, 4, 7, 4, 1, 'same', 2, 8],
  [3, 5, 2, 3, 2, 'same', 2, 5],
  [7, 7, 3, 3, 1, 'valid', 1, 6],
  [12, 12, 2, 5, 1, 'same', 1, 3],
  [2, 2, 3, 1, 1, 'same', 1, 530],
];

/** The lowered convolution the slow way: upsample, im2col, TypeScript product. */
function convReference(x: RingTensor, up: number, g: ReturnType<typeof convGeometry>, b: RingTensor): RingTensor {
  return matmulTs(im2col(up === 1 ? x : upsampleNearest(x, up), g), b);
}

describe('native ring kernel', () => {
  afterEach(() => {
    loadRingKernel();
  });

  it('is built and loads (required in CI)', (ctx) => {
    if (!native && !ci) ctx.skip(`not loaded: ${info.reason ?? ''}`);
    expect(info.reason).toBeUndefined();
    expect(info.kind).toBe('native');
    expect(info.supportedIsas).toContain('scalar');
    expect(info.supportedIsas).toContain(info.isa);
  });

  describe.skipIf(!native)('with the addon', () => {
    const isas = info.supportedIsas ?? [];

    it.each(isas)('%s equals the TypeScript kernel bit for bit on random and near-2^64 words', (isa) => {
      for (const [m, k, n] of SHAPES) {
        for (const make of [(s: Shape) => randomTensor(random, s), nearMax]) {
          const a = make([m, k]);
          const b = make([k, n]);
          const want = matmulTs(a, b);
          const got = matmulNative(a, b, isa);
          expect(got.shape, `[${m}, ${k}] @ [${k}, ${n}]`).toEqual([m, n]);
          expect(got.data, `[${m}, ${k}] @ [${k}, ${n}] on ${isa}`).toEqual(want.data);
        }
      }
    });

    it.each(isas)('%s: convMatmul (patch matrix generated inside the product) equals im2col then the TypeScript product', async (isa) => {
      for (const [h, w, c, k, stride, padding, up, n] of CONVS) {
        const g = convGeometry({ inHeight: h * up, inWidth: w * up, inChannels: c, kernel: k, stride, padding });
        for (const make of [(s: Shape) => randomTensor(random, s), nearMax]) {
          const x = make([h, w, c]);
          const b = make([g.cols, n]);
          const want = convReference(x, up, g, b);
          const label = `${h}x${w}x${c} k${k} s${stride} ${padding} up${up} n${n} on ${isa}`;
          const got = convMatmulFast(x, g, up, b, isa);
          expect(got.shape, label).toEqual([g.rows, n]);
          expect(got.data, label).toEqual(want.data);
          if (isa === info.isa) expect((await convMatmulAsync(x, g, up, b)).data, label).toEqual(want.data);
        }
      }
    });

    it('convMatmul rejects operands that do not fit the geometry', async () => {
      const g = convGeometry({ inHeight: 8, inWidth: 8, inChannels: 3, kernel: 3 });
      const x = RingTensor.zeros([4, 4, 3]);
      expect(() => convMatmulFast(x, g, 1, RingTensor.zeros([27, 2]))).toThrow(/expected an image \[8, 8, 3\]/);
      expect(() => convMatmulFast(x, g, 2, RingTensor.zeros([26, 2]))).toThrow(/right factor must be \[27, n >= 1\]/);
      expect(() => convMatmulFast(x, g, 3, RingTensor.zeros([27, 2]))).toThrow(/upsampling by 3 cannot produce a 8 x 8 input/);
      await expect(convMatmulAsync(RingTensor.zeros([8, 8, 2]), g, 1, RingTensor.zeros([27, 2]))).rejects.toThrow(ShapeError);
      expect(convMatmulFast(x, g, 2, RingTensor.zeros([27, 2])).shape).toEqual([64, 2]);
    });

    it('wraps exactly: (-1)(-1) summed k times is k, and 2^63 + 2^63 is 0', () => {
      for (const isa of isas) {
        const k = 19;
        const ones = RingTensor.fromBigInts(new Array<bigint>(3 * k).fill(MAX), [3, k]);
        const got = matmulNative(ones, RingTensor.fromBigInts(new Array<bigint>(k * 5).fill(MAX), [k, 5]), isa);
        expect(got.data).toEqual(new BigUint64Array(15).fill(BigInt(k)));
        const half = RingTensor.fromBigInts([1n << 63n, 1n << 63n], [1, 2]);
        expect(matmulNative(half, RingTensor.fromBigInts([1n, 1n], [2, 1]), isa).data[0]).toBe(0n);
      }
    });

    it('reads inputs that are views into a larger buffer', () => {
      const big = randomTensor(random, [1 + 6 * 5 + 5 * 7]);
      const a = new RingTensor([6, 5], big.data.subarray(1, 31));
      const b = new RingTensor([5, 7], big.data.subarray(31));
      expect(matmulFast(a, b).data).toEqual(matmulTs(a, b).data);
    });

    it('matmul and matmulFast dispatch to it', () => {
      expect(ringKernelInfo()).toEqual(info);
      const a = randomTensor(random, [9, 31]);
      const b = randomTensor(random, [31, 10]);
      expect(matmul(a, b).data).toEqual(matmulTs(a, b).data);
      expect(matmulFast(a, b).data).toEqual(matmulTs(a, b).data);
    });

    it('matmulAsync equals the synchronous product, also for two concurrent calls', async () => {
      const a1 = randomTensor(random, [200, 300]);
      const b1 = randomTensor(random, [300, 70]);
      const a2 = nearMax([64, 257]);
      const b2 = randomTensor(random, [257, 33]);
      const [z1, z2] = await Promise.all([matmulAsync(a1, b1), matmulAsync(a2, b2)]);
      expect(z1.shape).toEqual([200, 70]);
      expect(z1.data).toEqual(matmulFast(a1, b1).data);
      expect(z2.data).toEqual(matmulTs(a2, b2).data);
      expect((await matmulAsync(RingTensor.zeros([3, 0]), RingTensor.zeros([0, 2]))).data).toEqual(new BigUint64Array(6));
    });

    it('rejects bad shapes with ShapeError, and an ISA name the addon does not know', async () => {
      const a = RingTensor.zeros([2, 3]);
      expect(() => matmulFast(a, RingTensor.zeros([2, 3]))).toThrow(ShapeError);
      await expect(matmulAsync(a, RingTensor.zeros([4, 1]))).rejects.toThrow(ShapeError);
      expect(() => matmulNative(a, RingTensor.zeros([3, 1]), 'sse9' as never)).toThrow(/isa must be scalar, avx2 or avx512/);
    });

    it('elementwise refuses unknown ops, mismatched lengths and partly overlapping outputs', () => {
      const addon = createRequire(import.meta.url)(join(root, RING_KERNEL_BINARY)) as {
        elementwise(op: number, a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void;
        comparisonLeaves(c: BigUint64Array, code: Uint32Array, params: Int32Array, g: Uint32Array, eq: Uint32Array, topFlip: Uint32Array): void;
      };
      // comparisonLeaves checks that every index it will touch is inside its arrays.
      const leaves = (params: number[], codeWords = 4) =>
        addon.comparisonLeaves(new BigUint64Array(8), new Uint32Array(codeWords), Int32Array.from(params), new Uint32Array(2), new Uint32Array(2), new Uint32Array(1));
      expect(() => leaves([8, 15, 3, 1, 1, 2, 0, 2, 2, 2, 0, 3])).not.toThrow(); // two 2-bit chunks, 3 code bits each
      expect(() => leaves([8, 15, 3, 1, 1, 2, 0, 2, 2, 2, 0, 13])).toThrow(/do not fit/); // a chunk's code past codeBits
      expect(() => leaves([8, 15, 3, 1, 1, 2, 0, 2, 2, 2, 0, 3], 3)).toThrow(/do not fit/); // code shorter than n codeBits
      expect(() => leaves([9, 15, 3, 1, 1, 2, 0, 2, 2, 2, 0, 3])).toThrow(/do not fit/); // more elements than c
      expect(() => leaves([8, 15, 3, 1, 1, 2, 0, 2, 2, 2, 0, 3, 3], 2)).not.toThrow(); // period 3: the code of 3 elements
      expect(() => leaves([8, 15, 3, 1, 1, 2, 0, 2, 2, 2, 0, 3, 5], 2)).toThrow(/do not fit/); // code shorter than period codeBits
      expect(() => leaves([8, 15, 3, 1, 1, 2, 0, 2, 2, 2, 0, 3, 0])).toThrow(/do not fit/); // period 0
      expect(() => leaves([8, 15, 3, 1, 1, 2, 0, 2, 2, 2, 0, 3, 9])).toThrow(/do not fit/); // period above n
      const a = new BigUint64Array([1n, 2n, 3n]);
      expect(() => addon.elementwise(3, a, a, new BigUint64Array(3))).toThrow(/op must be 0 \(add\), 1 \(sub\) or 2 \(mul\)/);
      expect(() => addon.elementwise(0, a, new BigUint64Array(2), new BigUint64Array(3))).toThrow(/b of a's length/);
      const buffer = new BigUint64Array(4);
      expect(() => addon.elementwise(0, buffer.subarray(0, 3), a, buffer.subarray(1))).toThrow(/not overlap/);
      addon.elementwise(2, a, BigUint64Array.of(MAX), a); // in place, by the scalar -1
      expect(a).toEqual(new BigUint64Array([MAX, MAX - 1n, MAX - 2n]));
      const shifter = addon as unknown as { shiftRight(a: BigUint64Array, bits: number, arithmetic: number, out: BigUint64Array): void };
      shifter.shiftRight(a, 62, 1, a); // in place: -1, -2 and -3 shifted arithmetically by 62 are all -1
      expect(a).toEqual(new BigUint64Array([MAX, MAX, MAX]));
      expect(() => shifter.shiftRight(a, 64, 0, new BigUint64Array(3))).toThrow(/bits in \[0, 63\]/);
      expect(() => shifter.shiftRight(a, 1, 2, new BigUint64Array(3))).toThrow(/arithmetic 0 or 1/);
      expect(() => shifter.shiftRight(buffer.subarray(0, 3), 1, 0, buffer.subarray(1))).toThrow(/not overlapping/);
    });

    it('truncationFinish takes rMsb and rHigh of the input length or of one word (the same word for every element)', () => {
      const addon = createRequire(import.meta.url)(join(root, RING_KERNEL_BINARY)) as {
        truncationFinish(mine: BigUint64Array, other: BigUint64Array, rMsb: BigUint64Array, rHigh: BigUint64Array, first: number, f: number, y: BigUint64Array): void;
      };
      const mine = new BigUint64Array([5n << 40n, MAX - 7n, 1n << 63n]);
      const other = new BigUint64Array([3n << 20n, 12345n << 30n, 99n]);
      const full = new BigUint64Array(3);
      const one = new BigUint64Array(3);
      for (const first of [0, 1]) {
        addon.truncationFinish(mine, other, new BigUint64Array([7n, 7n, 7n]), new BigUint64Array([MAX, MAX, MAX]), first, 16, full);
        addon.truncationFinish(mine, other, BigUint64Array.of(7n), BigUint64Array.of(MAX), first, 16, one);
        expect(one).toEqual(full);
      }
      expect(() => addon.truncationFinish(mine, other, new BigUint64Array(2), new BigUint64Array(3), 0, 16, one)).toThrow(/do not fit/);
      expect(() => addon.truncationFinish(mine, other, new BigUint64Array(3), new BigUint64Array(2), 0, 16, one)).toThrow(/do not fit/);
    });

    it('pairedProduct refuses operands of other lengths, a scalar list that is not [kq, ks, u, first in {0, 1}], and an overlapping output', () => {
      const addon = createRequire(import.meta.url)(join(root, RING_KERNEL_BINARY)) as { pairedProduct(...args: BigUint64Array[]): void };
      const eight = Array.from({ length: 8 }, () => randomTensor(random, [5]).data);
      const out = new BigUint64Array(5);
      expect(() => addon.pairedProduct(...eight, BigUint64Array.of(1n, 2n, 3n, 1n), out)).not.toThrow();
      expect(() => addon.pairedProduct(...eight.slice(0, 7), new BigUint64Array(4), BigUint64Array.of(1n, 2n, 3n, 1n), out)).toThrow(/pairedProduct arguments do not fit/);
      expect(() => addon.pairedProduct(...eight, BigUint64Array.of(1n, 2n, 3n, 2n), out)).toThrow(/do not fit/);
      expect(() => addon.pairedProduct(...eight, BigUint64Array.of(1n, 2n, 3n), out)).toThrow(/do not fit/);
      expect(() => addon.pairedProduct(...eight, BigUint64Array.of(1n, 2n, 3n, 0n), eight[4]!)).toThrow(/do not fit/);
      expect(() => addon.pairedProduct(...eight.slice(0, 9))).toThrow(/expected \(q, sigma/);
    });

    it('sumWords and dotWords equal BigInt sums of the words and products, wrapping modulo 2^64, for every length', () => {
      for (const n of [1024, 1025, 1027, 4099]) {
        for (const make of [(sh: Shape) => randomTensor(random, sh), nearMax]) {
          const a = make([n]);
          const b = randomTensor(random, [n]);
          let sum = 0n;
          let dot = 0n;
          for (let i = 0; i < n; i++) {
            sum += a.data[i]!;
            dot += a.data[i]! * b.data[i]!;
          }
          expect(sumWords(a), `sum of ${n}`).toBe(BigInt.asUintN(64, sum));
          expect(dotWords(a, b), `dot of ${n}`).toBe(BigInt.asUintN(64, dot));
        }
      }
      // n (2^64 - 1)^2 = n modulo 2^64.
      const minusOne = new RingTensor([2048], new BigUint64Array(2048).fill(MAX));
      expect(dotWords(minusOne, minusOne)).toBe(2048n);
      expect(() => dotWords(RingTensor.zeros([2048]), RingTensor.zeros([2, 1024]))).toThrow(ShapeError);
      const addon = createRequire(import.meta.url)(join(root, RING_KERNEL_BINARY)) as { reduce(op: number, a: BigUint64Array, b: BigUint64Array, out: BigUint64Array): void };
      const a = new BigUint64Array(4);
      expect(() => addon.reduce(2, a, a, new BigUint64Array(1))).toThrow(/op must be 0 \(sum\) or 1 \(dot\)/);
      expect(() => addon.reduce(1, a, new BigUint64Array(3), new BigUint64Array(1))).toThrow(/b of a's length/);
      expect(() => addon.reduce(0, a, a, new BigUint64Array(2))).toThrow(/out of length 1/);
    });

    it('PRIVEDGE_RING_ISA picks the default path and refuses unknown names', () => {
      const run = (isa: string) =>
        spawnSync(process.execPath, ['-e', 'console.log(require(process.argv[1]).isa())', join(root, RING_KERNEL_BINARY)], {
          encoding: 'utf8',
          env: { ...process.env, PRIVEDGE_RING_ISA: isa },
        });
      expect(run('scalar').stdout.trim()).toBe('scalar');
      const bad = run('neon');
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/PRIVEDGE_RING_ISA must be scalar, avx2 or avx512, got 'neon'/);
    });
  });

  it('loadRingKernel({ forceTs: true }) uses the TypeScript kernel with identical results', async () => {
    const a = nearMax([17, 45]);
    const b = randomTensor(random, [45, 19]);
    const before = matmul(a, b);
    expect(loadRingKernel({ forceTs: true })).toEqual({ kind: 'typescript', reason: 'forced by loadRingKernel({ forceTs: true })' });
    expect(ringKernelInfo().kind).toBe('typescript');
    expect(matmul(a, b).data).toEqual(before.data);
    expect((await matmulAsync(a, b)).data).toEqual(before.data);
    expect(() => matmulNative(a, b)).toThrow(/not loaded: forced/);
    const v = nearMax([3000]);
    const u = randomTensor(random, [3000]);
    let sum = 0n;
    let dot = 0n;
    for (let i = 0; i < 3000; i++) {
      sum += v.data[i]!;
      dot += v.data[i]! * u.data[i]!;
    }
    expect([sumWords(v), dotWords(v, u)]).toEqual([BigInt.asUintN(64, sum), BigInt.asUintN(64, dot)]);
    const g = convGeometry({ inHeight: 6, inWidth: 6, inChannels: 3, kernel: 4, stride: 2 });
    const x = nearMax([3, 3, 3]);
    const w = randomTensor(random, [g.cols, 5]);
    expect(convMatmulFast(x, g, 2, w).data).toEqual(convReference(x, 2, g, w).data);
    expect((await convMatmulAsync(x, g, 2, w)).data).toEqual(convReference(x, 2, g, w).data);
  });

  it('PRIVEDGE_RING_KERNEL=ts selects the TypeScript kernel in a fresh module', async () => {
    vi.resetModules();
    vi.stubEnv('PRIVEDGE_RING_KERNEL', 'ts');
    try {
      const fresh = await import('./native-kernel.js');
      expect(fresh.ringKernelInfo()).toEqual({ kind: 'typescript', reason: 'PRIVEDGE_RING_KERNEL=ts' });
      const a = randomTensor(random, [5, 6]);
      const b = randomTensor(random, [6, 7]);
      expect(fresh.matmulFast(a, b).data).toEqual(matmulFast(a, b).data);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
