import { ProtocolError } from '../../errors.js';
import { mul, mulScalar, shiftRightLogical, sub } from '../ring/elementwise.js';
import { matmul } from '../ring/matmul.js';
import { CryptoRandom, SeededRandom, randomTensor, requireInsecureFlag, type RingRandom } from '../ring/random.js';
import { sizeOf, type RingTensor, type Shape } from '../ring/ring-tensor.js';
import { share, type Share } from '../sharing/share.js';
import { dealComparisonKey, truncationMaskParts, type ComparisonKey, type ComparisonKeyOptions } from './comparison-key.js';
import { dealConvQueryMask, dealWeightMask, type ConvQueryMask, type ConvQueryMaskOptions, type PatchMap } from './conv-material.js';
import type { Dealer, PairedTruncation, PairedTruncationOptions, Triple, TruncationPair, TruncationPairOptions } from './dealer.js';

/**
 * A dealer drawing all its randomness (secrets and the shares of S0) from one stream. Values
 * are uniform in Z_2^64 (masks: uniform in [0, 2^bits)); S0's share is a fresh uniform word and
 * S1's is the difference.
 */
export class StreamDealer implements Dealer {
  readonly name: string;
  private readonly random: RingRandom;
  /** Weight masks B of enrolled layers, kept for their queries. */
  private readonly weightMasks = new Map<string, RingTensor>();

  constructor(random: RingRandom, name = random.name) {
    this.random = random;
    this.name = name;
  }

  mulTriple(shape: Shape): readonly [Triple, Triple] {
    const a = randomTensor(this.random, shape);
    const b = randomTensor(this.random, shape);
    return this.triple(a, b, mul(a, b));
  }

  matmulTriple(m: number, k: number, n: number): readonly [Triple, Triple] {
    sizeOf([m, k, n], 'matmulTriple');
    const a = randomTensor(this.random, [m, k]);
    const b = randomTensor(this.random, [k, n]);
    return this.triple(a, b, matmul(a, b));
  }

  mask(shape: Shape, _tag: string, bits = 64): readonly [Share, Share] {
    if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new ProtocolError('mask', `bits must be an integer in [1, 64], got ${bits}`);
    const r = randomTensor(this.random, shape);
    return share(bits === 64 ? r : shiftRightLogical(r, 64 - bits), this.random);
  }

  truncationPair(shape: Shape, _tag: string, options: TruncationPairOptions): readonly [TruncationPair, TruncationPair] {
    return this.sharedPair(this.pairValues(shape, options.fracBits, 'truncationPair'));
  }

  pairedTruncation(shape: Shape, _tag: string, options: PairedTruncationOptions): readonly [PairedTruncation, PairedTruncation] {
    const s = this.pairValues([1], options.scalarFracBits, 'pairedTruncation');
    const t = this.pairValues(shape, options.fracBits, 'pairedTruncation');
    const [sh, sm] = [s.high.data[0]!, s.msb.data[0]!];
    const [scalar0, scalar1] = this.sharedPair(s);
    const [tensor0, tensor1] = this.sharedPair(t);
    const [hh0, hh1] = share(mulScalar(t.high, sh), this.random);
    const [hm0, hm1] = share(mulScalar(t.msb, sh), this.random);
    const [mh0, mh1] = share(mulScalar(t.high, sm), this.random);
    const [mm0, mm1] = share(mulScalar(t.msb, sm), this.random);
    return [
      { scalar: scalar0, tensor: tensor0, hh: hh0, hm: hm0, mh: mh0, mm: mm0 },
      { scalar: scalar1, tensor: tensor1, hh: hh1, hm: hm1, mh: mh1, mm: mm1 },
    ];
  }

  /** A uniform r of `shape`, its top bit and floor((r mod 2^63) / 2^f). */
  private pairValues(shape: Shape, f: number, what: string): { r: RingTensor; msb: RingTensor; high: RingTensor } {
    if (!Number.isInteger(f) || f < 0 || f > 62) throw new ProtocolError(what, `fracBits must be an integer in [0, 62], got ${f}`);
    const r = randomTensor(this.random, shape);
    const { rMsb: msb, rHigh: high } = truncationMaskParts(r, f);
    return { r, msb, high };
  }

