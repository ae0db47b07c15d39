import * as tf from '@tensorflow/tfjs';
import type { CostReport } from '../channel/cost-meter.js';
import { costDiff } from '../channel/cost-meter.js';
import { layerCosts, type LayerCost } from '../accounting/layers.js';
import { fixedPointEncoding, type FixedPointBits } from '../encoding/fixed-point.js';
import { privatePredict } from './private-predict.js';
import { enrolUsers, openPrivateSession } from './private-session.js';
import type { ProtocolVersion } from '../protocols/versions.js';
import { stepOutputScale, type EnrolledStep } from './reconstructor.js';

/** A dissimilarity error above this is not precision loss but a failed (wrapped) truncation or overflow. */
export const GARBAGE_ERROR = 0.01;

/** One private query compared with the plaintext prediction. */
export interface FidelityQuery {
  readonly plaintext: string;
  readonly private: string;
  readonly agree: boolean;
  /** Plaintext margin: second smallest minus smallest dissimilarity (when given). */
  readonly margin: number | undefined;
  /** Max over users of |private - plaintext| dissimilarity (when plaintext values are given). */
  readonly maxDissimilarityError: number | undefined;
  readonly rounds: number;
  /** Online bytes of both parties together. */
  readonly bytes: number;
  readonly onlineSeconds: number;
  readonly offlineSeconds: number;
}

/** Per-step validation: the largest |private - plaintext| over users and queries. */
export interface StepError {
  readonly step: string;
  readonly maxAbsError: number;
  /** Largest |plaintext| value of the step, for scale. */
  readonly maxAbsValue: number;
}

/** Per-query results (summarise them with `summarizeFidelityRows` of `fidelity-rows.ts`). */
export interface FidelityResult {
  readonly queries: readonly FidelityQuery[];
  /** Mean cost per query per layer. */
  readonly layers: readonly LayerCost[];
  /** With `validate`: per-step errors, in evaluation order. */
  readonly validation: readonly StepError[] | undefined;
}

/** Options of {@link runPrivateFidelity}. */
export interface FidelityOptions {
  /** Plaintext dissimilarities per query, in `users` order: reveals the private ones to compare (debug). */
  readonly plaintextDissimilarities?: readonly (readonly number[])[];
  /** Reveal every step's output of every user and compare with the plaintext layers (debug). */
  readonly validate?: boolean;
  /** Called after each enrolment, and after each query with its result (awaited, e.g. to record it). */
  readonly tick?: (query?: FidelityQuery) => void | Promise<void>;
  /** Protocol version (`protocols/versions.ts`); default `v1`. */
  readonly protocol?: ProtocolVersion;
}

/**
 * In a fresh {@link openPrivateSession} at `fixedPointBits`: enrols every user's reconstructor
 * (loaded with `load`, weights read, see {@link enrolUsers}) in `users` order, then runs {@link privatePredict} on each query and compares the revealed user
 * with `plaintext[q]`. With `plaintextDissimilarities` the N private dissimilarities are revealed
 * too (a debug reveal, counted in the cost) and their error reported; with `validate` every
 * intermediate step is revealed and compared with the same layer of the TF.js model.
 */
