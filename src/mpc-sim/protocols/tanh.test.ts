import { describe, expect, it } from 'vitest';
import { comparisonLayout } from '../dealer/comparison-key.js';
import { FIXED16, FIXED20, encodingBounds, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { fromSigned, toSigned } from '../ring/ring-tensor.js';
import { reconstruct, share } from '../sharing/share.js';
import { TANH_BREAKPOINTS_1024, TANH_MAX_ERROR, TANH_PIECES, tanh } from './tanh.js';
import { TEST_DEALERS, testRandom, testSession } from './test-support.js';

/** The real interpolant the protocol evaluates (before quantisation and truncation). */
function interpolant(x: number): number {
  const pos = TANH_BREAKPOINTS_1024.map((b) => b / 1024);
  const t = [...pos.map((v) => -v).reverse(), 0, ...pos];
  if (x <= t[0]!) return Math.tanh(t[0]!);
  for (let j = 0; j + 1 < t.length; j++) {
    const a = t[j]!;
    const b = t[j + 1]!;
    if (x <= b) return Math.tanh(a) + ((Math.tanh(b) - Math.tanh(a)) * (x - a)) / (b - a);
  }
  return Math.tanh(t[t.length - 1]!);
}

describe('tanh interpolant (plaintext)', () => {
  it('is within 1e-3 of tanh on a 2^-14 grid over [-8, 8] and at the edges', () => {
    let max = 0;
    for (let i = -8 * 2 ** 14; i <= 8 * 2 ** 14; i++) max = Math.max(max, Math.abs(interpolant(i / 2 ** 14) - Math.tanh(i / 2 ** 14)));
    for (const x of [0, 2 ** -20, -(2 ** -20), 1e4, -1e4, 32767, -32767]) max = Math.max(max, Math.abs(interpolant(x) - Math.tanh(x)));
    expect(TANH_PIECES).toBe(39);
    expect(max).toBeLessThanOrEqual(TANH_MAX_ERROR);
    expect(max).toBeGreaterThan(0.9e-3); // the greedy fit uses its budget: the measured max is 1e-3 to 3 digits
  });
});

const ENCODINGS: [string, FixedPointEncoding][] = [
  ['FIXED16', FIXED16],
  ['FIXED20', FIXED20],
];

describe.each(TEST_DEALERS)('tanh (%s)', (_, makeDealer) => {
  describe.each(ENCODINGS)('%s', (_name, enc) => {
    it('is within 1e-3 + 1 ulp of tanh on a dense grid and the edges, at 6 rounds and relu(39 n) + 8n bytes', async () => {
      const { session } = testSession(makeDealer, enc);
      const f = enc.fracBits;
      const { maxEncoded, ulp } = encodingBounds(enc);
      const grid: bigint[] = [];
      for (let i = -6 * 256; i <= 6 * 256; i++) grid.push(BigInt(i) << BigInt(f - 8));
      const edges = [0n, 1n, -1n, 2n, -2n, maxEncoded - 1n, -(maxEncoded - 1n), 1000n << BigInt(f), -(1000n << BigInt(f))];
      const xs = fromSigned([...edges, ...grid]);
      const x = share(xs, testRandom(`tanh-${f}`));
      const { results, cost } = await session.measure((ctx) => tanh(ctx, x[ctx.party]));
      const y = toSigned(reconstruct([results[0], results[1]]));
      let maxError = 0;
      let maxModel = 0;
      toSigned(xs).forEach((v, i) => {
        const real = Number(v) * ulp;
        const got = Number(y[i]!) * ulp;
        maxError = Math.max(maxError, Math.abs(got - Math.tanh(real)));
        maxModel = Math.max(maxModel, Math.abs(got - interpolant(real)));
        expect(Math.abs(got)).toBeLessThanOrEqual(1);
      });
      expect(maxModel).toBeLessThanOrEqual(ulp + 1e-8);
      expect(maxError).toBeLessThanOrEqual(TANH_MAX_ERROR + ulp);
      const n = xs.size;
      const layout = comparisonLayout(TANH_PIECES * n, { bits: 64, chunkBits: 4, product: true, fuseLastAnd: true });
      expect(cost.rounds).toBe(6);
      expect(cost.onlineBytes).toEqual([8 * layout.onlineWordsPerParty + 8 * n, 8 * layout.onlineWordsPerParty + 8 * n]);
      expect(Object.keys(cost.byLabel)).toEqual(['tanh/relu/open', 'tanh/relu/and', 'tanh/relu/final', 'tanh/truncate/open']);
      expect(cost.reveals).toBe(0);
    });
  });
});
