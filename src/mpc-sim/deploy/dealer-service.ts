import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError } from '../../errors.js';
import { CostMeter } from '../channel/cost-meter.js';
import { connectDealer } from '../dealer/connect.js';
import { dealConvQueryMask, dealWeightMask, type ConvQueryMask, type ConvQueryMaskOptions, type PatchMap } from '../dealer/conv-material.js';
import type { Dealer, PairedTruncation, PairedTruncationOptions, PartyDealer, Triple, TruncationPair, TruncationPairOptions } from '../dealer/dealer.js';
import { StreamDealer } from '../dealer/crypto-dealer.js';
import type { ComparisonKey, ComparisonKeyOptions } from '../dealer/comparison-key.js';
import type { PartyId } from '../party.js';
import { CryptoRandom, SeededRandom, type RingRandom } from '../ring/random.js';
import { RingTensor, type Shape } from '../ring/ring-tensor.js';
import type { Share } from '../sharing/share.js';
import { readTreeFile, writeTreeFile } from './tree-file.js';

/** Options of {@link DealerService}. */
export interface DealerServiceOptions {
  /** With `insecureDeterministic`, every dealer key gets an AES-CTR stream seeded `${seed}/${key}`. */
  readonly seed?: string;
  readonly insecureDeterministic?: boolean;
  /** Folder (mode 0700) where the weight masks B of enrolled layers are kept across restarts. */
  readonly stateDir?: string;
}

/**
 * A dealer (`StreamDealer`) that keeps its weight masks through a store, so a restarted dealer
 * process still serves queries of layers enrolled before.
 */
class PersistentDealer implements Dealer {
  readonly name: string;
  readonly #inner: StreamDealer;
  readonly #random: RingRandom;
  readonly #masks = new Map<string, RingTensor>();
  readonly #folder: string | undefined;

  constructor(random: RingRandom, folder: string | undefined) {
    this.#random = random;
    this.#inner = new StreamDealer(random);
    this.name = this.#inner.name;
    this.#folder = folder;
  }

