import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ShapeError } from '../../errors.js';
import { matmul } from './matmul.js';
import { matmulTs } from './matmul-ts.js';
import { RING_KERNEL_BINARY, loadRingKernel, matmulAsync, matmulFast, matmulNative, ringKernelInfo } from './native-kernel.js';
import { SeededRandom, randomTensor } from './random.js';
import { RingTensor, type Shape } from './ring-tensor.js';

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
