import { ProtocolError } from '../../errors.js';
import type { PartyDealer, TruncationPair, TruncationPairOptions } from '../dealer/dealer.js';
import { sameShape, type Shape } from '../ring/ring-tensor.js';
import type { PartyContext } from './context.js';

/** A truncation pair fetched in an offline phase, with the request it answers. */
export interface PrefetchedTruncationPair {
  readonly shape: Shape;
  readonly tag: string;
  readonly fracBits: number;
  readonly pair: TruncationPair;
}

/**
 * The context of an online phase: `ctx` with a dealer connection that only hands out the
 * truncation pairs fetched beforehand (each once, in order, for exactly the request it was
 * fetched for) and refuses every other request. So a protocol reused inside an online phase
 * (e.g. `truncateWithDealer`) cannot fetch material late by accident, and the offline phase's
 * cost already contains all of it.
 */
export function onlineContext(ctx: PartyContext, step: string, pairs: readonly PrefetchedTruncationPair[] = []): PartyContext {
  const queue = [...pairs];
  const refuse = (kind: string) => async (): Promise<never> => {
    throw new ProtocolError(step, `the online phase asked the dealer for '${kind}': fetch all material in the offline phase`);
  };
  const dealer: PartyDealer = {
    party: ctx.party,
    mulTriple: refuse('mulTriple'),
    matmulTriple: refuse('matmulTriple'),
    mask: refuse('mask'),
    comparisonKey: refuse('comparisonKey'),
    pairedTruncation: refuse('pairedTruncation'),
    weightMask: refuse('weightMask'),
    convQueryMask: refuse('convQueryMask'),
    truncationPair: async (shape: Shape, tag: string, options: TruncationPairOptions): Promise<TruncationPair> => {
      const next = queue.shift();
      if (next === undefined || next.tag !== tag || next.fracBits !== options.fracBits || !sameShape(next.shape, shape)) {
        throw new ProtocolError(step, `the online phase asked for truncation pair '${tag}' [${shape.join(', ')}] f=${options.fracBits}, which was not fetched offline`);
      }
      return next.pair;
    },
  };
  return { ...ctx, dealer };
}
