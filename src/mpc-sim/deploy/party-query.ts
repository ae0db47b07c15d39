import { createHash } from 'node:crypto';
import { ProtocolError } from '../../errors.js';
import type { Channel } from '../channel/channel.js';
import { LockstepChannel } from '../channel/lockstep.js';
import type { PartyDealer } from '../dealer/dealer.js';
import type { FixedPointEncoding } from '../encoding/fixed-point.js';
import { enrolReconstructor, evaluateReconstructor, prepareReconstructor, reconstructorSignature, type EnrolReconstructorOptions, type EnrolledReconstructor, type QueryMaterial, type SharedReconstructor } from '../private-reconstructor/reconstructor.js';
import type { PartyId } from '../party.js';
import { decodeDissimilarities, versionArgmin, versionDissimilarity, type ProtocolVersion } from '../protocols/versions.js';
import type { PartyContext } from '../protocols/context.js';
import { reveal } from '../protocols/reveal.js';
import { concatShares } from '../protocols/shared-vector.js';
import type { RingRandom } from '../ring/random.js';
import { reshapeShare } from '../sharing/linear.js';
import type { Share } from '../sharing/share.js';

/**
 * What one server needs to run its half of enrolment and queries, wherever the other server
 * and the dealer are (same process or over the network).
 */
export interface PartyEnv {
  readonly party: PartyId;
  /** This party's end of the S0-S1 link. */
  readonly channel: Channel;
  readonly encoding: FixedPointEncoding;
  readonly rng: RingRandom;
  /** This party's connection to dealer stream `stream`, drawing from dealer `dealerKey` (see `DealerService`). */
  readonly dealer: (stream: string, dealerKey: string) => PartyDealer;
}

const userKey = (modelId: string): string => `user:${modelId}`;

function context(env: PartyEnv, channel: Channel, dealer: PartyDealer): PartyContext {
  return { party: env.party, channel, dealer, encoding: env.encoding, rng: env.rng };
}

/** One server's enrolment of its share of a user's reconstructor (dealer stream `enrol/<modelId>`); options as the protocol version's `enrolment` (`protocols/versions.ts`). */
export function enrolParty(env: PartyEnv, shared: SharedReconstructor, modelId: string, options: EnrolReconstructorOptions = {}): Promise<EnrolledReconstructor> {
  return enrolReconstructor(context(env, env.channel, env.dealer(`enrol/${modelId}`, userKey(modelId))), shared, modelId, options);
}

/**
 * The model set both servers must agree on before a query: SHA-256 over every user's id, step
 * sequence and masked weights W - B (public to both servers and the same on both), in
 * enrolment order. Equal hashes mean the same users, in the same order, with the same weights.
 */
export function modelSetHash(users: readonly EnrolledReconstructor[]): string {
  const h = createHash('sha256');
  for (const u of users) {
    h.update(JSON.stringify([u.modelId, reconstructorSignature(u), u.inputShape]));
    for (const s of u.steps) if (s.kind === 'conv' || s.kind === 'normConv') h.update(new Uint8Array(s.layer.maskedWeights.data.buffer, s.layer.maskedWeights.data.byteOffset, s.layer.maskedWeights.byteLength));
  }
  return h.digest('hex');
}

/** Options of {@link queryParty} and {@link evaluateQueryParty}. */
export interface QueryPartyOptions {
  /** DEBUG ONLY: also reveal the N dissimilarities to both servers (one counted reveal). */
  readonly revealDissimilarities?: boolean;
  /** Also reveal [min MSE < threshold]; encoded threshold. */
  readonly threshold?: bigint;
  /** Protocol version (`protocols/versions.ts`); default `v1`. The users must have been enrolled for it (v3: `foldNorms`). */
  readonly protocol?: ProtocolVersion;
}

/** What a server learns from one query (and returns to the client). */
export interface PartyQueryResult {
  readonly index: number;
  readonly belowThreshold: boolean | undefined;
  readonly dissimilarities: number[] | undefined;
}

