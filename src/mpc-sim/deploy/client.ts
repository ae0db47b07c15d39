import { randomBytes } from 'node:crypto';
import { PrivedgeError, ProtocolError } from '../../errors.js';
import { encode, encodeScalar, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { shareReconstructor, type ReconstructorDescription } from '../private-reconstructor/reconstructor.js';
import { CryptoRandom, type RingRandom } from '../ring/random.js';
import { share } from '../sharing/share.js';
import { loadKeys } from '../transport/keys.js';
import { LinkError, type FrameLink } from '../transport/link.js';
import type { Frame } from '../transport/frame.js';
import { connectLink, type Address } from '../transport/tls-link.js';
import { encodeTree } from '../transport/tree-codec.js';

/** Options of {@link connectServers}. */
export interface ClientOptions {
  readonly keysDir: string;
  /** S0's and S1's addresses. */
  readonly servers: readonly [Address, Address];
  /** Per-message timeout of the handshake, ms. */
  readonly timeoutMs: number;
  /** Longest wait for a whole job (an enrolment or a query), ms. */
  readonly jobTimeoutMs: number;
}

/** What the client learns from a private query. */
export interface QueryResult {
  readonly job: string;
  /** Index of the predicted user in the servers' model set, and its model id. */
  readonly index: number;
  readonly user: string;
  readonly belowThreshold: boolean | undefined;
  /** DEBUG ONLY (`revealDissimilarities`). */
  readonly dissimilarities: readonly number[] | undefined;
  /** Wall-clock seconds of the query at the client (sharing, both servers' work, the replies). */
  readonly seconds: number;
  /** Rounds and online bytes sent by S0 and by S1, dealer bytes received by both, as the servers counted them. */
  readonly rounds: number;
  readonly onlineBytes: readonly [number, number];
  readonly offlineBytes: readonly [number, number];
}

/** What a server tells about its model set. */
export interface ServerInfo {
  readonly modelIds: string[];
  readonly hash: string;
  /** Input shape of the enrolled reconstructors (null when none is enrolled). */
  readonly inputShape: [number, number, number] | null;
}

/** Options of {@link Servers.query}. */
export interface QueryOptions {
  readonly threshold?: number;
  readonly revealDissimilarities?: boolean;
  /** The client's randomness for sharing the image; default node:crypto. */
  readonly random?: RingRandom;
  /** The job id (default random); it names the query in every message. */
  readonly job?: string;
}

/** The client's (or an enrolling user's) connection to both servers. */
export interface Servers {
  /** Model ids and model-set hash of each server. */
  info(): Promise<[ServerInfo, ServerInfo]>;
  /** Shares `description` with `random` (default node:crypto) and enrols it at both servers under `modelId`. */
  enrol(description: ReconstructorDescription, modelId: string, random?: RingRandom): Promise<{ modelIds: string[]; hash: string }>;
  /** One private query of an image (`[H, W, C]`, values in [-1, 1]). */
  query(image: Float32Array, inputShape: readonly [number, number, number], options?: QueryOptions): Promise<QueryResult>;
  close(): void;
}

/**
 * Connects to S0 and S1 (TLS-PSK, the client's keys).
 * @throws LinkError naming the server that cannot be reached or refuses the key.
 */
export async function connectServers(o: ClientOptions, encoding: FixedPointEncoding): Promise<Servers> {
  const keys = loadKeys(o.keysDir, 'client');
  const links: FrameLink[] = [];
  for (const [i, peer] of (['s0', 's1'] as const).entries()) {
    try {
      links.push(await connectLink({ self: 'client', peer, address: o.servers[i]!, keys, timeoutMs: o.timeoutMs }));
    } catch (e) {
      links.forEach((l) => l.close());
      throw e;
    }
  }

  /** Sends one job to both servers and waits for both replies; a link failure wins over a reported error. */
  const both = async (job: string, frames: readonly [Omit<Frame, 'from' | 'seq'>, Omit<Frame, 'from' | 'seq'>]): Promise<[Record<string, unknown>, Record<string, unknown>]> => {
    const replies = await Promise.allSettled(
      links.map(async (link, i) => {
        const reply = link.receive(`the result of ${frames[i]!.label} ${job}`, o.jobTimeoutMs);
        await link.send(frames[i]!);
        return reply;
      }),
    );
    const linkError = replies.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (linkError) throw linkError.reason instanceof LinkError ? new PrivedgeError('NETWORK', `${frames[0].label} ${job} failed: ${linkError.reason.message}`, { cause: linkError.reason }) : linkError.reason;
    const metas = replies.map((r, i) => {
      const f = (r as PromiseFulfilledResult<Frame>).value;
      const meta = (f.meta ?? {}) as Record<string, unknown>;
      if (f.kind === 'error') return new ProtocolError(links[i]!.peer, String(meta.message));
      return meta;
    });
    // Report the most telling cause: a server that detected tampering itself, then any other
    // failure (e.g. a model-set mismatch, or the TLS alert a tampering detector sent its peer),
    // then a server that only saw its peer hang up as a consequence.
    const rank = (e: Error): number => (/DECRYPTION_FAILED/.test(e.message) ? 0 : e.message.endsWith('closed the connection (the party vanished)') ? 2 : 1);
    const errors = metas.filter((m): m is ProtocolError => m instanceof Error).sort((a, b) => rank(a) - rank(b));
    if (errors[0] !== undefined) throw errors[0];
    return metas as [Record<string, unknown>, Record<string, unknown>];
  };
  const jobId = (): string => randomBytes(6).toString('hex');

  return {
    info: async () => {
      const replies = await Promise.all(
        links.map(async (link) => {
          const reply = link.receive('info');
          await link.send({ kind: 'control', label: 'info', reveal: false, meta: null, tensors: [] });
          return (await reply).meta as ServerInfo;
        }),
      );
      return [replies[0]!, replies[1]!];
    },
    enrol: async (description, modelId, random) => {
      const shares = shareReconstructor(description, encoding, random ?? new CryptoRandom());
      const job = jobId();
      const frames = shares.map((s) => {
        const { skeleton, tensors } = encodeTree(s);
        return { kind: 'control', label: 'enrol', reveal: false, meta: { job, modelId, skeleton }, tensors } as const;
      });
      const [r0] = await both(job, [frames[0]!, frames[1]!]);
      return { modelIds: r0.modelIds as string[], hash: String(r0.hash) };
    },
    query: async (image, inputShape, options = {}) => {
      const start = performance.now();
      const x = share(encode(encoding, image, [1, ...inputShape]), options.random ?? new CryptoRandom());
      const job = options.job ?? jobId();
      const meta = {
        job,
        revealDissimilarities: options.revealDissimilarities === true,
        threshold: options.threshold === undefined ? null : encodeScalar(encoding, options.threshold).toString(),
      };
      const [r0, r1] = await both(job, [
        { kind: 'control', label: 'query', reveal: false, meta, tensors: [x[0].ring] },
        { kind: 'control', label: 'query', reveal: false, meta, tensors: [x[1].ring] },
      ]);
      if (r0.index !== r1.index) throw new ProtocolError(`query ${job}`, `the servers revealed different users (${String(r0.index)} and ${String(r1.index)})`);
      const index = r0.index as number;
      return {
        job,
        index,
        user: (r0.modelIds as string[])[index]!,
        belowThreshold: (r0.belowThreshold as boolean | null | undefined) ?? undefined,
        dissimilarities: (r0.dissimilarities as number[] | null | undefined) ?? undefined,
        seconds: (performance.now() - start) / 1000,
        rounds: r0.rounds as number,
        onlineBytes: [r0.bytesSent as number, r1.bytesSent as number],
        offlineBytes: [r0.offlineBytes as number, r1.offlineBytes as number],
      };
    },
    close: () => links.forEach((l) => l.close()),
  };
}
