import type * as tls from 'node:tls';
import { ProtocolError } from '../../errors.js';
import { CostMeter } from '../channel/cost-meter.js';
import { fixedPoint } from '../encoding/fixed-point.js';
import type { SharedReconstructor } from '../private-reconstructor/reconstructor.js';
import type { PartyId } from '../party.js';
import { CryptoRandom } from '../ring/random.js';
import { Share } from '../sharing/share.js';
import { loadKeys } from '../transport/keys.js';
import { LinkError, type FrameLink } from '../transport/link.js';
import { TcpChannel } from '../transport/tcp-channel.js';
import { boundPort, connectLink, listenLinks, type Address } from '../transport/tls-link.js';
import { decodeTree } from '../transport/tree-codec.js';
import { protocolSettings, type ProtocolVersion } from '../protocols/versions.js';
import { enrolParty, modelSetHash, queryParty, type PartyEnv } from './party-query.js';
import { remotePartyDealer } from './remote-dealer.js';
import { ServerState } from './server-state.js';

/** Options of {@link startServer}. */
export interface ServerOptions {
  readonly role: 's0' | 's1';
  /** This server's own folder of enrolled shares (mode 0700). */
  readonly stateDir: string;
  /** The key folder holding `<role>/*.psk`. */
  readonly keysDir: string;
  /** Where clients (and S0, for S1) connect. */
  readonly listen: Address;
  /** S1's address (S0 connects to it). */
  readonly peer: Address;
  readonly dealer: Address;
  /** Per-round timeout, ms. */
  readonly timeoutMs: number;
  /** How long to keep retrying the dealer and S1 while they start, ms. */
  readonly retryMs: number;
  readonly fracBits: number;
  /**
   * Protocol version of enrolments and queries (`protocols/versions.ts`); default `v1`. Both
   * servers must run the same one: it is compared before every job, with the model-set hash.
   */
  readonly protocol?: ProtocolVersion;
  readonly log: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  readonly port: number;
  readonly state: ServerState;
  /** Stops listening and closes every link. */
  close(): void;
}

interface Job {
  readonly id: string;
  readonly kind: 'enrol' | 'query';
  readonly frame: { readonly meta: Record<string, unknown>; readonly tensors: import('../ring/ring-tensor.js').RingTensor[] };
  readonly client: FrameLink;
}

