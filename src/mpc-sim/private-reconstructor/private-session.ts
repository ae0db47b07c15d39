import type * as tf from '@tensorflow/tfjs';
import type { Dealer } from '../dealer/dealer.js';
import { CryptoDealer } from '../dealer/crypto-dealer.js';
import { fixedPointEncoding, type FixedPointBits } from '../encoding/fixed-point.js';
import { createInProcessSession, type InProcessSession } from '../parties/in-process.js';
import { enrolUser, type EnrolledUser } from './private-predict.js';
import { readReconstructorWeights } from './reconstructor.js';
import { protocolSettings, type ProtocolVersion } from '../protocols/versions.js';

/**
 * The two-party session every private prediction of the harness runs in (`predict-private`,
 * `identification` with `mode: private`, `detection` with private queries, `mpc-cost`): both
 * servers in this process, at the `fixedPointBits` preset, with a node:crypto dealer unless
 * another `dealer` is given (`mpc-cost` wraps it in a recording/replaying one).
 */
export function openPrivateSession(fixedPointBits: FixedPointBits, dealer: Dealer = new CryptoDealer()): InProcessSession {
  return createInProcessSession({ encoding: fixedPointEncoding(fixedPointBits), dealer });
}

/** Options of {@link enrolUsers}. */
export interface EnrolUsersOptions {
  /** Keep the loaded models (returned in `models`, the caller disposes them) instead of disposing each after enrolment. */
  readonly keepModels?: boolean;
  /** Called after each user's enrolment (awaited). */
  readonly tick?: () => void | Promise<void>;
  /** The protocol the users will be queried with: v3 folds norms into convs at enrolment; default `v1`. */
  readonly protocol?: ProtocolVersion;
}

/** What {@link enrolUsers} returns. */
export interface EnrolledUsers {
  /** Both servers' state of each user, in `users` order. */
  readonly enrolled: readonly EnrolledUser[];
  /** With `keepModels`: the loaded models in `users` order; otherwise empty (all disposed). */
  readonly models: readonly tf.LayersModel[];
  /** Wall time of the enrolments alone (loading excluded). */
  readonly seconds: number;
  /** Online bytes of all enrolments, both parties together. */
  readonly bytes: number;
}

/**
 * Enrols every user's reconstructor into `session` in `users` order: loads the model
 * (`load(user, index)`), reads its weights, shares and enrols them, then disposes the model
 * (unless `keepModels`). If anything fails, every model loaded so far is disposed before the
 * error propagates.
 */
export async function enrolUsers(
  session: InProcessSession,
  users: readonly string[],
  load: (user: string, index: number) => Promise<tf.LayersModel> | tf.LayersModel,
  options: EnrolUsersOptions = {},
): Promise<EnrolledUsers> {
  const enrolled: EnrolledUser[] = [];
  const models: tf.LayersModel[] = [];
  let seconds = 0;
  let bytes = 0;
  try {
    for (const [index, user] of users.entries()) {
      const model = await load(user, index);
      try {
        const start = performance.now();
        const { user: both, cost } = await enrolUser(session, readReconstructorWeights(model), user, protocolSettings(options.protocol).enrolment);
        seconds += (performance.now() - start) / 1000;
        bytes += cost.onlineBytesTotal;
        enrolled.push(both);
      } finally {
        if (options.keepModels === true) models.push(model);
        else model.dispose();
      }
      await options.tick?.();
    }
  } catch (error) {
    for (const m of models) m.dispose();
    throw error;
  }
  return { enrolled, models, seconds, bytes };
}
