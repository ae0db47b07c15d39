import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { add, addScalar, mul, mulScalar, neg, shiftRightArithmetic, shiftRightLogical, sub } from './elementwise.js';
import { loadRingKernel } from './native-kernel.js';
import { SeededRandom, randomTensor } from './random.js';
import { RingTensor, fromSigned, toSigned } from './ring-tensor.js';

const M = 1n << 64n;
/** Exact reference: unbounded BigInt arithmetic, then the non-negative residue modulo 2^64. */
const mod = (v: bigint): bigint => ((v % M) + M) % M;
const signed = (v: bigint): bigint => (v >= 1n << 63n ? v - M : v);
const floorDiv = (v: bigint, d: bigint): bigint => (v >= 0n ? v / d : -((-v + d - 1n) / d));

const EDGES = [0n, 1n, 2n, 3n, (1n << 21n) + 5n, (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 63n) + 1n, M - 2n, M - 1n];

/** All pairs of edge values plus random words. */
function operands(): [RingTensor, RingTensor] {
  const left: bigint[] = [];
  const right: bigint[] = [];
  for (const u of EDGES) for (const v of EDGES) left.push(u), right.push(v);
  const random = new SeededRandom('ring-test', { insecureDeterministic: true });
  const r = randomTensor(random, [2000]);
  for (let i = 0; i < 1000; i++) left.push(r.data[i]!), right.push(r.data[1000 + i]!);
  return [RingTensor.fromBigInts(left), RingTensor.fromBigInts(right)];
}

// Both code paths: add, sub, mul, neg and the scalar forms run natively from 1,024 words when the
// addon is loaded (the operands have 1,169), and in TypeScript when it is not.
describe.each(['native kernel if built', 'TypeScript'])('elementwise ring arithmetic modulo 2^64 (%s)', (kernel) => {
  beforeAll(() => {
    loadRingKernel({ forceTs: kernel === 'TypeScript' });
  });
  afterAll(() => {
    loadRingKernel();
  });
  const [a, b] = operands();
  const cases: [string, (x: RingTensor, y: RingTensor) => RingTensor, (u: bigint, v: bigint) => bigint][] = [
    ['add', add, (u, v) => u + v],
    ['sub', sub, (u, v) => u - v],
    ['mul', mul, (u, v) => u * v],
    ['neg', (x) => neg(x), (u) => -u],
  ];
  it.each(cases)('%s matches exact BigInt arithmetic reduced mod 2^64 (edges and random words)', (_, op, ref) => {
    const got = op(a, b);
    expect(got.shape).toEqual(a.shape);
    for (let i = 0; i < a.size; i++) expect(got.data[i]).toBe(mod(ref(a.data[i]!, b.data[i]!)));
  });

  it('wraps around at 2^64', () => {
    const t = (v: bigint[]) => RingTensor.fromBigInts(v);
    expect(add(t([M - 1n]), t([1n])).data[0]).toBe(0n);
    expect(sub(t([0n]), t([1n])).data[0]).toBe(M - 1n);
    expect(mul(t([1n << 63n]), t([2n])).data[0]).toBe(0n);
    expect(mul(t([1n << 32n]), t([1n << 32n])).data[0]).toBe(0n);
    expect(mul(t([(1n << 32n) + 1n]), t([(1n << 32n) + 1n])).data[0]).toBe((1n << 33n) + 1n);
    expect(mul(t([M - 1n]), t([M - 1n])).data[0]).toBe(1n); // (-1) * (-1)
    expect(neg(t([0n, 1n << 63n])).data).toEqual(new BigUint64Array([0n, 1n << 63n]));
  });

  it('writes into a given tensor (either operand itself, or a fresh one) the words it would return, and checks its shape', () => {
    const fresh = (): RingTensor => RingTensor.zeros(a.shape);
    const steps: [string, (into?: RingTensor) => RingTensor][] = [
      ['add', (into) => add(a, b, into)],
      ['sub', (into) => sub(a, b, into)],
      ['mul', (into) => mul(a, b, into)],
      ['neg', (into) => neg(a, into)],
      ['mulScalar', (into) => mulScalar(a, -3n, into)],
      ['addScalar', (into) => addScalar(a, 1n << 63n, into)],
    ];
    for (const [name, step] of steps) {
      const want = step();
      const out = fresh();
      expect(step(out), name).toBe(out);
      expect(out.data, name).toEqual(want.data);
      for (const operand of name === 'add' || name === 'sub' || name === 'mul' ? [a, b] : [a]) {
        const saved = operand.clone();
        const alias = operand; // in place: the result replaces the operand's words
        try {
          expect(step(alias).data, `${name} into its operand`).toEqual(want.data);
        } finally {
          operand.data.set(saved.data);
        }
      }
      expect(() => step(RingTensor.zeros([a.size + 1])), name).toThrow(ShapeError);
    }
  });

  it('refuses an into that partly overlaps an operand, naming the step', () => {
    const buffer = new BigUint64Array(a.size + 1);
    buffer.set(a.data);
    const x = new RingTensor(a.shape, buffer.subarray(0, a.size));
    const shifted = new RingTensor(a.shape, buffer.subarray(1, a.size + 1)); // one word further: partial overlap
    expect(() => add(x, b, shifted)).toThrow(/ring add.*into must be an operand itself or overlap none of them/);
    expect(() => sub(b, x, shifted)).toThrow(/ring sub/);
    expect(() => neg(x, shifted)).toThrow(/ring neg/);
    expect(() => mulScalar(x, 3n, shifted)).toThrow(/ring mulScalar/);
    // the same words through another view are the operand itself
    const same = new RingTensor(a.shape, buffer.subarray(0, a.size));
    expect(add(x, b, same).data).toEqual(add(a, b).data);
  });

  it('scalar multiply and add reduce any BigInt scalar modulo 2^64', () => {
    for (const s of [0n, 1n, -1n, 3n, 1n << 63n, M + 5n, -(1n << 70n) - 7n]) {
      const p = mulScalar(a, s);
      const q = addScalar(a, s);
      for (let i = 0; i < a.size; i++) {
        expect(p.data[i]).toBe(mod(a.data[i]! * s));
        expect(q.data[i]).toBe(mod(a.data[i]! + s));
      }
    }
  });

  it.each([0, 1, 13, 16, 20, 31, 32, 33, 47, 63])('shifts right by %i bits, logical and arithmetic', (bits) => {
    const d = 1n << BigInt(bits);
    const logical = shiftRightLogical(a, bits);
    const arithmetic = shiftRightArithmetic(a, bits);
    for (let i = 0; i < a.size; i++) {
      const u = a.data[i]!;
      expect(logical.data[i]).toBe(u / d);
      expect(arithmetic.data[i]).toBe(mod(floorDiv(signed(u), d)));
    }
    // into the operand itself: the same words
    const inPlace = a.clone();
    expect(shiftRightArithmetic(inPlace, bits, inPlace)).toBe(inPlace);
    expect(inPlace.data).toEqual(arithmetic.data);
    const into = RingTensor.zeros(a.shape);
    expect(shiftRightLogical(a, bits, into).data).toEqual(logical.data);
  });

  it('rejects mismatched shapes and bad shift counts', () => {
    expect(() => add(RingTensor.zeros([2, 3]), RingTensor.zeros([3, 2]))).toThrow(ShapeError);
    expect(() => mul(RingTensor.zeros([2]), RingTensor.zeros([3]))).toThrow(/shapes differ/);
    expect(() => shiftRightLogical(RingTensor.zeros([1]), 64)).toThrow(ShapeError);
    const words = RingTensor.zeros([4]);
    const head = new RingTensor([3], words.data.subarray(0, 3));
    expect(() => shiftRightLogical(head, 3, new RingTensor([3], words.data.subarray(1)))).toThrow(/overlap/);
  });

  it('never writes to its inputs', () => {
    const before = a.data.slice();
    const other = b.data.slice();
    add(a, b), sub(a, b), mul(a, b), neg(a), shiftRightArithmetic(a, 5), mulScalar(a, 3n), addScalar(a, 3n);
    expect(a.data).toEqual(before);
    expect(b.data).toEqual(other);
  });
});

