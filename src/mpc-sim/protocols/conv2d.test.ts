import { describe, expect, it } from 'vitest';
import { ProtocolError, ShapeError } from '../../errors.js';
import { layerPatches, patchMap, toPatches, type MaskPlacement } from '../dealer/conv-material.js';
import { FIXED16, FIXED20, decode, encode, encodingBounds, type FixedPointEncoding } from '../encoding/fixed-point.js';
import type { InProcessSession } from '../parties/in-process.js';
import { add, sub } from '../ring/elementwise.js';
import { convGeometry } from '../ring/im2col.js';
import { reshape } from '../ring/layout.js';
import { matmul } from '../ring/matmul.js';
import { randomTensor } from '../ring/random.js';
import type { RingTensor } from '../ring/ring-tensor.js';
import { reconstruct, share, type SharedTensor } from '../sharing/share.js';
import { conv2d, conv2dOnline, conv2dSizes, enrolConv2d, prepareConv2d, type ConvTruncation, type EnrolledConv2d } from './conv2d.js';
import { TEST_DEALERS, testRandom, testSession } from '../../testing/protocol-support.js';
import { upsample } from './upsample.js';

/** One layer: input [h, w, c] -> (upsample u) -> conv k4 stride s 'same' -> n channels. */
type Layer = readonly [name: string, h: number, w: number, c: number, stride: number, up: number, n: number];

const LAYERS: readonly Layer[] = [
  ['down 32x32x3 -> 16x16x8 (k4 s2)', 32, 32, 3, 2, 1, 8],
  ['down 2x2x16 -> 1x1x8 (k4 s2)', 2, 2, 16, 2, 1, 8],
  ['4x4x8 -> 4x4x4 (k4 s1)', 4, 4, 8, 1, 1, 4],
  ['1x1x16 -> 1x1x8 (k4 s1)', 1, 1, 16, 1, 1, 8],
  ['up 1x1x16 -> 2x2x8 (upsample 2, k4 s1)', 1, 1, 16, 1, 2, 8],
  ['up 4x4x8 -> 8x8x4 (upsample 2, k4 s1)', 4, 4, 8, 1, 2, 4],
  ['final 8x8x4 -> 8x8x3 (k4 s1)', 8, 8, 4, 1, 1, 3],
];

const K = 4;

function uniform(name: string, n: number, lo: number, hi: number): Float64Array {
  const r = testRandom(name);
  const w = new BigUint64Array(n);
  r.fill(w);
  return Float64Array.from(w, (v) => lo + (hi - lo) * (Number(v >> 11n) / 2 ** 53));
}

/**
 * Float64 convolution straight from the definitions (TF 'same' padding, nearest upsampling),
 * independent of the ring code. Also returns, per output, sum over its taps of |x| + |w|.
 */
function floatConv(x: Float64Array, [h, w, c]: readonly number[], k: Float64Array, bias: Float64Array, stride: number, up: number) {
  const n = bias.length;
  const [hu, wu] = [h! * up, w! * up];
  const [oh, ow] = [Math.ceil(hu / stride), Math.ceil(wu / stride)];
  const top = Math.floor(Math.max((oh - 1) * stride + K - hu, 0) / 2);
  const left = Math.floor(Math.max((ow - 1) * stride + K - wu, 0) / 2);
  const out = new Float64Array(oh * ow * n);
  const mass = new Float64Array(oh * ow * n);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let o = 0; o < n; o++) {
        let acc = bias[o]!;
        let m = 0;
        for (let dy = 0; dy < K; dy++) {
          for (let dx = 0; dx < K; dx++) {
            const iy = oy * stride + dy - top;
            const ix = ox * stride + dx - left;
            if (iy < 0 || iy >= hu || ix < 0 || ix >= wu) continue;
            for (let ci = 0; ci < c!; ci++) {
              const xv = x[(Math.floor(iy / up) * w! + Math.floor(ix / up)) * c! + ci]!;
              const wv = k[((dy * K + dx) * c! + ci) * n + o]!;
              acc += xv * wv;
              m += Math.abs(xv) + Math.abs(wv);
            }
          }
        }
        out[(oy * ow + ox) * n + o] = acc;
        mass[(oy * ow + ox) * n + o] = m;
      }
    }
  }
  return { out, mass, shape: [oh, ow, n] };
}

interface Run {
  readonly enrolled: readonly [EnrolledConv2d, EnrolledConv2d];
  readonly x: SharedTensor;
}