export async function runPrivateFidelity(
  fixedPointBits: FixedPointBits,
  users: readonly string[],
  load: (user: string) => Promise<tf.LayersModel>,
  queries: readonly Float32Array[],
  plaintext: readonly string[],
  options: FidelityOptions = {},
): Promise<FidelityResult> {
  const tick = options.tick ?? (() => {});
  const session = openPrivateSession(fixedPointBits);
  const encoding = fixedPointEncoding(fixedPointBits);
  const { enrolled, models } = await enrolUsers(session, users, load, { keepModels: options.validate === true, tick: () => tick(), ...(options.protocol === undefined ? {} : { protocol: options.protocol }) });
  try {
    const steps = enrolled[0]![0].steps.map((s) => s.name);
    const errors = new Map<string, { err: number; max: number }>();
    const results: FidelityQuery[] = [];
    let total: CostReport | undefined;
    for (const [q, query] of queries.entries()) {
      const layers = options.validate === true ? models.map((m) => plaintextLayers(m, query)) : undefined;
      const validate =
        layers === undefined
          ? undefined
          : (user: number, step: EnrolledStep, values: Float64Array): void => {
              const want = layers[user]!.get(step.name);
              if (want === undefined) return;
              const e = errors.get(step.name) ?? { err: 0, max: 0 };
              // a scaled LeakyReLU (protocol v4) outputs `scale` times the layer's values, a step
              // whose truncation the next one does (v5) 2^t times
              const scale = stepOutputScale(step, encoding);
              for (let i = 0; i < values.length; i++) {
                e.err = Math.max(e.err, Math.abs(values[i]! / scale - want[i]!));
                e.max = Math.max(e.max, Math.abs(want[i]!));
              }
              errors.set(step.name, e);
            };
      const before = session.meter.report();
      const p = await privatePredict(session, enrolled, query, {
        ...(options.plaintextDissimilarities === undefined ? {} : { revealDissimilarities: true }),
        ...(validate === undefined ? {} : { validate }),
        ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
      });
      const cost = costDiff(session.meter.report(), before);
      total = total === undefined ? cost : sumCosts(total, cost);
      const plain = options.plaintextDissimilarities?.[q];
      let margin: number | undefined;
      let maxErr: number | undefined;
      if (plain !== undefined && p.dissimilarities !== undefined) {
        margin = plaintextMargin(plain);
        maxErr = Math.max(...plain.map((v, j) => Math.abs(v - p.dissimilarities![j]!)));
      }
      const priv = users[p.index]!;
      const row: FidelityQuery = {
        plaintext: plaintext[q]!,
        private: priv,
        agree: priv === plaintext[q],
        margin,
        maxDissimilarityError: maxErr,
        rounds: p.rounds,
        bytes: p.bytes,
        onlineSeconds: p.onlineSeconds,
        offlineSeconds: p.offlineSeconds,
      };
      results.push(row);
      await tick(row);
    }
    const n = results.length;
    const layerTotals = total === undefined ? [] : layerCosts(total, [...steps, 'mse', 'argmin']);
    return {
      queries: results,
      layers: layerTotals.map((l) => ({
        ...l,
        rounds: l.rounds / n,
        onlineBytes: [l.onlineBytes[0] / n, l.onlineBytes[1] / n],
        offlineBytes: [l.offlineBytes[0] / n, l.offlineBytes[1] / n],
        seconds: l.seconds / n,
      })),
      validation: options.validate === true ? steps.filter((s) => errors.has(s)).map((s) => ({ step: s, maxAbsError: errors.get(s)!.err, maxAbsValue: errors.get(s)!.max })) : undefined,
    };
  } finally {
    for (const m of models) m.dispose();
  }
}

/**
 * Every layer's output of `model` on one image, keyed by the step names of
 * `readReconstructorWeights` that produce the same values: a layer's output is the output of
 * its step (`name`), or of its fused activation step (`name/relu`, `name/tanh`) if it has one.
 */
