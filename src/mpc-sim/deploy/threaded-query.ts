import { MessageChannel, type Worker } from 'node:worker_threads';
import { ProtocolError } from '../../errors.js';
import { CostMeter, type CostReport, type LabelCost } from '../channel/cost-meter.js';
import { createInProcessChannels } from '../channel/in-process.js';
import { StreamRecorder } from '../dealer/stream-recording.js';
import { encode } from '../encoding/fixed-point.js';
import { PARTIES, type PartyId } from '../party.js';
import type { AlternativeMeasurement, MeasuredSetup } from '../private-reconstructor/measure-query.js';
import { CryptoRandom } from '../ring/random.js';
import { share } from '../sharing/share.js';
import { packTree } from '../transport/tree-codec.js';
import { startModuleWorker } from '../../util/module-worker.js';
import { queryParty, type PartyEnv } from './party-query.js';
import type { QueryThreadInit, QueryThreadReply } from './query-thread.js';

/** What {@link measureThreadedQuery} runs: the enrolled users, their dealer (it keeps the weight masks), the image and the protocol. */
export type ThreadedQuerySetup = MeasuredSetup;

/**
 * One query with the two servers in two threads: `onlineSeconds` from the start signal to both
 * servers' results (main thread's clock), `onlineCpuSeconds` of the whole process (both threads,
 * the libuv pool, GC helpers), `cost` with the online rounds and bytes of both servers' meters
 * merged and the recording pass's dealer material.
 */
export interface ThreadedQueryResult extends AlternativeMeasurement {
  /** Each server's own online time (its thread's clock). */
  readonly partySeconds: readonly [number, number];
  /** Each server's offline phase (conv preparation from replayed material). */
  readonly offlineSeconds: readonly [number, number];
}

/**
 * Measures one private query with S0 and S1 in two worker threads, each with its own JavaScript
 * thread (in process, the two servers share one, and only the convolutions' products leave it, for
 * the libuv pool). On the 2-core development machine this kept 1.9 cores busy against 1.7 in
 * process and was not faster (docs/private-prediction-v2.md, "Online time and both cores"):
 * 1. a recording pass in this thread (both servers, in-process channels, a zero image) through
 *    the deployment's party code (`queryParty`), each dealer stream recorded per party
 *    ({@link StreamRecorder}): the material of the query, generated once;
 * 2. the image shared with node:crypto; each thread gets its server's enrolled users and its share of
 *    the image (copied into the thread before any timing), its recorded streams (moved, not copied:
 *    the recording is dropped here), and the two ends of a `MessageChannel` link the servers
 *    ({@link PortChannel});
 * 3. each thread prepares its conv material (offline), then on a common start signal runs the
 *    online phase (`evaluateQueryParty`, the version's argmin) with its replayed streams.
 * Rounds and bytes equal the in-process query's (same party code, same protocol); the online time
 * has no dealer work in it. Meant for measurement: the replayed material was generated for the
 * recording pass, which saw only zeros.
 * @throws ProtocolError if a thread fails, or the servers reveal different indices.
 */