/**
 * Starts S0 or S1: loads its enrolled shares, connects to the dealer (failing if it cannot be
 * reached within `retryMs`), listens for clients, and (S0) connects to S1. S0 orders the jobs:
 * before each, it announces the job id to S1, which runs the job of the same id from its own
 * client link. Before every job both servers compare their model-set hashes and refuse the job
 * if they differ. A failed job closes the S0-S1 link (S0 reconnects for the next job).
 * @throws LinkError if the dealer cannot be reached; RunError for a bad state folder.
 */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const party: PartyId = o.role === 's0' ? 0 : 1;
  const state = new ServerState(o.stateDir);
  const keys = loadKeys(o.keysDir, o.role);
  const encoding = fixedPoint({ fracBits: o.fracBits });
  const protocol: ProtocolVersion = o.protocol ?? 'v1';
  protocolSettings(protocol); // refuses an unknown version before anything starts
  let dealerLink = await connectLink({ self: o.role, peer: 'dealer', address: o.dealer, keys, timeoutMs: o.timeoutMs, retryMs: o.retryMs });
  o.log(`${o.role}: ${state.users.length} users enrolled (model set ${modelSetHash(state.users).slice(0, 16)}), dealer connected, protocol ${protocol}`);

  const jobs = new Map<string, Job>();
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  let peerLink: FrameLink | undefined;
  const links = new Set<FrameLink>();
  let closed = false;

  const serveClient = async (client: FrameLink): Promise<void> => {
    for (;;) {
      const frame = await client.receive('a request', Infinity).catch(() => undefined);
      if (frame === undefined) return;
      const meta = (frame.meta ?? {}) as Record<string, unknown>;
      if (frame.kind === 'control' && frame.label === 'info') {
        await client.send({ kind: 'response', label: 'info', reveal: false, meta: { modelIds: state.users.map((u) => u.modelId), hash: modelSetHash(state.users), inputShape: state.users[0]?.inputShape ?? null }, tensors: [] }).catch(() => undefined);
      } else if (frame.kind === 'control' && (frame.label === 'enrol' || frame.label === 'query') && typeof meta.job === 'string') {
        jobs.set(meta.job, { id: meta.job, kind: frame.label, frame: { meta, tensors: frame.tensors }, client });
        if (party === 0) queue.push(meta.job);
        notify();
      } else {
        client.fail(new LinkError(client.peer, `unexpected ${frame.kind} '${frame.label}'`));
        return;
      }
    }
  };

  const server: tls.Server = await listenLinks({
    self: o.role,
    address: o.listen,
    keys,
    timeoutMs: o.timeoutMs,
    onRefused: (m) => o.log(`${o.role}: ${m}`),
    onLink: (link) => {
      links.add(link);
      if (link.peer === 'client') void serveClient(link);
      else if (link.peer === 's0' && party === 1) {
        peerLink?.close();
        peerLink = link;
        o.log('s1: s0 connected');
        notify();
      } else link.close();
    },
  });

  const waitFor = async (ready: () => boolean, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!ready() && !closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, Math.min(left, 200));
      });
    }
    return ready();
  };

  const ensurePeer = async (): Promise<FrameLink> => {
    if (peerLink !== undefined && peerLink.failure === undefined) return peerLink;
    if (party === 0) {
      peerLink = await connectLink({ self: 's0', peer: 's1', address: o.peer, keys, timeoutMs: o.timeoutMs, retryMs: o.retryMs });
      links.add(peerLink);
      return peerLink;
    }
    await waitFor(() => peerLink !== undefined && peerLink.failure === undefined, Infinity);
    return peerLink!;
  };

  const runJob = async (job: Job, peer: FrameLink): Promise<Record<string, unknown>> => {
    if (dealerLink.failure !== undefined) dealerLink = await connectLink({ self: o.role, peer: 'dealer', address: o.dealer, keys, timeoutMs: o.timeoutMs });
    const hash = modelSetHash(state.users);
    const [, theirs] = await Promise.all([peer.send({ kind: 'control', label: 'model-set', reveal: false, meta: { hash, users: state.users.length, protocol }, tensors: [] }), peer.receive('model-set')]);
    const t = theirs.meta as { hash: string; users: number; protocol?: unknown };
    if (theirs.label === 'model-set' && (t.protocol ?? 'v1') !== protocol) {
      const mine = `${o.role}: ${protocol}`;
      const other = `${peer.peer}: ${String(t.protocol ?? 'v1')}`;
      throw new ProtocolError(`${job.kind} ${job.id}`, `refused: S0 and S1 run different protocol versions (${party === 0 ? `${mine}; ${other}` : `${other}; ${mine}`}); start both with the same --protocol`);
    }
    if (theirs.label !== 'model-set' || t.hash !== hash) {
      const mine = `${o.role}: ${state.users.length} users, hash ${hash.slice(0, 16)}`;
      const other = `${peer.peer}: ${t.users} users, hash ${String(t.hash).slice(0, 16)}`;
      throw new ProtocolError(`${job.kind} ${job.id}`, `refused: S0 and S1 hold different model sets (${party === 0 ? `${mine}; ${other}` : `${other}; ${mine}`})`);
    }
    const meter = new CostMeter();
    const env: PartyEnv = { party, channel: new TcpChannel(party, peer, meter), encoding, rng: new CryptoRandom(), dealer: (stream, key) => remotePartyDealer(dealerLink, party, stream, key, meter) };
    const start = performance.now();
    if (job.kind === 'enrol') {
      const modelId = String(job.frame.meta.modelId);
      if (state.users.some((u) => u.modelId === modelId)) throw new ProtocolError(`enrol ${job.id}`, `user '${modelId}' is enrolled already`);
      const shared = decodeTree(job.frame.meta.skeleton, job.frame.tensors) as SharedReconstructor;
      state.add(await enrolParty(env, shared, modelId, protocolSettings(protocol).enrolment));
      return { modelIds: state.users.map((u) => u.modelId), hash: modelSetHash(state.users) };
    }
    const x = job.frame.tensors[0];
    if (x === undefined) throw new ProtocolError(`query ${job.id}`, 'no query share');
    const threshold = typeof job.frame.meta.threshold === 'string' ? BigInt(job.frame.meta.threshold) : undefined;
    const result = await queryParty(env, state.users, new Share(party, x), job.id, { protocol, revealDissimilarities: job.frame.meta.revealDissimilarities === true, ...(threshold === undefined ? {} : { threshold }) });
    const cost = meter.report();
    return { ...result, modelIds: state.users.map((u) => u.modelId), seconds: (performance.now() - start) / 1000, rounds: cost.rounds, bytesSent: cost.onlineBytes[party], offlineBytes: cost.offlineBytes[party] };
  };

  const worker = async (): Promise<void> => {
    while (!closed) {
      let job: Job | undefined;
      let peer: FrameLink | undefined;
      try {
        if (party === 0) {
          await waitFor(() => queue.length > 0, Infinity);
          if (closed) return;
          job = jobs.get(queue.shift()!)!;
          peer = await ensurePeer();
          await peer.send({ kind: 'control', label: 'job', reveal: false, meta: { id: job.id }, tensors: [] });
        } else {
          peer = await ensurePeer();
          const announce = await peer.receive('the next job', Infinity);
          const id = String((announce.meta as { id?: unknown }).id);
          if (!(await waitFor(() => jobs.has(id), o.timeoutMs))) throw new ProtocolError('job', `s0 announced job ${id} but no client sent it to s1 within ${o.timeoutMs} ms`);
          job = jobs.get(id)!;
        }
        jobs.delete(job.id);
        o.log(`${o.role}: ${job.kind} ${job.id}: started`);
        const result = await runJob(job, peer);
        o.log(`${o.role}: ${job.kind} ${job.id}: done`);
        await job.client.send({ kind: 'response', label: job.kind, reveal: false, meta: { job: job.id, ...result }, tensors: [] }).catch(() => undefined);
      } catch (e) {
        if (closed) return;
        const message = (e as Error).message;
        o.log(`${o.role}: ${job === undefined ? 'job' : `${job.kind} ${job.id}`}: failed: ${message}`);
        if (job !== undefined) {
          jobs.delete(job.id);
          await job.client.send({ kind: 'error', label: job.kind, reveal: false, meta: { job: job.id, message }, tensors: [] }).catch(() => undefined);
        }
        peer?.close();
        if (peer === peerLink) peerLink = undefined;
      }
    }
  };
  void worker();

  return {
    port: boundPort(server),
    state,
    close: () => {
      closed = true;
      notify();
      server.close();
      for (const l of links) l.close();
      dealerLink.close();
    },
  };
}
