import { ProtocolError } from '../../errors.js';
import { costDiff, type CostReport } from '../channel/cost-meter.js';
import { decode, encode, encodeScalar } from '../encoding/fixed-point.js';
import type { InProcessSession } from '../parties/in-process.js';
import { runLockstep } from '../parties/lockstep.js';
import type { PartyContext } from '../protocols/context.js';
import { reveal } from '../protocols/reveal.js';
import { decodeDissimilarities, protocolSettings, versionArgmin, versionDissimilarity, type ProtocolVersion } from '../protocols/versions.js';
import { concatShares } from '../protocols/shared-vector.js';
import { CryptoRandom, type RingRandom } from '../ring/random.js';
import { reshapeShare } from '../sharing/linear.js';
import { share, type Share } from '../sharing/share.js';
import { enrolReconstructor, evaluateReconstructor, prepareReconstructor, reconstructorSignature, shareReconstructor, type EnrolledStep, type QueryMaterial, type EnrolReconstructorOptions, type EnrolledReconstructor, type ReconstructorDescription } from './reconstructor.js';

/** Both servers' state of one enrolled user, S0's first. */
export type EnrolledUser = readonly [EnrolledReconstructor, EnrolledReconstructor];

/** Options of {@link enrolUser}. */
export interface EnrolUserOptions extends EnrolReconstructorOptions {
  /** The user's randomness for sharing its weights; default node:crypto. */
  readonly random?: RingRandom;
}

/**
 * In process: the user encodes and shares its reconstructor with its own randomness
 * ({@link shareReconstructor}) and both servers enrol their shares under `modelId`.
 * Returns the enrolled user and the cost of enrolment.
 */
export async function enrolUser(session: InProcessSession, description: ReconstructorDescription, modelId: string, options: EnrolUserOptions = {}): Promise<{ user: EnrolledUser; cost: CostReport }> {
  const encoding = session.contexts[0].encoding;
  const shares = shareReconstructor(description, encoding, options.random ?? new CryptoRandom());
  const { results, cost } = await session.measure((ctx) => enrolReconstructor(ctx, shares[ctx.party], modelId, options));
  return { user: results, cost };
}

/** Options of {@link privatePredict}. */
export interface PrivatePredictOptions {
  /** Also reveal [min MSE < threshold] (a real, encoded with the session's encoding). */
  readonly threshold?: number;
  /** The client's randomness for sharing the query; default node:crypto. */
  readonly random?: RingRandom;
  /**
   * DEBUG ONLY (fidelity runs): also reveal the N dissimilarities, one counted reveal round.
   * This discloses every user's MSE to both servers: never in a private deployment.
   */
  readonly revealDissimilarities?: boolean;
  /**
   * DEBUG ONLY (`--validate`): reveal every step's output of every user (one counted reveal per
   * step) and pass it, decoded, to this callback.
   */
  readonly validate?: (user: number, step: EnrolledStep, values: Float64Array) => void;
  /** Protocol version (`protocols/versions.ts`); default `v1`. */
  readonly protocol?: ProtocolVersion;
  /**
   * Called right before and right after the online phase, outside its timing (e.g. to profile the
   * online phase alone: `bench:mpc --profile`).
   */
  readonly onlinePhase?: OnlinePhaseHooks;
}

/** Hooks around the online phase of {@link privatePredict}. */
export interface OnlinePhaseHooks {
  readonly start: () => void | Promise<void>;
  readonly stop: () => void | Promise<void>;
}

