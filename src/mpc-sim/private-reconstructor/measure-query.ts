import * as tf from '@tensorflow/tfjs';
import { buildReconstructor } from '../../models/rec-adv/architecture.js';
import type { CostReport } from '../channel/cost-meter.js';
import { layerCosts, type LayerCost } from '../accounting/layers.js';
import { NETWORK_PROFILES, estimateSeconds } from '../accounting/network.js';
import type { Dealer } from '../dealer/dealer.js';
import { ReplayDealer } from '../dealer/replay-dealer.js';
import { CryptoDealer } from '../dealer/crypto-dealer.js';
import type { FixedPointBits, FixedPointEncoding } from '../encoding/fixed-point.js';
import { privatePredict, type EnrolledUser, type OnlinePhaseHooks } from './private-predict.js';
import { enrolUsers, openPrivateSession } from './private-session.js';
import type { ProtocolVersion } from '../protocols/versions.js';
import { SeededRandom } from '../ring/random.js';

/** What {@link measurePrivateQuery} measures. */
export interface QueryMeasurementOptions {
  /** Image height, width, channels. */
  readonly shape: readonly [number, number, number];
  /** Reconstructor base filters. */
  readonly gf: number;
  /** Number of enrolled users (reconstructors with different seeded weights). */
  readonly users: number;
  /** Fractional bits of the fixed-point encoding. */
  readonly fixedPointBits: FixedPointBits;
  /** Seed of the weights and the query (the dealer and the sharing use node:crypto). */
  readonly seed: number;
  /** Protocol version; default `v1`. */
  readonly protocol?: ProtocolVersion;
  /**
   * Also measures the same query another way on the same enrolled users and image (the bench
   * passes `measureThreadedQuery` of `deploy/`: the two servers in two threads); its result is
   * returned as `alternative`.
   */
  readonly alternative?: (setup: MeasuredSetup) => Promise<AlternativeMeasurement>;
  /** Hooks around the measured pass's online phase only (`privatePredict`'s `onlinePhase`; `bench:mpc --profile`). */
  readonly onlinePhase?: OnlinePhaseHooks;
}

/** What an alternative measurement of {@link QueryMeasurementOptions} is given. */
export interface MeasuredSetup {
  /** The dealer the users were enrolled with (it keeps their weight masks). */
  readonly dealer: Dealer;
  readonly encoding: FixedPointEncoding;
  readonly users: readonly EnrolledUser[];
  readonly query: Float32Array;
  readonly protocol: ProtocolVersion;
}

/** What an alternative measurement reports. */
export interface AlternativeMeasurement {
  readonly index: number;
  readonly onlineSeconds: number;
  /** CPU seconds of the process during the online phase. */
  readonly onlineCpuSeconds: number;
  readonly cost: CostReport;
}

/** Per-query figures of one measured configuration. */
export interface QueryMeasurement {
  readonly protocol: ProtocolVersion;
  readonly gf: number;
  readonly users: number;
  readonly parameters: number;
  /** Online phase wall time (both servers in this process; no dealer work). */
  readonly onlineSeconds: number;
  /** CPU seconds of the process during the online phase (all threads): divided by `onlineSeconds`, the cores kept busy. */
  readonly onlineCpuSeconds: number;
  /** Offline phase: the dealer's generation of all material plus the servers' conv preparation. */
  readonly offlineSeconds: number;
  readonly rounds: number;
  /** Online bytes sent by S0 and S1. */
  readonly onlineBytes: readonly [number, number];
  /** Dealer material received by S0 and S1. */
  readonly offlineBytes: readonly [number, number];
  /** Plaintext (TF.js) time of the same prediction: N reconstructions, N MSEs, argmin. */
  readonly plaintextSeconds: number;
  /** Estimated online seconds per network profile name. */
  readonly estimates: Readonly<Record<string, number>>;
  /** Enrolment of all users (once): seconds and online bytes. */
  readonly enrolSeconds: number;
  readonly enrolBytes: number;
  /** Per-layer breakdown of the measured query. */
  readonly layers: readonly LayerCost[];
  /** The plaintext argmin (TF.js). */
  readonly plaintextIndex: number;
  /** The private prediction equals the plaintext argmin (random weights: a sanity check). */
  readonly agrees: boolean;
  /** The alternative measurement, when one was asked for. */
  readonly alternative?: AlternativeMeasurement;
}

