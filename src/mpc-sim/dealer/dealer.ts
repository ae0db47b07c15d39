import type { PartyId } from '../party.js';
import type { Shape } from '../ring/ring-tensor.js';
import type { Share } from '../sharing/share.js';
import type { ComparisonKey, ComparisonKeyOptions } from './comparison-key.js';
import type { ConvQueryMask, ConvQueryMaskOptions, PatchMap } from './conv-material.js';

/** The kinds of correlated randomness a dealer hands out. */
export type MaterialKind = 'mulTriple' | 'matmulTriple' | 'mask' | 'truncationPair' | 'pairedTruncation' | 'comparisonKey' | 'weightMask' | 'convQueryMask';

/**
 * One party's share of a Beaver triple: `a`, `b` uniform and `c = a * b` (elementwise), or for a
 * matrix triple `a [m, k]`, `b [k, n]`, `c = a @ b [m, n]`.
 */
export interface Triple {
  readonly a: Share;
  readonly b: Share;
  readonly c: Share;
}

/**
 * One party's share of truncation material for f fractional bits: `r` uniform in Z_2^64, its
 * top bit `rMsb = floor(r / 2^63)` (0 or 1) and `rHigh = floor((r mod 2^63) / 2^f)`.
 */
export interface TruncationPair {
  readonly r: Share;
  readonly rMsb: Share;
  readonly rHigh: Share;
}

/** Parameters of a truncation pair. */
export interface TruncationPairOptions {
  /** Bits dropped by the truncation, f, in [0, 62]. */
  readonly fracBits: number;
}

/** Parameters of a {@link PairedTruncation}. */
export interface PairedTruncationOptions {
  /** Bits dropped by the tensor's truncation, in [0, 62]. */
  readonly fracBits: number;
  /** Bits dropped by the scalar's truncation, in [0, 62]. */
  readonly scalarFracBits: number;
}

/**
 * One party's share of two truncation pairs dealt together, for a secret scalar k and a secret
 * tensor Z truncated at the same time, and the products of their masks that make k Z local after
 * both openings (`protocols/norm-conv.ts`): a scalar pair (r', r'Msb, r'High) of shape [1], a
 * tensor pair (r, rMsb, rHigh) of the given shape, and the elementwise products (the scalar
 * broadcast) hh = r'High rHigh, hm = r'High rMsb, mh = r'Msb rHigh, mm = r'Msb rMsb.
 */
export interface PairedTruncation {
  readonly scalar: TruncationPair;
  readonly tensor: TruncationPair;
  readonly hh: Share;
  readonly hm: Share;
  readonly mh: Share;
  readonly mm: Share;
}

/** Words of one party's {@link PairedTruncation}: 3 + 7 size. */
export function pairedTruncationElements(p: PairedTruncation): number {
  return 3 + 3 * p.tensor.r.size + 4 * p.hh.size;
}

/**
 * The trusted third party ("the regulator"): generates correlated randomness and returns both
 * parties' shares, S0's first. `tag` names the protocol that asked (e.g. `mul`, `conv1/matmul`),
 * for accounting; it does not change the material.
 */
export interface Dealer {
  /** For logs: `crypto` or `deterministic(seed=...)`. */
  readonly name: string;
  /** Elementwise triple of `shape`: 3 * size elements per party. */
  mulTriple(shape: Shape, tag: string): readonly [Triple, Triple];
  /** Matrix triple for `[m, k] @ [k, n]`: m k + k n + m n elements per party. */
  matmulTriple(m: number, k: number, n: number, tag: string): readonly [Triple, Triple];
  /** Shares of a mask uniform in [0, 2^bits) (default 64 bits, i.e. uniform in the ring): size elements per party. */
  mask(shape: Shape, tag: string, bits?: number): readonly [Share, Share];
  /** Shares of `r`, its top bit and `floor((r mod 2^63) / 2^f)`: 3 * size elements per party. */
  truncationPair(shape: Shape, tag: string, options: TruncationPairOptions): readonly [TruncationPair, TruncationPair];
  /** Two truncation pairs and their masks' products (see {@link PairedTruncation}): 3 + 7 size elements per party. */
  pairedTruncation(shape: Shape, tag: string, options: PairedTruncationOptions): readonly [PairedTruncation, PairedTruncation];
  /**
   * Keys of the dealer-assisted comparison (`protocols/compare.ts`): a uniform mask r and the
   * binary material to compare against it; `comparisonLayout(size, options).offlineWordsPerParty`
   * elements per party (see `comparison-key.ts`).
   */
  comparisonKey(shape: Shape, tag: string, options: ComparisonKeyOptions): readonly [ComparisonKey, ComparisonKey];
  /**
   * Enrolment of fixed weights (`protocols/conv2d.ts`): shares of a fresh uniform mask B `[k, n]`,
   * which the dealer keeps under `layer` for that layer's queries; k n elements per party. A
   * mask covers one weight tensor only: asking twice for the same `layer` is a ProtocolError.
   */
  weightMask(layer: string, k: number, n: number, tag: string): readonly [Share, Share];
  /**
   * One query of an enrolled layer: shares of a fresh uniform mask A of `maskedShape(map)` and of
   * `L(A) @ B`, B the layer's weight mask (see `conv-material.ts`); size(A) + M N elements per party
   * (+ 1 with `options.squareSum`: shares of sum A^2).
   * @throws ProtocolError if `layer` was not enrolled or its mask does not fit `map`.
   */
  convQueryMask(layer: string, map: PatchMap, tag: string, options?: ConvQueryMaskOptions): readonly [ConvQueryMask, ConvQueryMask];
}

/**
 * One party's connection to the dealer: the same requests, answered with this party's shares
 * only. Both parties must make the same requests in the same order (protocol code does, since
 * both run the same steps); see `connectDealer`.
 */
export interface PartyDealer {
  /** The party this connection serves. */
  readonly party: PartyId;
  /** This party's share of an elementwise triple (see {@link Dealer.mulTriple}). */
  mulTriple(shape: Shape, tag: string): Promise<Triple>;
  /** This party's share of a matrix triple (see {@link Dealer.matmulTriple}). */
  matmulTriple(m: number, k: number, n: number, tag: string): Promise<Triple>;
  /** This party's share of a mask (see {@link Dealer.mask}). */
  mask(shape: Shape, tag: string, bits?: number): Promise<Share>;
  /** This party's share of a truncation pair (see {@link Dealer.truncationPair}). */
  truncationPair(shape: Shape, tag: string, options: TruncationPairOptions): Promise<TruncationPair>;
  /** This party's share of a paired truncation (see {@link Dealer.pairedTruncation}). */
  pairedTruncation(shape: Shape, tag: string, options: PairedTruncationOptions): Promise<PairedTruncation>;
  /** This party's comparison key (see {@link Dealer.comparisonKey}). */
  comparisonKey(shape: Shape, tag: string, options: ComparisonKeyOptions): Promise<ComparisonKey>;
  /** This party's share of a layer's weight mask (see {@link Dealer.weightMask}). */
  weightMask(layer: string, k: number, n: number, tag: string): Promise<Share>;
  /** This party's query material for an enrolled layer (see {@link Dealer.convQueryMask}). */
  convQueryMask(layer: string, map: PatchMap, tag: string, options?: ConvQueryMaskOptions): Promise<ConvQueryMask>;
}