async function enrol(session: InProcessSession, layer: Layer, wts: RingTensor, bias: RingTensor, mask: MaskPlacement, truncation: ConvTruncation, id: string) {
  const [, h, w, c, stride, up] = layer;
  const geometry = convGeometry({ inHeight: h * up, inWidth: w * up, inChannels: c, kernel: K, stride });
  const random = testRandom(`conv-shares-${id}`);
  const ws = share(wts, random);
  const bs = share(bias, random);
  return session.measure((ctx) => enrolConv2d(ctx, ws[ctx.party], bs[ctx.party], { layer: id, geometry, upsample: up, mask, truncation }));
}

describe.each(TEST_DEALERS)('conv2d with enrolled weights (%s)', (_, makeDealer) => {
  const cases: [string, Layer, MaskPlacement, ConvTruncation, FixedPointEncoding][] = [
    ...LAYERS.flatMap((l) => (['input', 'patches'] as const).map((m) => [`${l[0]}, ${m} mask, local truncation`, l, m, 'local', FIXED16] as [string, Layer, MaskPlacement, ConvTruncation, FixedPointEncoding])),
    ...LAYERS.map((l) => [`${l[0]}, input mask, dealer truncation`, l, 'input', 'dealer', FIXED16] as [string, Layer, MaskPlacement, ConvTruncation, FixedPointEncoding]),
    [`${LAYERS[5]![0]}, input mask, FIXED20`, LAYERS[5]!, 'input', 'dealer', FIXED20],
  ];

  it.each(cases)('%s: within 1 ulp of the encoded conv, exact rounds and bytes', async (name, layer, mask, truncation, enc) => {
    const [, h, w, c, stride, up, n] = layer;
    const { session, recording } = testSession(makeDealer, enc);
    const { ulp } = encodingBounds(enc);
    const xs = uniform(`x-${name}`, h * w * c, -1, 1);
    const ks = uniform(`w-${name}`, K * K * c * n, -0.5, 0.5);
    const bs = uniform(`b-${name}`, n, -1, 1);
    const [ex, ew, eb] = [encode(enc, xs, [h, w, c]), encode(enc, ks, [K, K, c, n]), encode(enc, bs, [n])];
    const e = await enrol(session, layer, ew, eb, mask, truncation, `layer:${name}`);
    const enrolled = e.results;
    const { masked: s, m, k } = conv2dSizes(enrolled[0]);
    expect(k).toBe(K * K * c);
    expect(s).toBe(mask === 'input' ? h * w * c : m * k);
    expect(e.cost).toMatchObject({ rounds: 1, onlineBytes: [8 * k * n, 8 * k * n], offlineBytes: [8 * k * n, 8 * k * n], reveals: 0 });
    expect(e.cost.byLabel).toEqual({ 'conv2d/enrol/open': { rounds: 1, bytes: [8 * k * n, 8 * k * n] } });

    const dealerTrunc = truncation === 'dealer' ? 1 : 0;
    const prep = await session.measure((ctx) => prepareConv2d(ctx, enrolled[ctx.party]));
    const offline = 8 * (s + m * n) + dealerTrunc * 24 * m * n;
    expect(prep.cost).toMatchObject({ rounds: 0, onlineBytes: [0, 0], offlineBytes: [offline, offline] });

    const x = share(ex, testRandom(`x-shares-${name}`));
    const on = await session.measure((ctx) => conv2dOnline(ctx, enrolled[ctx.party], prep.results[ctx.party], x[ctx.party]));
    const online = 8 * s + dealerTrunc * 8 * m * n;
    expect(on.cost).toMatchObject({ rounds: 1 + dealerTrunc, onlineBytes: [online, online], offlineBytes: [0, 0], reveals: 0 });
    expect(on.cost.byLabel).toEqual({
      'conv2d/open': { rounds: 1, bytes: [8 * s, 8 * s] },
      ...(dealerTrunc ? { 'conv2d/truncate/open': { rounds: 1, bytes: [8 * m * n, 8 * m * n] } } : {}),
    });
    expect(recording.report()).toEqual([
      { tag: 'conv2d', kind: 'convQueryMask', requests: 1, elementsPerParty: s + m * n, bytes: 16 * (s + m * n) },
      { tag: 'conv2d/enrol', kind: 'weightMask', requests: 1, elementsPerParty: k * n, bytes: 16 * k * n },
      ...(dealerTrunc ? [{ tag: 'conv2d/truncate', kind: 'truncationPair', requests: 1, elementsPerParty: 3 * m * n, bytes: 48 * m * n }] : []),
    ]);

    const got = decode(enc, reconstruct(on.results));
    // The float conv of the decoded (encoded) values is exact in float64 here (< 2^53 at scale
    // 2^2f), so the only error is the truncation: floor or floor + 1, strictly within 1 ulp.
    const encoded = floatConv(decode(enc, ex), [h, w, c], decode(enc, ew), decode(enc, eb), stride, up);
    expect(on.results[0].shape).toEqual(encoded.shape);
    const worst = encoded.out.reduce((mx, v, i) => Math.max(mx, Math.abs(got[i]! - v)), 0);
    expect(worst).toBeLessThan(ulp);
    // Against the float conv of the real inputs: encoding errors (ulp / 2 per operand) too.
    const real = floatConv(xs, [h, w, c], ks, bs, stride, up);
    real.out.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual((real.mass[i]! * ulp) / 2 + k * ulp * ulp + 2 * ulp));
  });

  it('enrols once and reuses the masked weights and B across queries, with a fresh A per query', async () => {
    const { session, recording } = testSession(makeDealer);
    const layer = LAYERS[5]!; // up 4x4x8 -> 8x8x4
    const [, h, w, c, , , n] = layer;
    const ew = encode(FIXED16, uniform('reuse-w', K * K * c * n, -0.5, 0.5), [K, K, c, n]);
    const eb = encode(FIXED16, uniform('reuse-b', n, -1, 1), [n]);
    const { results: enrolled } = await enrol(session, layer, ew, eb, 'input', 'local', 'reuse');
    const [l0, l1] = enrolled;
    const { masked: s, m, k } = conv2dSizes(l0);
    expect(l0.maskedWeights.data).toEqual(l1.maskedWeights.data); // E_W: public to both servers
    const ewBefore = l0.maskedWeights.data.slice();
    const b = reconstruct([l0.weightMask, l1.weightMask]);
    const wMat = reshape(ew, [k, n]);
    expect(add(l0.maskedWeights, b).data).toEqual(wMat.data); // E_W = W - B
    expect(reconstruct([l0.right, l1.right]).data).toEqual(wMat.data); // R_0 + R_1 = W

    const masks: RingTensor[] = [];
    for (const q of [1, 2]) {
      const xs = uniform(`reuse-x${q}`, h * w * c, -1, 1);
      const x = share(encode(FIXED16, xs, [h, w, c]), testRandom(`reuse-xs${q}`));
      const prep = await session.measure((ctx) => prepareConv2d(ctx, enrolled[ctx.party]));
      const [p0, p1] = prep.results;
      const a = reconstruct([p0.mask, p1.mask]);
      masks.push(a);
      const la = toPatches(a, l0.map);
      // D = L(A) @ W, and C = D - L(A) @ E_W = L(A) @ B with the same B as at enrolment.
      expect(reconstruct([p0.offset, p1.offset]).data).toEqual(matmul(la, wMat).data);
      expect(sub(reconstruct([p0.offset, p1.offset]), matmul(la, l0.maskedWeights)).data).toEqual(matmul(la, b).data);
      const on = await session.measure((ctx) => conv2dOnline(ctx, enrolled[ctx.party], prep.results[ctx.party], x[ctx.party]));
      expect(on.cost).toMatchObject({ rounds: 1, onlineBytes: [8 * s, 8 * s], offlineBytes: [0, 0] });
      const ref = floatConv(decode(FIXED16, encode(FIXED16, xs)), [h, w, c], decode(FIXED16, ew), decode(FIXED16, eb), 1, 2);
      const got = decode(FIXED16, reconstruct(on.results));
      ref.out.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(2 ** -16));
    }
    expect(masks[0]!.data).not.toEqual(masks[1]!.data); // A is fresh per query
    expect(l0.maskedWeights.data).toEqual(ewBefore); // nothing re-opened
    expect(recording.report()).toEqual([
      { tag: 'conv2d', kind: 'convQueryMask', requests: 2, elementsPerParty: 2 * (s + m * n), bytes: 32 * (s + m * n) },
      { tag: 'conv2d/enrol', kind: 'weightMask', requests: 1, elementsPerParty: k * n, bytes: 16 * k * n },
    ]);
  });

  it.each(['input', 'patches'] as const)('without truncation the ring result is exact modulo 2^64 (%s mask, full 64-bit words)', async (mask) => {
    const { session } = testSession(makeDealer);
    const random = testRandom(`exact-${mask}`);
    for (const layer of [LAYERS[0]!, LAYERS[5]!]) {
      const [, h, w, c, , , n] = layer;
      const x = randomTensor(random, [h, w, c]);
      const wts = randomTensor(random, [K, K, c, n]);
      const bias = randomTensor(random, [n]);
      const { results: enrolled } = await enrol(session, layer, wts, bias, mask, 'none', `exact-${mask}-${layer[0]}`);
      const xs = share(x, random);
      const [y0, y1] = await session.run((ctx) => conv2d(ctx, enrolled[ctx.party], xs[ctx.party]));
      const product = matmul(layerPatches(x, enrolled[0].map), reshape(wts, [K * K * c, n]));
      const expected = new BigUint64Array(product.size);
      // untruncated, the output stays at the product's scale 2^2f: the bias is lifted by 2^f (FIXED16)
      product.data.forEach((v, i) => (expected[i] = BigInt.asUintN(64, v + (bias.data[i % n]! << 16n))));
      expect(reconstruct([y0, y1]).data).toEqual(expected);
    }
  });

  it('refuses reused query material, material of another layer, a wrong input and a second enrolment of a layer', async () => {
    const { session } = testSession(makeDealer);
    const layer = LAYERS[2]!; // 4x4x8 -> 4x4x4
    const [, h, w, c, , , n] = layer;
    const wts = encode(FIXED16, uniform('refuse-w', K * K * c * n, -0.5, 0.5), [K, K, c, n]);
    const bias = encode(FIXED16, new Float64Array(n), [n]);
    const { results: one } = await enrol(session, layer, wts, bias, 'input', 'local', 'one');
    const { results: two } = await enrol(session, layer, wts, bias, 'input', 'local', 'two');
    expect(one[0].maskedWeights.data).not.toEqual(two[0].maskedWeights.data); // a fresh B per enrolment
    const x = share(encode(FIXED16, new Float64Array(h * w * c), [h, w, c]), testRandom('refuse-x'));
    const [p0, p1] = await session.run((ctx) => prepareConv2d(ctx, one[ctx.party]));
    const material = [p0, p1] as const;
    await session.run((ctx) => conv2dOnline(ctx, one[ctx.party], material[ctx.party], x[ctx.party]));
    expect(p0.used).toBe(true);
    await expect(session.run((ctx) => conv2dOnline(ctx, one[ctx.party], material[ctx.party], x[ctx.party]))).rejects.toThrow(/already used/);
    const [q0, q1] = await session.run((ctx) => prepareConv2d(ctx, one[ctx.party]));
    const fresh = [q0, q1] as const;
    await expect(session.run((ctx) => conv2dOnline(ctx, two[ctx.party], fresh[ctx.party], x[ctx.party]))).rejects.toThrow(ProtocolError);
    const wrong = share(encode(FIXED16, new Float64Array(h * w * c), [w, h * c, 1]), testRandom('refuse-wrong'));
    await expect(session.run((ctx) => conv2dOnline(ctx, one[ctx.party], fresh[ctx.party], wrong[ctx.party]))).rejects.toThrow(ShapeError);
    await expect(enrol(session, layer, wts, bias, 'input', 'local', 'one')).rejects.toThrow(/already has a weight mask/);
    const map = patchMap(convGeometry({ inHeight: 4, inWidth: 4, inChannels: 8, kernel: 4 }), 1, 'input');
    expect(() => makeDealer().convQueryMask('never-enrolled', map, 'conv2d')).toThrow(/enrol its weights first/);
    const badKernel = share(encode(FIXED16, new Float64Array(3 * 3 * c * n), [3, 3, c, n]), testRandom('refuse-k'));
    const geometry = convGeometry({ inHeight: h, inWidth: w, inChannels: c, kernel: K });
    await expect(session.run((ctx) => enrolConv2d(ctx, badKernel[ctx.party], badKernel[ctx.party], { layer: 'bad', geometry }))).rejects.toThrow(ShapeError);
  });

  it('upsamples shares exactly with no communication', async () => {
    const { session, recording } = testSession(makeDealer);
    const random = testRandom('upsample');
    const x = randomTensor(random, [1, 3, 2, 5]);
    const xs = share(x, random);
    const { results, cost } = await session.measure((ctx) => upsample(ctx, xs[ctx.party]));
    const y = reconstruct(results);
    expect(y.shape).toEqual([1, 6, 4, 5]);
    for (let r = 0; r < 6; r++) {
      for (let col = 0; col < 4; col++) {
        for (let ch = 0; ch < 5; ch++) expect(y.data[(r * 4 + col) * 5 + ch]).toBe(x.data[(Math.floor(r / 2) * 2 + Math.floor(col / 2)) * 5 + ch]);
      }
    }
    expect(cost).toMatchObject({ rounds: 0, onlineBytesTotal: 0, offlineBytesTotal: 0 });
    expect(recording.report()).toEqual([]);
  });
});