describe('RingTensor and the two\'s complement view', () => {
  it('uninitialized gives a writable tensor of the right shape on its own, 8-byte aligned memory', () => {
    const t = RingTensor.uninitialized([3, 700]);
    expect(t.shape).toEqual([3, 700]);
    expect(t.data.length).toBe(2100);
    expect(t.data.byteOffset % 8).toBe(0);
    t.data.fill(7n);
    const u = RingTensor.uninitialized([3, 700]);
    expect(u.data.buffer).not.toBe(t.data.buffer);
    expect(RingTensor.uninitialized([0]).size).toBe(0);
  });

  it('fromSigned/toSigned round-trip through two\'s complement', () => {
    const values = [0n, 1n, -1n, -(1n << 63n), (1n << 63n) - 1n, 12345n, -12345n];
    const t = fromSigned(values);
    expect(t.data[2]).toBe(M - 1n);
    expect(t.data[3]).toBe(1n << 63n);
    expect(Array.from(toSigned(t))).toEqual(values);
    expect(Array.from(toSigned(fromSigned([-7, 7, 0], [3])))).toEqual([-7n, 7n, 0n]);
  });

  it('checks shapes and integer inputs', () => {
    expect(() => new RingTensor([2, 2], new BigUint64Array(3))).toThrow(ShapeError);
    expect(() => new RingTensor([2, -1])).toThrow(/dimension 1/);
    expect(() => fromSigned([1, 2.5])).toThrow(/element 1/);
    const t = RingTensor.fromBigInts([1n, 2n, 3n, 4n, 5n, 6n], [2, 3]);
    expect(t.size).toBe(6);
    expect(t.byteLength).toBe(48);
    expect(Object.isFrozen(t.shape)).toBe(true);
  });
});