function plaintextLayers(model: tf.LayersModel, image: Float32Array): Map<string, Float32Array> {
  const layers = model.layers.slice(1);
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tf.SymbolicTensor) });
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  const outputs = tf.tidy(() => {
    const out = probe.predict(tf.tensor(image, [1, ...shape])) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
  const map = new Map<string, Float32Array>();
  layers.forEach((l, i) => {
    const activation = (l.getConfig() as { activation?: unknown }).activation;
    const name = typeof activation === 'string' && activation !== 'linear' ? `${l.name}/${activation}` : l.name;
    map.set(name, outputs[i]!);
  });
  return map;
}

function sumCosts(a: CostReport, b: CostReport): CostReport {
  const byLabel: Record<string, { rounds: number; bytes: readonly [number, number] }> = { ...a.byLabel };
  for (const [k, v] of Object.entries(b.byLabel)) {
    const x = byLabel[k];
    byLabel[k] = x === undefined ? v : { rounds: x.rounds + v.rounds, bytes: [x.bytes[0] + v.bytes[0], x.bytes[1] + v.bytes[1]] };
  }
  const offlineByLabel: Record<string, readonly [number, number]> = { ...a.offlineByLabel };
  for (const [k, v] of Object.entries(b.offlineByLabel)) {
    const x = offlineByLabel[k];
    offlineByLabel[k] = x === undefined ? v : [x[0] + v[0], x[1] + v[1]];
  }
  const secondsByLabel: Record<string, number> = { ...a.secondsByLabel };
  for (const [k, v] of Object.entries(b.secondsByLabel)) secondsByLabel[k] = (secondsByLabel[k] ?? 0) + v;
  const add = (x: readonly [number, number], y: readonly [number, number]) => [x[0] + y[0], x[1] + y[1]] as const;
  return {
    onlineBytes: add(a.onlineBytes, b.onlineBytes),
    onlineBytesTotal: a.onlineBytesTotal + b.onlineBytesTotal,
    rounds: a.rounds + b.rounds,
    reveals: a.reveals + b.reveals,
    revealedElements: a.revealedElements + b.revealedElements,
    offlineBytes: add(a.offlineBytes, b.offlineBytes),
    offlineBytesTotal: a.offlineBytesTotal + b.offlineBytesTotal,
    byLabel,
    offlineByLabel,
    secondsByLabel,
  };
}

/**
 * The plaintext margin of one query: its second smallest minus its smallest dissimilarity (how
 * far the argmin is from changing), or undefined with fewer than two users.
 */
export function plaintextMargin(dissimilarities: readonly number[]): number | undefined {
  if (dissimilarities.length < 2) return undefined;
  let first = Infinity;
  let second = Infinity;
  for (const v of dissimilarities) {
    if (v < first) [first, second] = [v, first];
    else if (v < second) second = v;
  }
  return second - first;
}

/** Indices of K of T items: the first K, or K spread evenly over all T (deterministic). */
export function pickQueries(total: number, k: number, order: 'spread' | 'first'): number[] {
  const n = Math.min(k, total);
  if (order === 'first' || n === total) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor((i * total) / n));
}

/** Columns of {@link fidelityRows}. */
export const FIDELITY_COLUMNS = [
  'image',
  'trueUser',
  'plaintextPredicted',
  'privatePredicted',
  'agree',
  'plaintextMargin',
  'maxDissimilarityError',
  'rounds',
  'onlineBytes',
  'onlineSeconds',
  'offlineSeconds',
] as const;

/** One row of `private_predictions.csv`: query `r` on test image `image` of user `trueUser`. */
export function fidelityRow(r: FidelityQuery, image: string, trueUser: string): Record<(typeof FIDELITY_COLUMNS)[number], string | number | boolean> {
  return {
    image,
    trueUser,
    plaintextPredicted: r.plaintext,
    privatePredicted: r.private,
    agree: r.agree,
    plaintextMargin: r.margin ?? '',
    maxDissimilarityError: r.maxDissimilarityError ?? '',
    rounds: r.rounds,
    onlineBytes: r.bytes,
    onlineSeconds: r.onlineSeconds,
    offlineSeconds: r.offlineSeconds,
  };
}

/** One row per query of a fidelity run (`private_predictions.csv`). */
export function fidelityRows(result: FidelityResult, images: readonly string[], trueUsers: readonly string[]): Record<(typeof FIDELITY_COLUMNS)[number], string | number | boolean>[] {
  return result.queries.map((r, q) => fidelityRow(r, images[q]!, trueUsers[q]!));
}

/** Columns of {@link layerRows}. */
export const LAYER_COLUMNS = ['layer', 'rounds', 'onlineBytesS0', 'onlineBytesS1', 'offlineBytesS0', 'offlineBytesS1', 'seconds'] as const;

/** Mean per-query cost per layer (`private_cost_layers.csv`). */
export function layerRows(result: FidelityResult): Record<(typeof LAYER_COLUMNS)[number], string | number>[] {
  return result.layers.map((l) => ({
    layer: l.layer,
    rounds: l.rounds,
    onlineBytesS0: l.onlineBytes[0],
    onlineBytesS1: l.onlineBytes[1],
    offlineBytesS0: l.offlineBytes[0],
    offlineBytesS1: l.offlineBytes[1],
    seconds: l.seconds,
  }));
}
