/**
 * Worker-thread entry of {@link measureThreadedQuery} (`threaded-query.ts`): one server's half of
 * a query in its own thread, with its own channel end (a `MessagePort`), its own replayed dealer
 * streams and its own cost meter. Messages from the main thread: `init` (then it prepares the
 * offline phase and answers `prepared`), `go` (it runs the online phase and answers `done`); any
 * failure is answered `failed` with the message.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { CostMeter } from '../channel/cost-meter.js';
import { PortChannel } from '../channel/port-channel.js';
import { replayStreams, type RecordedAnswer } from '../dealer/stream-recording.js';
import type { FixedPointEncoding } from '../encoding/fixed-point.js';
import type { EnrolledReconstructor } from '../private-reconstructor/reconstructor.js';
import type { PartyId } from '../party.js';
import type { ProtocolVersion } from '../protocols/versions.js';
import { CryptoRandom } from '../ring/random.js';
import type { Share } from '../sharing/share.js';
import { unpackTree, type PackedTree } from '../transport/tree-codec.js';
import { evaluateQueryParty, prepareQueryParty, type PartyEnv } from './party-query.js';

/** The `init` message of a query thread. */
export interface QueryThreadInit {
  readonly type: 'init';
  readonly party: PartyId;
  readonly encoding: FixedPointEncoding;
  readonly protocol: ProtocolVersion;
  readonly queryId: string;
  /** `{ users: EnrolledReconstructor[], x: Share }`, packed. */
  readonly state: PackedTree;
  /** The recorded dealer streams, `[stream, RecordedAnswer[]][]`, packed. */
  readonly streams: PackedTree;
  readonly port: MessagePort;
}

/** What a query thread answers. */
export type QueryThreadReply =
  | { readonly type: 'prepared'; readonly seconds: number }
  | { readonly type: 'done'; readonly index: number; readonly belowThreshold: boolean | undefined; readonly seconds: number; readonly cost: ReturnType<CostMeter['report']> }
  | { readonly type: 'failed'; readonly message: string };

const parent = parentPort;
if (parent === null) throw new Error('query-thread.ts runs as a worker thread only');

parent.once('message', (init: QueryThreadInit) => {
  const reply = (message: QueryThreadReply): void => parent.postMessage(message);
  const fail = (error: unknown): void => reply({ type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  const run = async (): Promise<void> => {
    const state = unpackTree(init.state) as { users: EnrolledReconstructor[]; x: Share };
    const streams = unpackTree(init.streams) as [string, RecordedAnswer[]][];
    const meter = new CostMeter();
    const channel = new PortChannel(init.party, init.port, meter);
    const env: PartyEnv = { party: init.party, channel, encoding: init.encoding, rng: new CryptoRandom(), dealer: replayStreams(init.party, new Map(streams)) };
    try {
      const t0 = performance.now();
      const prepared = await prepareQueryParty(env, state.users, init.queryId);
      reply({ type: 'prepared', seconds: (performance.now() - t0) / 1000 });
      await new Promise<void>((resolve) => parent.once('message', () => resolve()));
      meter.markIdle();
      const t1 = performance.now();
      const result = await evaluateQueryParty(env, state.users, state.x, prepared, { protocol: init.protocol });
      reply({ type: 'done', index: result.index, belowThreshold: result.belowThreshold, seconds: (performance.now() - t1) / 1000, cost: meter.report() });
    } finally {
      channel.close();
    }
  };
  run().catch(fail);
});