/**
 * Measures one private query for `users` seeded, untrained reconstructors of width `gf` (costs do
 * not depend on the weights' values). Two passes through the same protocol: a recording pass on a
 * zero image generates every piece of dealer material (timed: the dealer's share of the offline
 * phase), then the measured pass on a seeded random image replays it, so its online time has no
 * generation in it; its offline phase (each server's conv preparation) is added to the offline
 * time. The plaintext time is TF.js `predict` of every reconstructor on the same image, MSE and
 * argmin, after one warm-up.
 */
export async function measurePrivateQuery(options: QueryMeasurementOptions): Promise<QueryMeasurement> {
  const [height, width, channels] = options.shape;
  const dealer = new ReplayDealer(new CryptoDealer());
  // enrolment's material is used once and never replayed: not kept (it would hold the weight
  // masks and, with protocol v4's gamma folds, a triple and a truncation pair per weight)
  dealer.mode = 'generate';
  const session = openPrivateSession(options.fixedPointBits, dealer);
  const names = Array.from({ length: options.users }, (_, u) => `user${u}`);
  const build = (_: string, u: number) => buildReconstructor({ height, width, channels, gf: options.gf, df: options.gf }, options.seed * 1000 + u * 17);
  const { enrolled, models, seconds: enrolSeconds, bytes: enrolBytes } = await enrolUsers(session, names, build, { keepModels: true, protocol: options.protocol ?? 'v1' });
  try {
    const random = new SeededRandom(`bench-query:${options.seed}`, { insecureDeterministic: true });
    const words = new BigUint64Array(height * width * channels);
    random.fill(words);
    const query = Float32Array.from(words, (w) => Number(w >> 11n) / 2 ** 52 - 1);

    dealer.mode = 'record';
    dealer.generationSeconds = 0;
    await privatePredict(session, enrolled, new Float32Array(query.length), { protocol: options.protocol ?? 'v1' });
    const generation = dealer.generationSeconds;
    dealer.mode = 'replay';
    const p = await privatePredict(session, enrolled, query, { protocol: options.protocol ?? 'v1', ...(options.onlinePhase === undefined ? {} : { onlinePhase: options.onlinePhase }) });

    const plain = plaintextPrediction(models, query, options.shape);
    dealer.mode = 'generate';
    const alternative = options.alternative === undefined ? undefined : await options.alternative({ dealer, encoding: session.contexts[0].encoding, users: enrolled, query, protocol: options.protocol ?? 'v1' });
    const cost: CostReport = p.cost;
    const estimates: Record<string, number> = {};
    for (const profile of NETWORK_PROFILES) estimates[profile.name] = estimateSeconds({ computeSeconds: p.onlineSeconds, rounds: cost.rounds, bytes: cost.onlineBytes }, profile);
    return {
      protocol: options.protocol ?? 'v1',
      gf: options.gf,
      users: options.users,
      parameters: models[0]!.countParams(),
      onlineSeconds: p.onlineSeconds,
      onlineCpuSeconds: p.onlineCpuSeconds,
      offlineSeconds: generation + p.offlineSeconds,
      rounds: cost.rounds,
      onlineBytes: cost.onlineBytes,
      offlineBytes: cost.offlineBytes,
      plaintextSeconds: plain.seconds,
      estimates,
      enrolSeconds,
      enrolBytes,
      layers: layerCosts(cost, enrolled[0]![0].steps.map((s) => s.name)),
      plaintextIndex: plain.index,
      agrees: plain.index === p.index,
      ...(alternative === undefined ? {} : { alternative }),
    };
  } finally {
    for (const m of models) m.dispose();
  }
}

/** TF.js: every model's reconstruction of `query`, its MSE, argmin; timed after one warm-up. */
function plaintextPrediction(models: readonly tf.LayersModel[], query: Float32Array, shape: readonly [number, number, number]): { index: number; seconds: number } {
  const run = (): number[] =>
    tf.tidy(() => {
      const x = tf.tensor4d(query, [1, ...shape]);
      return models.map((m) => tf.mean(tf.squaredDifference(m.predict(x) as tf.Tensor, x)).dataSync()[0]!);
    });
  run();
  const t = performance.now();
  const errors = run();
  const seconds = (performance.now() - t) / 1000;
  let index = 0;
  for (let j = 1; j < errors.length; j++) if (errors[j]! < errors[index]!) index = j;
  return { index, seconds };
}
