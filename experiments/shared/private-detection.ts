import type * as tf from '@tensorflow/tfjs';
import type { FixedPointBits } from '../../src/mpc-sim/encoding/fixed-point.js';
import { privatePredict } from '../../src/mpc-sim/private-reconstructor/private-predict.js';
import { enrolUsers, openPrivateSession } from '../../src/mpc-sim/private-reconstructor/private-session.js';

/** What the servers reveal for one private query with a threshold, and its cost. */
export interface PrivateThresholdResult {
  /** Index of the nearest user (smallest dissimilarity). */
  readonly index: number;
  /** The revealed bit [smallest dissimilarity < threshold]: declared private. */
  readonly belowThreshold: boolean;
  readonly rounds: number;
  /** Online bytes of both servers together. */
  readonly bytes: number;
  readonly onlineSeconds: number;
  readonly offlineSeconds: number;
}

/**
 * In one in-process two-party session (node:crypto dealer and shares): enrols every user's
 * reconstructor (loaded with `load`, in `users` order), then predicts each query privately with
 * the threshold bit revealed (`privatePredict(..., { threshold })`). Only the nearest user's
 * index and the bit leave the 2PC.
 */
export async function privateThresholdPredictions(
  users: readonly string[],
  load: (user: string) => Promise<tf.LayersModel>,
  queries: readonly Float32Array[],
  threshold: number,
  options: { fixedPointBits: FixedPointBits; tick?: () => void },
): Promise<PrivateThresholdResult[]> {
  const tick = options.tick ?? (() => {});
  const session = openPrivateSession(options.fixedPointBits);
  const { enrolled } = await enrolUsers(session, users, load, { tick });
  const out: PrivateThresholdResult[] = [];
  for (const query of queries) {
    const p = await privatePredict(session, enrolled, query, { threshold });
    out.push({ index: p.index, belowThreshold: p.belowThreshold === true, rounds: p.rounds, bytes: p.bytes, onlineSeconds: p.onlineSeconds, offlineSeconds: p.offlineSeconds });
    tick();
  }
  return out;
}