  mulTriple(shape: Shape, tag: string): readonly [Triple, Triple] {
    return this.#inner.mulTriple(shape);
  }
  matmulTriple(m: number, k: number, n: number, tag: string): readonly [Triple, Triple] {
    return this.#inner.matmulTriple(m, k, n);
  }
  mask(shape: Shape, tag: string, bits?: number): readonly [Share, Share] {
    return this.#inner.mask(shape, tag, bits);
  }
  truncationPair(shape: Shape, tag: string, options: TruncationPairOptions): readonly [TruncationPair, TruncationPair] {
    return this.#inner.truncationPair(shape, tag, options);
  }
  comparisonKey(shape: Shape, tag: string, options: ComparisonKeyOptions): readonly [ComparisonKey, ComparisonKey] {
    return this.#inner.comparisonKey(shape, tag, options);
  }
  pairedTruncation(shape: Shape, tag: string, options: PairedTruncationOptions): readonly [PairedTruncation, PairedTruncation] {
    return this.#inner.pairedTruncation(shape, tag, options);
  }
  weightMask(layer: string, k: number, n: number): readonly [Share, Share] {
    if (this.#mask(layer) !== undefined) throw new ProtocolError('weightMask', `layer '${layer}' already has a weight mask: a mask must never cover two weight tensors (enrol new weights under a new layer id)`);
    const { mask, shares } = dealWeightMask(this.#random, k, n);
    this.#masks.set(layer, mask);
    if (this.#folder !== undefined) writeTreeFile(this.#file(layer), { layer, mask });
    return shares;
  }
  convQueryMask(layer: string, map: PatchMap, _tag?: string, options?: ConvQueryMaskOptions): readonly [ConvQueryMask, ConvQueryMask] {
    const b = this.#mask(layer);
    if (b === undefined) throw new ProtocolError('convQueryMask', `layer '${layer}' has no weight mask: enrol its weights first`);
    return dealConvQueryMask(this.#random, b, map, options);
  }

  #file(layer: string): string {
    return join(this.#folder!, `${createHash('sha256').update(layer).digest('hex').slice(0, 32)}.mask`);
  }

  #mask(layer: string): RingTensor | undefined {
    let b = this.#masks.get(layer);
    if (b === undefined && this.#folder !== undefined && existsSync(this.#file(layer))) {
      b = (readTreeFile(this.#file(layer)) as { mask: RingTensor }).mask;
      this.#masks.set(layer, b);
    }
    return b;
  }
}

/**
 * The dealer's side of a deployment. Material is served per *stream* (a sequence of requests
 * that both servers make in the same order: one per user per query, one for the argmin, one per
 * enrolment); the k-th requests of S0 and S1 on a stream are paired as in `connectDealer`. Each
 * stream draws from the dealer of its *dealer key* (one per enrolled user, which also holds that
 * user's weight masks, and `main`), so the material a query gets does not depend on how the
 * servers' requests interleave on the network: the in-process and the networked runs with the
 * same seed get the same words.
 *
 * Streams of a query are named `q<id>/...`; when a new query id appears, the streams of the previous
 * query are dropped and its id retired (a query that failed half-way leaves nothing behind, and
 * a late request of it is refused instead of reviving it).
 */
export class DealerService {
  readonly #options: DealerServiceOptions;
  readonly #dealers = new Map<string, PersistentDealer>();
  readonly #streams = new Map<string, readonly [PartyDealer, PartyDealer]>();
  #query: string | undefined;
  readonly #retired = new Set<string>();
  /** Offline bytes served, per party and tag. */
  readonly meter = new CostMeter();

  constructor(options: DealerServiceOptions = {}) {
    if ((options.seed === undefined) !== (options.insecureDeterministic !== true)) throw new ProtocolError('DealerService', 'a seed needs insecureDeterministic: true and vice versa');
    this.#options = options;
    if (options.stateDir !== undefined) mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  }

  /** Name of the randomness source, for logs. */
  get name(): string {
    return this.#options.seed === undefined ? 'crypto' : `deterministic(seed=${JSON.stringify(this.#options.seed)})`;
  }

  /** Number of weight masks kept on disk. */
  storedMasks(): number {
    const folder = this.#options.stateDir === undefined ? undefined : join(this.#options.stateDir, 'masks');
    return folder === undefined || !existsSync(folder) ? 0 : readdirSync(folder).filter((f) => f.endsWith('.mask')).length;
  }

  /** Party `party`'s connection to stream `stream`, drawing from dealer `dealerKey`. */
  endpoint(party: PartyId, stream: string, dealerKey: string): PartyDealer {
    let pair = this.#streams.get(stream);
    if (pair === undefined) {
      const query = /^q[^/]*\//.exec(stream)?.[0];
      if (query !== undefined && query !== this.#query) {
        if (this.#retired.has(query)) throw new ProtocolError('dealer', `stream '${stream}' belongs to an abandoned query`);
        if (this.#query !== undefined) this.#retired.add(this.#query);
        for (const s of [...this.#streams.keys()]) if (s.startsWith('q')) this.#streams.delete(s);
        this.#query = query;
      }
      pair = connectDealer(this.#dealer(dealerKey), this.meter);
      this.#streams.set(stream, pair);
    }
    return pair[party];
  }

  #dealer(key: string): PersistentDealer {
    let d = this.#dealers.get(key);
    if (d === undefined) {
      const o = this.#options;
      const random = o.seed === undefined ? new CryptoRandom() : new SeededRandom(`dealer:${o.seed}/${key}`, { insecureDeterministic: true });
      const folder = o.stateDir === undefined ? undefined : join(o.stateDir, 'masks');
      if (folder !== undefined) mkdirSync(folder, { recursive: true, mode: 0o700 });
      d = new PersistentDealer(random, folder);
      this.#dealers.set(key, d);
    }
    return d;
  }
}
