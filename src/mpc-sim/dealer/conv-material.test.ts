import { describe, expect, it } from 'vitest';
import { ProtocolError, ShapeError } from '../../errors.js';
import { CostMeter } from '../channel/cost-meter.js';
import { convGeometry, im2col } from '../ring/im2col.js';
import { matmul } from '../ring/matmul.js';
import { upsampleNearest } from '../ring/upsample.js';
import { reconstruct } from '../sharing/share.js';
import { connectDealer } from './connect.js';
import { convQueryMaskElements, convQueryMaskOptionsKey, layerInputShape, maskedShape, patchMap, toMasked, toPatches } from './conv-material.js';
import { RingTensor } from '../ring/ring-tensor.js';
import type { Dealer } from './dealer.js';
import { RecordingDealer } from './recording-dealer.js';
import { CryptoDealer, DeterministicDealer } from './crypto-dealer.js';

const DEALERS: [string, () => Dealer][] = [
  ['CryptoDealer', () => new CryptoDealer()],
  ['DeterministicDealer', () => new DeterministicDealer({ seed: 'conv-material-test', insecureDeterministic: true })],
];

// up 2x2x3 -> 4x4x3 -> conv k4 s1 -> 4x4x N: M = 16, K = 48.
const geometry = convGeometry({ inHeight: 4, inWidth: 4, inChannels: 3, kernel: 4 });

describe('patch maps', () => {
  it('input placement masks the layer input, patches placement the patch matrix', () => {
    const input = patchMap(geometry, 2, 'input');
    const patches = patchMap(geometry, 2, 'patches');
    expect(layerInputShape(input)).toEqual([2, 2, 3]);
    expect(maskedShape(input)).toEqual([2, 2, 3]);
    expect(maskedShape(patches)).toEqual([16, 48]);
    const [x] = new DeterministicDealer({ seed: 'x', insecureDeterministic: true }).mask([2, 2, 3], 'x');
    const full = im2col(upsampleNearest(x.ring, 2), geometry);
    expect(toPatches(toMasked(x.ring, input), input).data).toEqual(full.data);
    expect(toPatches(toMasked(x.ring, patches), patches).data).toEqual(full.data);
    expect(() => patchMap(geometry, 3, 'input')).toThrow(ShapeError);
  });
});