/** One server's offline phase of a query ({@link prepareQueryParty}): every user's dealer stream and conv material. */
export interface PreparedQuery {
  readonly queryId: string;
  readonly dealers: readonly PartyDealer[];
  readonly materials: readonly Map<string, QueryMaterial>[];
}

/**
 * One server's offline phase of query `queryId`: per user (dealer stream `q<queryId>/u<j>`), the
 * conv material that does not depend on the image (`prepareReconstructor`). 0 rounds.
 * @throws ProtocolError if no user is enrolled or the users' step sequences differ.
 */
export async function prepareQueryParty(env: PartyEnv, users: readonly EnrolledReconstructor[], queryId: string): Promise<PreparedQuery> {
  if (users.length === 0) throw new ProtocolError('query', 'no enrolled users');
  const signature = reconstructorSignature(users[0]!);
  for (const u of users) if (reconstructorSignature(u) !== signature) throw new ProtocolError('query', `user '${u.modelId}' has a different architecture from '${users[0]!.modelId}': lockstep needs one`);
  const dealers = users.map((u, j) => env.dealer(`q${queryId}/u${j}`, userKey(u.modelId)));
  const materials: Map<string, QueryMaterial>[] = [];
  for (const [j, u] of users.entries()) materials.push(await prepareReconstructor(context(env, env.channel, dealers[j]!), u, ''));
  return { queryId, dealers, materials };
}

/**
 * One server's online phase of a prepared query on its share `x` ([1, H, W, C]) of the image:
 * all users in lockstep (one round per step for all of them), the reconstructor and its MSE; then
 * the version's argmin (dealer stream `q<queryId>/main`). Same rounds and bytes as
 * `privatePredict` with the same protocol.
 */
export async function evaluateQueryParty(env: PartyEnv, users: readonly EnrolledReconstructor[], x: Share, prepared: PreparedQuery, options: QueryPartyOptions = {}): Promise<PartyQueryResult> {
  const protocol = options.protocol ?? 'v1';
  const lockstep = new LockstepChannel(env.channel, users.length);
  const errors = await Promise.all(
    users.map(async (u, j) => {
      const ctx = context(env, lockstep.lane(j), prepared.dealers[j]!);
      try {
        const rec = reshapeShare(await evaluateReconstructor(ctx, u, x, { tagPrefix: '', materials: prepared.materials[j]!, protocol }), x.shape);
        return await versionDissimilarity(ctx, x, rec, protocol, 'mse');
      } catch (error) {
        lockstep.fail(error);
        throw error;
      } finally {
        lockstep.finish(j);
      }
    }),
  );
  const ctx = context(env, env.channel, env.dealer(`q${prepared.queryId}/main`, 'main'));
  const values = reshapeShare(concatShares(...errors), [1, users.length]);
  const dissimilarities = options.revealDissimilarities === true ? decodeDissimilarities(protocol, env.encoding, x.size, await reveal(ctx, values, 'debug/dissimilarities')) : undefined;
  const result = await versionArgmin(ctx, values, protocol, x.size, options.threshold);
  return { index: result.indices[0]!, belowThreshold: result.belowThreshold?.[0], dissimilarities };
}

/**
 * One server's half of a private query on its share `x` ([1, H, W, C]) of the image: the offline
 * phase ({@link prepareQueryParty}) then the online one ({@link evaluateQueryParty}). User j draws
 * from dealer stream `q<queryId>/u<j>`, the argmin from `q<queryId>/main`. Same rounds and bytes as
 * `privatePredict`.
 * @throws ProtocolError if no user is enrolled or the users' step sequences differ.
 */
export async function queryParty(env: PartyEnv, users: readonly EnrolledReconstructor[], x: Share, queryId: string, options: QueryPartyOptions = {}): Promise<PartyQueryResult> {
  return evaluateQueryParty(env, users, x, await prepareQueryParty(env, users, queryId), options);
}