/** What one private prediction reveals, and what it cost. */
export interface PrivatePrediction {
  /** Index (into the enrolled users) of the smallest reconstruction MSE (lowest on ties). */
  readonly index: number;
  /** [min MSE < threshold], when a threshold was given. */
  readonly belowThreshold: boolean | undefined;
  /** The revealed dissimilarities, with `revealDissimilarities` only. */
  readonly dissimilarities: readonly number[] | undefined;
  /** The cost of this query (both phases): online rounds and bytes, dealer bytes, per label. */
  readonly cost: CostReport;
  /** The offline phase alone (every conv's mask and its product with the masked weights). */
  readonly offlineCost: CostReport;
  /** Online rounds and online bytes of both parties together, without debug reveals (labels `debug/...`). */
  readonly rounds: number;
  readonly bytes: number;
  /** Wall-clock seconds of the offline phase (conv material for every user). */
  readonly offlineSeconds: number;
  /**
   * Wall-clock seconds of the online phase: both servers' computation in this process, plus
   * the dealer's generation of any material not prepared offline (none with a replaying dealer).
   */
  readonly onlineSeconds: number;
  /**
   * CPU seconds of this process (every thread: the JavaScript thread, the libuv pool that runs the
   * convolutions' products, garbage collection helpers) during the online phase; divided by
   * `onlineSeconds`, how many cores the online phase kept busy.
   */
  readonly onlineCpuSeconds: number;
}

/** Per party and user: the conv material of one query. */
type Materials = [Map<string, QueryMaterial>[], Map<string, QueryMaterial>[]];

/**
 * One private query: the client shares the image (`[H, W, C]` of the enrolled input shape,
 * flattened, values in the encodable range); offline, each server prepares every user's conv
 * material ({@link prepareReconstructor}); online, the servers evaluate every user's
 * reconstructor on the query ({@link evaluateReconstructor}, all users in lockstep when their
 * layer sequences agree), compute each MSE, assemble the shared [1, N] vector and run `argmin`
 * (with the optional threshold bit). Only the index (and the bit) is revealed, unless a debug
 * option asks for more.
 *
 * Cost: in lockstep, the rounds of ONE reconstructor evaluation and one dissimilarity (`mse`,
 * 3 rounds; v8 `fineMse`, 2 rounds) plus argmin (6 ceil(log2 N) + 1 rounds, + 5 with a
 * threshold; protocol v2 and later: `argminPairwise`, 6 rounds with or without), the bytes of
 * all N; measured on the session's meter.
 * @throws ProtocolError if no user is enrolled, the users' input shapes differ from the query, or
 *   (v8) a query value is outside [-1, 1].
 */