describe.each(DEALERS)('%s conv material', (_, makeDealer) => {
  it.each(['input', 'patches'] as const)('C = L(A) @ B with the enrolled B, a fresh A per query (%s)', (placement) => {
    const dealer = makeDealer();
    const map = patchMap(geometry, 2, placement);
    const [b0, b1] = dealer.weightMask('layer', 48, 5, 'enrol');
    const b = reconstruct([b0, b1]);
    expect(b.shape).toEqual([48, 5]);
    const as = [1, 2].map(() => {
      const [q0, q1] = dealer.convQueryMask('layer', map, 'query');
      const a = reconstruct([q0.a, q1.a]);
      expect(a.shape).toEqual(maskedShape(map));
      expect(reconstruct([q0.c, q1.c]).data).toEqual(matmul(toPatches(a, map), b).data);
      return a;
    });
    expect(as[0]!.data).not.toEqual(as[1]!.data);
  });

  it('meanPair: the mean\'s truncation pair and the products of its parts with sum A, itself and L(1) @ B (protocol v6)', () => {
    const dealer = makeDealer();
    const map = patchMap(geometry, 2, 'input');
    const [b0, b1] = dealer.weightMask('layer', 48, 5, 'enrol');
    const b = reconstruct([b0, b1]);
    const t = 35;
    const [q0, q1] = dealer.convQueryMask('layer', map, 'query', { squareSum: true, meanPair: t });
    const a = reconstruct([q0.a, q1.a]);
    const m0 = q0.mean!;
    const m1 = q1.mean!;
    const one = (k: keyof typeof m0): bigint => reconstruct([m0[k], m1[k]]).data[0]!;
    const r = one('r');
    const msb = r >> 63n;
    const high = (r & ((1n << 63n) - 1n)) >> BigInt(t);
    expect(one('rMsb')).toBe(msb);
    expect(one('rHigh')).toBe(high);
    const sumA = a.data.reduce((p, v) => p + v, 0n);
    const ring = (v: bigint): bigint => BigInt.asUintN(64, v);
    expect(one('highSumA')).toBe(ring(high * sumA));
    expect(one('msbSumA')).toBe(ring(msb * sumA));
    expect(one('highHigh')).toBe(ring(high * high));
    expect(one('highMsb')).toBe(ring(high * msb));
    const ones = matmul(toPatches(new RingTensor(a.shape, new BigUint64Array(a.size).fill(1n)), map), b);
    expect(reconstruct([m0.ones, m1.ones]).data).toEqual(ones.data);
    expect(reconstruct([m0.highOnes, m1.highOnes]).data).toEqual(ones.data.map((v) => ring(v * high)));
    expect(reconstruct([m0.msbOnes, m1.msbOnes]).data).toEqual(ones.data.map((v) => ring(v * msb)));
    // 7 scalars and 3 [M, N] tensors more than without the mean
    expect(convQueryMaskElements(q0)).toBe(a.size + 16 * 5 + 1 + 7 + 3 * 16 * 5);
    expect(convQueryMaskOptionsKey({ squareSum: true, meanPair: t })).toBe(' squareSum meanPair=35');
    expect(() => dealer.convQueryMask('layer', patchMap(geometry, 2, 'patches'), 'q', { meanPair: t })).toThrow(/meanPair needs the mask at the conv's input, not 'patches'/);
    expect(() => dealer.convQueryMask('layer', map, 'q', { meanPair: 63 })).toThrow(/meanPair must be an integer in \[0, 62\], got 63/);
  });

  it('refuses a second mask for a layer, an unknown layer and a mismatched kernel', () => {
    const dealer = makeDealer();
    dealer.weightMask('layer', 48, 5, 'enrol');
    expect(() => dealer.weightMask('layer', 48, 5, 'enrol')).toThrow(/never cover two weight tensors/);
    expect(() => dealer.convQueryMask('other', patchMap(geometry, 1, 'input'), 'q')).toThrow(ProtocolError);
    const wrong = patchMap(convGeometry({ inHeight: 4, inWidth: 4, inChannels: 2, kernel: 4 }), 1, 'input');
    expect(() => dealer.convQueryMask('layer', wrong, 'q')).toThrow(/kernel rows/);
  });
});

describe('conv material accounting', () => {
  it('RecordingDealer counts K N per enrolment and size(A) + M N per query', () => {
    const dealer = new RecordingDealer(new CryptoDealer());
    dealer.weightMask('l', 48, 5, 'enrol');
    dealer.convQueryMask('l', patchMap(geometry, 2, 'input'), 'q');
    dealer.convQueryMask('l', patchMap(geometry, 2, 'patches'), 'q');
    expect(dealer.report()).toEqual([
      { tag: 'enrol', kind: 'weightMask', requests: 1, elementsPerParty: 240, bytes: 16 * 240 },
      { tag: 'q', kind: 'convQueryMask', requests: 2, elementsPerParty: 12 + 80 + 768 + 80, bytes: 16 * 940 },
    ]);
  });

  it('connectDealer pairs the requests, counts offline bytes and detects parties on different layers', async () => {
    const meter = new CostMeter();
    const [d0, d1] = connectDealer(new CryptoDealer(), meter);
    const map = patchMap(geometry, 2, 'input');
    const [b0, b1] = await Promise.all([d0.weightMask('l', 48, 5, 'enrol'), d1.weightMask('l', 48, 5, 'enrol')]);
    // Party 1 asks first this time: order between the parties does not matter.
    const [q1, q0] = await Promise.all([d1.convQueryMask('l', map, 'q'), d0.convQueryMask('l', map, 'q')]);
    const b = reconstruct([b0, b1]);
    expect(reconstruct([q0.c, q1.c]).data).toEqual(matmul(toPatches(reconstruct([q0.a, q1.a]), map), b).data);
    expect(meter.report().offlineBytes).toEqual([8 * (240 + 92), 8 * (240 + 92)]);
    await d0.weightMask('m', 48, 5, 'enrol');
    await expect(d1.weightMask('n', 48, 5, 'enrol')).rejects.toThrow(/lost step/);
  });

  it.each(DEALERS)('%s: squareSum adds shares of sum A^2 modulo 2^64 (1 element), through connectDealer and counted', async (_, make) => {
    const meter = new CostMeter();
    const recording = new RecordingDealer(make());
    const [d0, d1] = connectDealer(recording, meter);
    const map = patchMap(geometry, 2, 'input');
    await Promise.all([d0.weightMask('l', 48, 5, 'enrol'), d1.weightMask('l', 48, 5, 'enrol')]);
    const [q0, q1] = await Promise.all([d0.convQueryMask('l', map, 'q', { squareSum: true }), d1.convQueryMask('l', map, 'q', { squareSum: true })]);
    const a = reconstruct([q0.a, q1.a]);
    let want = 0n;
    for (const v of a.data) want = BigInt.asUintN(64, want + BigInt.asUintN(64, v * v));
    expect(reconstruct([q0.aSquareSum!, q1.aSquareSum!]).data).toEqual(BigUint64Array.of(want));
    expect(q0.aSquareSum!.shape).toEqual([1]);
    expect(recording.report().find((u) => u.tag === 'q')).toEqual({ tag: 'q', kind: 'convQueryMask', requests: 1, elementsPerParty: 12 + 80 + 1, bytes: 16 * 93 });
    // Without the option the material has no square sum: the two requests differ (a party asking
    // for one and its peer for the other is a lost step).
    const [p0] = await Promise.all([d0.convQueryMask('l', map, 'q2'), d1.convQueryMask('l', map, 'q2')]);
    expect(p0.aSquareSum).toBeUndefined();
    const mismatch = Promise.all([d0.convQueryMask('l', map, 'q3', { squareSum: true }), d1.convQueryMask('l', map, 'q3')]);
    await expect(mismatch).rejects.toThrow(/lost step/);
  });
});
