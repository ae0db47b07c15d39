import { sizeOf, type Shape } from '../ring/ring-tensor.js';
import type { Share } from '../sharing/share.js';
import { comparisonLayout, type ComparisonKey, type ComparisonKeyOptions } from './comparison-key.js';
import { convQueryMaskElements, type ConvQueryMask, type ConvQueryMaskOptions, type PatchMap } from './conv-material.js';
import type { Dealer, MaterialKind, PairedTruncation, PairedTruncationOptions, Triple, TruncationPair, TruncationPairOptions } from './dealer.js';

/** Material of one kind consumed under one tag. */
export interface DealerUsage {
  /** The protocol that asked, e.g. `mul`. */
  readonly tag: string;
  readonly kind: MaterialKind;
  /** Number of requests. */
  readonly requests: number;
  /** Ring elements handed to each party. */
  readonly elementsPerParty: number;
  /** Bytes handed out to both parties together: 2 * 8 * elementsPerParty. */
  readonly bytes: number;
}

/**
 * Wraps a dealer and counts, per tag (named protocol) and kind, how many requests, elements
 * and bytes of material were consumed. The material itself comes unchanged from the inner dealer.
 */
export class RecordingDealer implements Dealer {
  readonly name: string;
  private readonly usage = new Map<string, { tag: string; kind: MaterialKind; requests: number; elements: number }>();

  constructor(private readonly inner: Dealer) {
    this.name = `recording(${inner.name})`;
  }

  mulTriple(shape: Shape, tag: string): readonly [Triple, Triple] {
    this.record(tag, 'mulTriple', 3 * sizeOf(shape));
    return this.inner.mulTriple(shape, tag);
  }

  matmulTriple(m: number, k: number, n: number, tag: string): readonly [Triple, Triple] {
    this.record(tag, 'matmulTriple', m * k + k * n + m * n);
    return this.inner.matmulTriple(m, k, n, tag);
  }

  mask(shape: Shape, tag: string, bits?: number): readonly [Share, Share] {
    this.record(tag, 'mask', sizeOf(shape));
    return this.inner.mask(shape, tag, bits);
  }

  truncationPair(shape: Shape, tag: string, options: TruncationPairOptions): readonly [TruncationPair, TruncationPair] {
    this.record(tag, 'truncationPair', 3 * sizeOf(shape));
    return this.inner.truncationPair(shape, tag, options);
  }

  pairedTruncation(shape: Shape, tag: string, options: PairedTruncationOptions): readonly [PairedTruncation, PairedTruncation] {
    this.record(tag, 'pairedTruncation', 3 + 7 * sizeOf(shape));
    return this.inner.pairedTruncation(shape, tag, options);
  }

  comparisonKey(shape: Shape, tag: string, options: ComparisonKeyOptions): readonly [ComparisonKey, ComparisonKey] {
    this.record(tag, 'comparisonKey', comparisonLayout(sizeOf(shape), options).offlineWordsPerParty);
    return this.inner.comparisonKey(shape, tag, options);
  }

  weightMask(layer: string, k: number, n: number, tag: string): readonly [Share, Share] {
    this.record(tag, 'weightMask', k * n);
    return this.inner.weightMask(layer, k, n, tag);
  }

  convQueryMask(layer: string, map: PatchMap, tag: string, options?: ConvQueryMaskOptions): readonly [ConvQueryMask, ConvQueryMask] {
    const material = this.inner.convQueryMask(layer, map, tag, options); // N comes from the enrolled mask
    this.record(tag, 'convQueryMask', convQueryMaskElements(material[0]));
    return material;
  }

  /** Usage so far, sorted by tag then kind. */
  report(): DealerUsage[] {
    return [...this.usage.values()]
      .map((u) => ({ tag: u.tag, kind: u.kind, requests: u.requests, elementsPerParty: u.elements, bytes: 16 * u.elements }))
      .sort((x, y) => (x.tag === y.tag ? x.kind.localeCompare(y.kind) : x.tag.localeCompare(y.tag)));
  }

  /** Total bytes handed out to both parties. */
  totalBytes(): number {
    let total = 0;
    for (const u of this.usage.values()) total += 16 * u.elements;
    return total;
  }

  private record(tag: string, kind: MaterialKind, elements: number): void {
    const key = `${tag}\u0000${kind}`;
    const u = this.usage.get(key) ?? { tag, kind, requests: 0, elements: 0 };
    u.requests++;
    u.elements += elements;
    this.usage.set(key, u);
  }
}
