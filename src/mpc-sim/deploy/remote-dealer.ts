import { ProtocolError } from '../../errors.js';
import type { CostMeter } from '../channel/cost-meter.js';
import type { PartyDealer } from '../dealer/dealer.js';
import type { PartyId } from '../party.js';
import type { FrameLink } from '../transport/link.js';
import { decodeTree, encodeTree } from '../transport/tree-codec.js';
import type { DealerService } from './dealer-service.js';

/** The PartyDealer methods, the requests a server can make. */
const METHODS = ['mulTriple', 'matmulTriple', 'mask', 'truncationPair', 'pairedTruncation', 'comparisonKey', 'weightMask', 'convQueryMask'] as const;
type Method = (typeof METHODS)[number];

/** A dealer request on the wire (frame meta). */
interface DealerRequest {
  readonly stream: string;
  readonly dealerKey: string;
  readonly args: unknown[];
}

/**
 * A server's connection to stream `stream` of the dealer process, over `link`: each call sends
 * one `request` frame (method, stream, arguments) and resolves with the `response` frame's
 * material, recorded in `meter` as offline bytes under the request's tag. Requests on one link
 * are answered in order, so concurrent calls (lockstep lanes) need no ids.
 */
export function remotePartyDealer(link: FrameLink, party: PartyId, stream: string, dealerKey: string, meter: CostMeter): PartyDealer {
  const call = async (method: Method, args: unknown[], tag: string): Promise<unknown> => {
    const sent = link.send({ kind: 'request', label: method, reveal: false, meta: { stream, dealerKey, args } satisfies DealerRequest, tensors: [] });
    const reply = link.receive(`dealer ${method} ${tag}`);
    await sent;
    const frame = await reply;
    if (frame.kind === 'error') throw new ProtocolError('dealer', String((frame.meta as { message?: unknown }).message));
    if (frame.kind !== 'response' || frame.label !== method) throw new ProtocolError('dealer', `asked for ${method}, got ${frame.kind} '${frame.label}'`);
    meter.recordOffline(party, 8 * frame.tensors.reduce((s, t) => s + t.size, 0), tag);
    return decodeTree(frame.meta, frame.tensors);
  };
  return {
    party,
    mulTriple: async (shape, tag) => (await call('mulTriple', [shape, tag], tag)) as never,
    matmulTriple: async (m, k, n, tag) => (await call('matmulTriple', [m, k, n, tag], tag)) as never,
    mask: async (shape, tag, bits) => (await call('mask', [shape, tag, bits ?? 64], tag)) as never,
    truncationPair: async (shape, tag, options) => (await call('truncationPair', [shape, tag, options], tag)) as never,
    pairedTruncation: async (shape, tag, options) => (await call('pairedTruncation', [shape, tag, options], tag)) as never,
    comparisonKey: async (shape, tag, options) => (await call('comparisonKey', [shape, tag, options], tag)) as never,
    weightMask: async (layer, k, n, tag) => (await call('weightMask', [layer, k, n, tag], tag)) as never,
    convQueryMask: async (layer, map, tag, options) => (await call('convQueryMask', [layer, map, tag, options ?? {}], tag)) as never,
  };
}

/**
 * The dealer process's side of one server's link: answers every `request` frame from `service`
 * in order, until the link fails (then resolves). A bad request gets an `error` frame.
 */
export async function serveDealerLink(link: FrameLink, party: PartyId, service: DealerService): Promise<void> {
  for (;;) {
    let frame;
    try {
      frame = await link.receive('a dealer request', Infinity);
    } catch {
      return;
    }
    const method = frame.label as Method;
    try {
      const request = frame.meta as DealerRequest;
      if (frame.kind !== 'request' || !METHODS.includes(method)) throw new ProtocolError('dealer', `unknown request ${frame.kind} '${frame.label}'`);
      const endpoint = service.endpoint(party, request.stream, request.dealerKey) as unknown as Record<Method, (...a: unknown[]) => Promise<unknown>>;
      const material = await endpoint[method](...request.args);
      const { skeleton, tensors } = encodeTree(material);
      await link.send({ kind: 'response', label: method, reveal: false, meta: skeleton, tensors });
    } catch (e) {
      await link.send({ kind: 'error', label: method, reveal: false, meta: { message: (e as Error).message }, tensors: [] }).catch(() => undefined);
    }
  }
}
