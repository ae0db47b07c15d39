import { ProtocolError } from '../../errors.js';
import type { CostMeter } from '../channel/cost-meter.js';
import { otherParty, type PartyId } from '../party.js';
import type { Shape } from '../ring/ring-tensor.js';
import type { Share } from '../sharing/share.js';
import { comparisonKeyElements, type ComparisonKey, type ComparisonKeyOptions } from './comparison-key.js';
import { convQueryMaskElements, convQueryMaskOptionsKey, patchMapKey, type ConvQueryMask, type ConvQueryMaskOptions, type PatchMap } from './conv-material.js';
import { pairedTruncationElements, type Dealer, type PairedTruncation, type PairedTruncationOptions, type PartyDealer, type Triple, type TruncationPair, type TruncationPairOptions } from './dealer.js';

/**
 * Connects both parties to one dealer in process. The parties' k-th requests are paired: the
 * first of the two to ask makes the dealer generate the material, takes its own share and
 * leaves the other's for the other party's k-th request. Each delivery is recorded in `meter`
 * as offline bytes for the receiving party (8 per element). A k-th request that differs
 * between the parties (kind, tag or shape) is a `ProtocolError`: the parties lost step.
 */
export function connectDealer(dealer: Dealer, meter: CostMeter): readonly [PartyDealer, PartyDealer] {
  const hub = new DealerHub(dealer, meter);
  return [hub.endpoint(0), hub.endpoint(1)];
}

interface Pending {
  readonly key: string;
  readonly value: unknown;
}

class DealerHub {
  private readonly count: [number, number] = [0, 0];
  private readonly pending: [Map<number, Pending>, Map<number, Pending>] = [new Map(), new Map()];

  constructor(
    private readonly dealer: Dealer,
    private readonly meter: CostMeter,
  ) {}

  endpoint(party: PartyId): PartyDealer {
    const d = this.dealer;
    return {
      party,
      mulTriple: async (shape: Shape, tag: string): Promise<Triple> =>
        this.take(party, tag, `mulTriple ${tag} [${shape.join(', ')}]`, () => d.mulTriple(shape, tag), tripleElements),
      matmulTriple: async (m: number, k: number, n: number, tag: string): Promise<Triple> =>
        this.take(party, tag, `matmulTriple ${tag} [${m}, ${k}] @ [${k}, ${n}]`, () => d.matmulTriple(m, k, n, tag), tripleElements),
      mask: async (shape: Shape, tag: string, bits = 64): Promise<Share> =>
        this.take(party, tag, `mask ${tag} [${shape.join(', ')}] ${bits} bits`, () => d.mask(shape, tag, bits), (s) => s.size),
      truncationPair: async (shape: Shape, tag: string, options: TruncationPairOptions): Promise<TruncationPair> =>
        this.take(
          party,
          tag,
          `truncationPair ${tag} [${shape.join(', ')}] f=${options.fracBits}`,
          () => d.truncationPair(shape, tag, options),
          (p) => p.r.size + p.rMsb.size + p.rHigh.size,
        ),
      pairedTruncation: async (shape: Shape, tag: string, options: PairedTruncationOptions): Promise<PairedTruncation> =>
        this.take(
          party,
          tag,
          `pairedTruncation ${tag} [${shape.join(', ')}] f=${options.fracBits} scalar f=${options.scalarFracBits}`,
          () => d.pairedTruncation(shape, tag, options),
          pairedTruncationElements,
        ),
      comparisonKey: async (shape: Shape, tag: string, options: ComparisonKeyOptions): Promise<ComparisonKey> =>
        this.take(
          party,
          tag,
          `comparisonKey ${tag} [${shape.join(', ')}] bits=${options.bits} chunkBits=${options.chunkBits}${options.product ? ' product' : ''}${options.fuseLastAnd ? ' fused' : ''}${options.codeElements === undefined ? '' : ` code=${options.codeElements}`}${options.truncation === undefined ? '' : ` truncation=${options.truncation}`}`,
          () => d.comparisonKey(shape, tag, options),
          comparisonKeyElements,
        ),
      weightMask: async (layer: string, k: number, n: number, tag: string): Promise<Share> =>
        this.take(party, tag, `weightMask ${tag} layer=${JSON.stringify(layer)} [${k}, ${n}]`, () => d.weightMask(layer, k, n, tag), (s) => s.size),
      convQueryMask: async (layer: string, map: PatchMap, tag: string, options?: ConvQueryMaskOptions): Promise<ConvQueryMask> =>
        this.take(
          party,
          tag,
          `convQueryMask ${tag} layer=${JSON.stringify(layer)} ${patchMapKey(map)}${convQueryMaskOptionsKey(options)}`,
          () => d.convQueryMask(layer, map, tag, options),
          convQueryMaskElements,
        ),
    };
  }

  private take<T>(party: PartyId, tag: string, key: string, generate: () => readonly [T, T], elements: (t: T) => number): T {
    const index = this.count[party]++;
    const mine = this.pending[party];
    const waiting = mine.get(index);
    let value: T;
    if (waiting !== undefined) {
      mine.delete(index);
      if (waiting.key !== key) {
        throw new ProtocolError(
          'dealer',
          `request ${index}: party ${party} asked for '${key}' but party ${otherParty(party)} asked for '${waiting.key}': the parties lost step`,
        );
      }
      value = waiting.value as T;
    } else {
      const pair = generate();
      this.pending[otherParty(party)].set(index, { key, value: pair[otherParty(party)] });
      value = pair[party];
    }
    this.meter.recordOffline(party, 8 * elements(value), tag);
    return value;
  }
}

function tripleElements(t: Triple): number {
  return t.a.size + t.b.size + t.c.size;
}
