import type * as tf from '@tensorflow/tfjs';
import type { InProcessSession } from '../parties/in-process.js';
import { enrolUser, privatePredict, type EnrolledUser } from './private-predict.js';
import { readReconstructorWeights } from './reconstructor.js';

/** One private query compared with its plaintext label. */
export interface FidelityQuery {
  readonly plaintext: string;
  readonly private: string;
  readonly agree: boolean;
  readonly rounds: number;
  /** Online bytes of both parties together. */
  readonly bytes: number;
  readonly seconds: number;
}

/** Per-query results and their summary. */
export interface FidelityResult {
  readonly queries: readonly FidelityQuery[];
  readonly summary: { readonly queries: number; readonly agree: number; readonly meanSeconds: number; readonly meanRounds: number; readonly meanBytes: number };
}

/**
 * Enrols every user's reconstructor (loaded with `load`, weights read, model disposed) into
 * `session` in `users` order, then runs {@link privatePredict} on each query and compares the
 * revealed user with `plaintext[q]`. `tick` is called after each enrolment and each query.
 */
export async function runPrivateFidelity(
  session: InProcessSession,
  users: readonly string[],
  load: (user: string) => Promise<tf.LayersModel>,
  queries: readonly Float32Array[],
  plaintext: readonly string[],
  tick: () => void = () => {},
): Promise<FidelityResult> {
  const enrolled: EnrolledUser[] = [];
  for (const user of users) {
    const model = await load(user);
    let description;
    try {
      description = readReconstructorWeights(model);
    } finally {
      model.dispose();
    }
    enrolled.push((await enrolUser(session, description, user)).user);
    tick();
  }
  const results: FidelityQuery[] = [];
  for (const [q, query] of queries.entries()) {
    const started = performance.now();
    const p = await privatePredict(session, enrolled, query);
    const seconds = (performance.now() - started) / 1000;
    const priv = users[p.index]!;
    const plain = plaintext[q]!;
    results.push({ plaintext: plain, private: priv, agree: priv === plain, rounds: p.rounds, bytes: p.bytes, seconds });
    tick();
  }
  const n = results.length;
  const mean = (f: (r: FidelityQuery) => number) => (n === 0 ? 0 : results.reduce((s, r) => s + f(r), 0) / n);
  return {
    queries: results,
    summary: { queries: n, agree: results.filter((r) => r.agree).length, meanSeconds: mean((r) => r.seconds), meanRounds: mean((r) => r.rounds), meanBytes: mean((r) => r.bytes) },
  };
}