  private sharedPair(v: { r: RingTensor; msb: RingTensor; high: RingTensor }): readonly [TruncationPair, TruncationPair] {
    const [r0, r1] = share(v.r, this.random);
    const [m0, m1] = share(v.msb, this.random);
    const [h0, h1] = share(v.high, this.random);
    return [
      { r: r0, rMsb: m0, rHigh: h0 },
      { r: r1, rMsb: m1, rHigh: h1 },
    ];
  }

  comparisonKey(shape: Shape, _tag: string, options: ComparisonKeyOptions): readonly [ComparisonKey, ComparisonKey] {
    return dealComparisonKey(this.random, shape, options);
  }

  weightMask(layer: string, k: number, n: number): readonly [Share, Share] {
    if (this.weightMasks.has(layer)) {
      throw new ProtocolError('weightMask', `layer '${layer}' already has a weight mask: a mask must never cover two weight tensors (enrol new weights under a new layer id)`);
    }
    const { mask, shares } = dealWeightMask(this.random, k, n);
    this.weightMasks.set(layer, mask);
    return shares;
  }

  convQueryMask(layer: string, map: PatchMap, _tag?: string, options?: ConvQueryMaskOptions): readonly [ConvQueryMask, ConvQueryMask] {
    const b = this.weightMasks.get(layer);
    if (b === undefined) throw new ProtocolError('convQueryMask', `layer '${layer}' has no weight mask: enrol its weights first`);
    return dealConvQueryMask(this.random, b, map, options);
  }

  private triple(a: RingTensor, b: RingTensor, c: RingTensor): readonly [Triple, Triple] {
    const [a0, a1] = share(a, this.random);
    const [b0, b1] = share(b, this.random);
    const [c0, c1] = share(c, this.random);
    return [
      { a: a0, b: b0, c: c0 },
      { a: a1, b: b1, c: c1 },
    ];
  }
}

/** The default dealer: all randomness from node:crypto. */
export class CryptoDealer extends StreamDealer {
  constructor() {
    super(new CryptoRandom(), 'crypto');
  }
}

/** Options of {@link DeterministicDealer}. */
export interface DeterministicDealerOptions {
  /** Any string; derived into the AES-256-CTR key. */
  readonly seed: string;
  /** Must be `true`: anyone with the seed can recompute all material. */
  readonly insecureDeterministic: true;
}

/**
 * A reproducible dealer for tests: AES-256-CTR keystream keyed by SHA-256 of the seed (see
 * `SeededRandom`). The same seed and the same requests give the same material.
 * @throws ProtocolError unless `insecureDeterministic: true` is passed.
 */
export class DeterministicDealer extends StreamDealer {
  constructor(options: DeterministicDealerOptions) {
    requireInsecureFlag('DeterministicDealer', options);
    super(new SeededRandom(`dealer:${options.seed}`, options), `deterministic(seed=${JSON.stringify(options.seed)})`);
  }
}

/** Options of {@link createDealer}. */
export interface CreateDealerOptions {
  /** A seed asks for the {@link DeterministicDealer}, which also needs `insecureDeterministic`. */
  readonly seed?: string;
  readonly insecureDeterministic?: boolean;
}

/**
 * The {@link CryptoDealer} by default; the {@link DeterministicDealer} only when both `seed`
 * and `insecureDeterministic: true` are given.
 * @throws ProtocolError if only one of the two is given.
 */
export function createDealer(options: CreateDealerOptions = {}): Dealer {
  if (options.seed === undefined && options.insecureDeterministic !== true) return new CryptoDealer();
  if (options.seed === undefined) throw new ProtocolError('createDealer', 'insecureDeterministic needs a seed');
  requireInsecureFlag('createDealer', options);
  return new DeterministicDealer({ seed: options.seed, insecureDeterministic: true });
}
