import { ProtocolError } from '../../errors.js';
import { costDiff, type CostReport } from '../channel/cost-meter.js';
import { encode, encodeScalar } from '../encoding/fixed-point.js';
import type { InProcessSession } from '../parties/in-process.js';
import { runLockstep } from '../parties/lockstep.js';
import { argmin, mse } from '../protocols/argmin.js';
import { concatShares } from '../protocols/shared-vector.js';
import { CryptoRandom, type RingRandom } from '../ring/random.js';
import { reshapeShare } from '../sharing/linear.js';
import { share, type Share } from '../sharing/share.js';
import { enrolReconstructor, evaluateReconstructor, reconstructorSignature, shareReconstructor, type EnrolReconstructorOptions, type EnrolledReconstructor, type ReconstructorDescription } from './reconstructor.js';

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
}

/** What one private prediction reveals, and what it cost. */
export interface PrivatePrediction {
  /** Index (into the enrolled users) of the smallest reconstruction MSE (lowest on ties). */
  readonly index: number;
  /** [min MSE < threshold], when a threshold was given. */
  readonly belowThreshold: boolean | undefined;
  /** The cost of this query: online rounds and bytes, offline dealer bytes, per label. */
  readonly cost: CostReport;
  /** Shortcuts into `cost`: online rounds and online bytes of both parties together. */
  readonly rounds: number;
  readonly bytes: number;
}

/**
 * Shares of every user's reconstruction MSE of the shared query `x`, as `[party][user]`. Users
 * whose reconstructors have the same layer sequence are evaluated in lockstep (`runLockstep`:
 * one round per protocol step for all of them, tags without the model id); if the sequences
 * differ the users run one after another.
 */
async function userErrors(session: InProcessSession, users: readonly EnrolledUser[], x: readonly [Share, Share], imageShape: readonly number[]): Promise<[Share[], Share[]]> {
  const signature = reconstructorSignature(users[0]![0]);
  if (users.every(([u]) => reconstructorSignature(u) === signature)) {
    return runLockstep(session, users.length, async (ctx, lane) => {
      const xi = x[ctx.party];
      const rec = reshapeShare(await evaluateReconstructor(ctx, users[lane]![ctx.party], xi, { tagPrefix: '' }), imageShape);
      return mse(ctx, xi, rec, 'mse');
    });
  }
  const [e0, e1] = await session.run(async (ctx) => {
    const xi = x[ctx.party];
    const errors: Share[] = [];
    for (const user of users) {
      const enrolled = user[ctx.party];
      const rec = reshapeShare(await evaluateReconstructor(ctx, enrolled, xi), imageShape);
      errors.push(await mse(ctx, xi, rec, `${enrolled.modelId}/mse`));
    }
    return errors;
  });
  return [e0, e1];
}

/**
 * One private query: the client shares the image (`[H, W, C]` of the enrolled input shape,
 * flattened, values in the encodable range), the servers evaluate every user's reconstructor
 * on it ({@link evaluateReconstructor}, all users in lockstep when their layer sequences agree),
 * compute each MSE, assemble
 * the shared [1, N] vector and run `argmin` (with the optional threshold bit). Only the index
 * (and the bit) is revealed.
 *
 * Cost: in lockstep, the rounds of ONE reconstructor evaluation and one `mse` (3 rounds) plus
 * argmin (6 ceil(log2 N) + 1 rounds, + 5 with a threshold), the bytes of all N; measured on the
 * session's meter.
 * @throws ProtocolError if no user is enrolled or the users' input shapes differ from the query.
 */
export async function privatePredict(session: InProcessSession, users: readonly EnrolledUser[], query: Float32Array, options: PrivatePredictOptions = {}): Promise<PrivatePrediction> {
  const what = 'privatePredict';
  if (users.length === 0) throw new ProtocolError(what, 'no enrolled users');
  const shape = users[0]![0].inputShape;
  for (const [u] of users) {
    if (u.inputShape.some((d, i) => d !== shape[i])) throw new ProtocolError(what, `user '${u.modelId}' has input [${u.inputShape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const encoding = session.contexts[0].encoding;
  const imageShape = [1, ...shape];
  const x = share(encode(encoding, query, imageShape), options.random ?? new CryptoRandom());
  const threshold = options.threshold === undefined ? undefined : encodeScalar(encoding, options.threshold);

  const before = session.meter.report();
  const errors = await userErrors(session, users, x, imageShape);
  const results = await session.run((ctx) => {
    const values = reshapeShare(concatShares(...errors[ctx.party]), [1, users.length]);
    return argmin(ctx, values, threshold === undefined ? {} : { threshold });
  });
  const cost = costDiff(session.meter.report(), before);
  const [r0, r1] = results;
  if (r0.indices[0] !== r1.indices[0]) throw new ProtocolError(what, 'the parties revealed different indices');
  return {
    index: r0.indices[0]!,
    belowThreshold: r0.belowThreshold?.[0],
    cost,
    rounds: cost.rounds,
    bytes: cost.onlineBytesTotal,
  };
}
