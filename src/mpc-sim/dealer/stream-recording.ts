import { ProtocolError } from '../../errors.js';
import type { CostMeter } from '../channel/cost-meter.js';
import type { PartyId } from '../party.js';
import type { Shape } from '../ring/ring-tensor.js';
import type { ComparisonKeyOptions } from './comparison-key.js';
import { connectDealer } from './connect.js';
import { convQueryMaskOptionsKey, patchMapKey, type ConvQueryMaskOptions, type PatchMap } from './conv-material.js';
import type { Dealer, MaterialKind, PairedTruncationOptions, PartyDealer, TruncationPairOptions } from './dealer.js';

/** One dealer answer as one party received it: the request's key and this party's material. */
export interface RecordedAnswer {
  /** Kind, tag, shape and options of the request (the same on both parties for the same request). */
  readonly key: string;
  readonly value: unknown;
}

/** One party's recorded answers per dealer stream, each stream in request order. */
export type RecordedStreams = Map<string, RecordedAnswer[]>;

/** A party's dealer connection per stream, as `PartyEnv.dealer` takes it. */
export type StreamDealers = (stream: string, dealerKey: string) => PartyDealer;

type Answer = (kind: MaterialKind, key: string, ask: (d: PartyDealer) => Promise<unknown>) => Promise<unknown>;

/** A {@link PartyDealer} whose every request goes through `answer` with its key. */
function dealerThrough(party: PartyId, answer: Answer): PartyDealer {
  const shapeKey = (shape: Shape): string => `[${shape.join(',')}]`;
  const typed = <T>(p: Promise<unknown>): Promise<T> => p as Promise<T>;
  return {
    party,
    mulTriple: (shape, tag) => typed(answer('mulTriple', `mulTriple ${tag} ${shapeKey(shape)}`, (d) => d.mulTriple(shape, tag))),
    matmulTriple: (m, k, n, tag) => typed(answer('matmulTriple', `matmulTriple ${tag} ${m},${k},${n}`, (d) => d.matmulTriple(m, k, n, tag))),
    mask: (shape, tag, bits) => typed(answer('mask', `mask ${tag} ${shapeKey(shape)} ${bits ?? 64}`, (d) => d.mask(shape, tag, bits))),
    truncationPair: (shape, tag, options: TruncationPairOptions) =>
      typed(answer('truncationPair', `truncationPair ${tag} ${shapeKey(shape)} ${options.fracBits}`, (d) => d.truncationPair(shape, tag, options))),
    pairedTruncation: (shape, tag, options: PairedTruncationOptions) =>
      typed(answer('pairedTruncation', `pairedTruncation ${tag} ${shapeKey(shape)} ${options.fracBits} ${options.scalarFracBits}`, (d) => d.pairedTruncation(shape, tag, options))),
    comparisonKey: (shape, tag, options: ComparisonKeyOptions) =>
      typed(answer('comparisonKey', `comparisonKey ${tag} ${shapeKey(shape)} ${JSON.stringify(options)}`, (d) => d.comparisonKey(shape, tag, options))),
    weightMask: (layer, k, n, tag) => typed(answer('weightMask', `weightMask ${tag} ${JSON.stringify(layer)} ${k},${n}`, (d) => d.weightMask(layer, k, n, tag))),
    convQueryMask: (layer: string, map: PatchMap, tag: string, options?: ConvQueryMaskOptions) =>
      typed(answer('convQueryMask', `convQueryMask ${tag} ${JSON.stringify(layer)} ${patchMapKey(map)}${convQueryMaskOptionsKey(options)}`, (d) => d.convQueryMask(layer, map, tag, options))),
  };
}

/**
 * Records what each party receives from a dealer, per stream, so that the parties can later run
 * the same query apart (each in its own thread) with {@link replayStreams}: each stream is a
 * {@link connectDealer} pair over `dealer` (the k-th requests of S0 and S1 on a stream are
 * paired, as in a deployment's `DealerService`), and every answer is kept with its request key.
 * Offline bytes are counted in `meter`. Weight masks (enrolment) are refused: only a query's
 * material can be replayed, and enrolment must stay with the dealer that keeps the masks.
 *
 * Meant for cost measurement only: the replayed material was generated for the recording run,
 * which must not have seen real data.
 */
export class StreamRecorder {
  readonly #dealer: Dealer;
  readonly #meter: CostMeter;
  readonly #streams = new Map<string, readonly [PartyDealer, PartyDealer]>();
  readonly #recorded: readonly [RecordedStreams, RecordedStreams] = [new Map(), new Map()];

  constructor(dealer: Dealer, meter: CostMeter) {
    this.#dealer = dealer;
    this.#meter = meter;
  }

  /** Party `party`'s recording connection to `stream` (the dealer key is not used: one dealer serves every stream). */
  endpoint(party: PartyId, stream: string): PartyDealer {
    let pair = this.#streams.get(stream);
    if (pair === undefined) this.#streams.set(stream, (pair = connectDealer(this.#dealer, this.#meter)));
    const inner = pair[party];
    let kept = this.#recorded[party].get(stream);
    if (kept === undefined) this.#recorded[party].set(stream, (kept = []));
    const list = kept;
    return dealerThrough(party, async (kind, key, ask) => {
      if (kind === 'weightMask') throw new ProtocolError('StreamRecorder', `stream '${stream}' asked for a weight mask: enrolment cannot be recorded for replay`);
      const value = await ask(inner);
      list.push({ key, value });
      return value;
    });
  }

  /** Everything party `party` received, per stream in request order. */
  recorded(party: PartyId): RecordedStreams {
    return this.#recorded[party];
  }
}

/**
 * Party `party`'s dealer connections that answer each stream's requests with the answers
 * recorded for that party and stream ({@link StreamRecorder}), in order, each once. Since both
 * parties' k-th requests on a stream were paired when recorded, the two parties replaying apart
 * get matching material whatever the interleaving of their streams.
 * @throws ProtocolError naming the stream when a request is not the one recorded at that position, or nothing is left.
 */
export function replayStreams(party: PartyId, recorded: RecordedStreams): StreamDealers {
  const next = new Map<string, number>();
  return (stream) =>
    dealerThrough(party, async (_kind, key) => {
      const list = recorded.get(stream) ?? [];
      const k = next.get(stream) ?? 0;
      const entry = list[k];
      if (entry === undefined) throw new ProtocolError('replayStreams', `stream '${stream}': request ${k} ('${key}') was not recorded (${list.length} recorded)`);
      if (entry.key !== key) throw new ProtocolError('replayStreams', `stream '${stream}': request ${k} is '${key}' but '${entry.key}' was recorded: the replay lost step`);
      next.set(stream, k + 1);
      list[k] = { key: entry.key, value: undefined }; // each answer is replayed once: let it go
      return entry.value;
    });
}