export async function measureThreadedQuery(setup: ThreadedQuerySetup): Promise<ThreadedQueryResult> {
  const queryId = 'threaded';
  const recordingMeter = new CostMeter();
  const recorder = new StreamRecorder(setup.dealer, recordingMeter);
  const channels = createInProcessChannels(new CostMeter());
  const users = PARTIES.map((p) => setup.users.map((u) => u[p]));
  const shape = [1, ...setup.users[0]![0].inputShape];
  const zeros = share(encode(setup.encoding, new Float32Array(setup.query.length), shape), new CryptoRandom());
  const env = (party: PartyId): PartyEnv => ({ party, channel: channels[party], encoding: setup.encoding, rng: new CryptoRandom(), dealer: (stream) => recorder.endpoint(party, stream) });
  await Promise.all(PARTIES.map((p) => queryParty(env(p), users[p]!, zeros[p], queryId, { protocol: setup.protocol })));

  const x = share(encode(setup.encoding, setup.query, shape), new CryptoRandom());
  const link = new MessageChannel();
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const workers: Worker[] = [];
  try {
    const replies = PARTIES.map((party) => {
      const worker = startModuleWorker(new URL(`./query-thread.${ext}`, import.meta.url), undefined);
      workers.push(worker);
      return replyQueue(worker, party);
    });
    for (const party of PARTIES) {
      // the users are the caller's (copied); the recorded material is this pass's own (moved)
      const state = packTree({ users: users[party], x: x[party] });
      const streams = packTree([...recorder.recorded(party)], { move: true });
      recorder.recorded(party).clear();
      const port = party === 0 ? link.port1 : link.port2;
      const init: QueryThreadInit = { type: 'init', party, encoding: setup.encoding, protocol: setup.protocol, queryId, state: state.packed, streams: streams.packed, port };
      workers[party]!.postMessage(init, [...state.transfer, ...streams.transfer, port]);
    }
    const prepared = await Promise.all(replies.map((r) => r.next('prepared')));
    const t = performance.now();
    const cpu = process.cpuUsage();
    for (const w of workers) w.postMessage({ type: 'go' });
    const done = await Promise.all(replies.map((r) => r.next('done')));
    const onlineSeconds = (performance.now() - t) / 1000;
    const cpuUsed = process.cpuUsage(cpu);
    const [d0, d1] = done as [DoneReply, DoneReply];
    if (d0.index !== d1.index) throw new ProtocolError('measureThreadedQuery', `the servers revealed different indices (${d0.index}, ${d1.index})`);
    return {
      index: d0.index,
      onlineSeconds,
      onlineCpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6,
      partySeconds: [d0.seconds, d1.seconds],
      offlineSeconds: [prepared[0]!.seconds, prepared[1]!.seconds],
      cost: mergePartyCosts(d0.cost, d1.cost, recordingMeter.report()),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

type DoneReply = Extract<QueryThreadReply, { type: 'done' }>;
type PreparedReply = Extract<QueryThreadReply, { type: 'prepared' }>;

/** A thread's replies in order; a `failed` reply, an error or an early exit rejects the next wait. */
function replyQueue(worker: Worker, party: PartyId): { next<K extends 'prepared' | 'done'>(type: K): Promise<K extends 'done' ? DoneReply : PreparedReply> } {
  const arrived: QueryThreadReply[] = [];
  const waiting: { resolve: (r: QueryThreadReply) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  const failAll = (error: Error): void => {
    failure ??= error;
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  worker.on('message', (r: QueryThreadReply) => {
    if (r.type === 'failed') return failAll(new ProtocolError('measureThreadedQuery', `server ${party}'s thread failed: ${r.message}`));
    const w = waiting.shift();
    if (w !== undefined) w.resolve(r);
    else arrived.push(r);
  });
  worker.on('error', (e) => failAll(new ProtocolError('measureThreadedQuery', `server ${party}'s thread failed: ${e.message}`)));
  worker.on('exit', (code) => failAll(new ProtocolError('measureThreadedQuery', `server ${party}'s thread exited (code ${code})`)));
  return {
    next: (type) =>
      new Promise((resolve, reject) => {
        const got = (r: QueryThreadReply): void => {
          if (r.type !== type) reject(new ProtocolError('measureThreadedQuery', `server ${party}'s thread answered '${r.type}', expected '${type}'`));
          else resolve(r as never);
        };
        const ready = arrived.shift();
        if (ready !== undefined) got(ready);
        else if (failure !== undefined) reject(failure);
        else waiting.push({ resolve: got, reject });
      }),
  };
}

/**
 * One report from the two servers' own meters (S0's sent bytes from S0's, S1's from S1's; rounds
 * from S0's, which must equal S1's) and the recording pass's dealer material.
 * @throws ProtocolError if the servers counted different rounds.
 */
export function mergePartyCosts(s0: CostReport, s1: CostReport, offline: CostReport): CostReport {
  if (s0.rounds !== s1.rounds) throw new ProtocolError('measureThreadedQuery', `the servers counted ${s0.rounds} and ${s1.rounds} rounds`);
  const byLabel: Record<string, LabelCost> = {};
  for (const label of new Set([...Object.keys(s0.byLabel), ...Object.keys(s1.byLabel)])) {
    byLabel[label] = { rounds: s0.byLabel[label]?.rounds ?? 0, bytes: [s0.byLabel[label]?.bytes[0] ?? 0, s1.byLabel[label]?.bytes[1] ?? 0] };
  }
  const online = [s0.onlineBytes[0], s1.onlineBytes[1]] as const;
  return {
    onlineBytes: online,
    onlineBytesTotal: online[0] + online[1],
    rounds: s0.rounds,
    reveals: s0.reveals,
    revealedElements: s0.revealedElements,
    offlineBytes: offline.offlineBytes,
    offlineBytesTotal: offline.offlineBytesTotal,
    byLabel,
    offlineByLabel: offline.offlineByLabel,
    secondsByLabel: s0.secondsByLabel,
  };
}