export async function privatePredict(session: InProcessSession, users: readonly EnrolledUser[], query: Float32Array, options: PrivatePredictOptions = {}): Promise<PrivatePrediction> {
  const what = 'privatePredict';
  if (users.length === 0) throw new ProtocolError(what, 'no enrolled users');
  const shape = users[0]![0].inputShape;
  for (const [u] of users) {
    if (u.inputShape.some((d, i) => d !== shape[i])) throw new ProtocolError(what, `user '${u.modelId}' has input [${u.inputShape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const settings = protocolSettings(options.protocol);
  if (settings.dissimilarity === 'fine-mse' && query.some((v) => !(Math.abs(v) <= 1))) {
    throw new ProtocolError(what, `protocol ${settings.version} compares fine MSEs, whose range condition needs the query's values in [-1, 1] (as the reconstructors' tanh outputs)`);
  }
  const encoding = session.contexts[0].encoding;
  const imageShape = [1, ...shape];
  const x = share(encode(encoding, query, imageShape), options.random ?? new CryptoRandom());
  const threshold = options.threshold === undefined ? undefined : encodeScalar(encoding, options.threshold);
  const lockstep = users.every(([u]) => reconstructorSignature(u) === reconstructorSignature(users[0]![0]));

  const start = session.meter.report();
  const t0 = performance.now();
  const materials = (await session.run(async (ctx) => {
    const out: Map<string, QueryMaterial>[] = [];
    for (const user of users) out.push(await prepareReconstructor(ctx, user[ctx.party], lockstep ? '' : user[ctx.party].modelId));
    return out;
  })) as Materials;
  const tOffline = performance.now();
  const afterOffline = session.meter.report();
  await options.onlinePhase?.start();
  session.meter.markIdle(); // after the hook: the first round's compute time does not include it
  const t1 = performance.now();
  const cpu = process.cpuUsage();

  const errors = await userErrors(session, users, x, imageShape, materials, lockstep, options.validate, settings.version);
  const results = await session.run(async (ctx) => {
    const values = reshapeShare(concatShares(...errors[ctx.party]), [1, users.length]);
    const revealed = options.revealDissimilarities === true ? decodeDissimilarities(settings.version, encoding, x[0].size, await reveal(ctx, values, 'debug/dissimilarities')) : undefined;
    return { ...(await versionArgmin(ctx, values, settings.version, x[0].size, threshold)), revealed };
  });
  const t2 = performance.now();
  const cpuUsed = process.cpuUsage(cpu);
  await options.onlinePhase?.stop();
  const cost = costDiff(session.meter.report(), start);
  const [r0, r1] = results;
  if (r0.indices[0] !== r1.indices[0]) throw new ProtocolError(what, 'the parties revealed different indices');
  const debug = { rounds: 0, bytes: 0 };
  for (const [label, c] of Object.entries(cost.byLabel)) {
    if (!label.startsWith('debug/')) continue;
    debug.rounds += c.rounds;
    debug.bytes += c.bytes[0] + c.bytes[1];
  }
  return {
    index: r0.indices[0]!,
    belowThreshold: r0.belowThreshold?.[0],
    dissimilarities: r0.revealed === undefined ? undefined : Array.from(r0.revealed),
    cost,
    offlineCost: costDiff(afterOffline, start),
    rounds: cost.rounds - debug.rounds,
    bytes: cost.onlineBytesTotal - debug.bytes,
    offlineSeconds: (tOffline - t0) / 1000,
    onlineSeconds: (t2 - t1) / 1000,
    onlineCpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6,
  };
}

/**
 * Shares of every user's reconstruction MSE of the shared query `x`, as `[party][user]`. Users
 * whose reconstructors have the same layer sequence are evaluated in lockstep (`runLockstep`:
 * one round per protocol step for all of them, tags without the model id); if the sequences
 * differ the users run one after another.
 */
async function userErrors(
  session: InProcessSession,
  users: readonly EnrolledUser[],
  x: readonly [Share, Share],
  imageShape: readonly number[],
  materials: Materials,
  lockstep: boolean,
  validate: PrivatePredictOptions['validate'],
  protocol: ProtocolVersion,
): Promise<[Share[], Share[]]> {
  const encoding = session.contexts[0].encoding;
  const evaluateUser = async (ctx: PartyContext, user: number, tagPrefix: string): Promise<Share> => {
    const xi = x[ctx.party];
    const onStep =
      validate === undefined
        ? undefined
        : async (step: EnrolledStep, output: Share): Promise<void> => {
            const values = await reveal(ctx, output, `debug/${tagPrefix === '' ? '' : `${tagPrefix}/`}${step.name}`);
            if (ctx.party === 0) validate(user, step, decode(encoding, values));
          };
    const rec = reshapeShare(
      await evaluateReconstructor(ctx, users[user]![ctx.party], xi, { tagPrefix, materials: materials[ctx.party][user], protocol, ...(onStep === undefined ? {} : { onStep }) }),
      imageShape,
    );
    return versionDissimilarity(ctx, xi, rec, protocol, tagPrefix === '' ? 'mse' : `${tagPrefix}/mse`);
  };
  if (lockstep) return runLockstep(session, users.length, (ctx, lane) => evaluateUser(ctx, lane, ''));
  const [e0, e1] = await session.run(async (ctx) => {
    const errors: Share[] = [];
    for (const [j, user] of users.entries()) errors.push(await evaluateUser(ctx, j, user[ctx.party].modelId));
    return errors;
  });
  return [e0, e1];
}
