import { RunError } from '../errors.js';
import { agreementPercent, type FidelityRow } from '../mpc-sim/private-reconstructor/fidelity-rows.js';
import { plaintextMargin } from '../mpc-sim/private-reconstructor/fidelity.js';
import { argminRows } from '../models/rec-adv/argmin.js';
import type { Row } from '../report/csv.js';

/*
 * The float64 reference of a fidelity run. The run's plaintext labels come from TF.js in float32,
 * whose own rounding moves a dissimilarity by about 1e-7 to 1.5e-6 on the letters models (the
 * InstanceNorms amplify it as they amplify fixed-point error): two users closer than that are
 * ordered by float32 noise, not by the model. `predict-private --float64-reference` evaluates the
 * picked test images with every user's model in float64 (`mseFloat64`) into
 * `dissimilarity.float64.csv`; every fidelity summary then also compares the private labels with
 * the float64 ones.
 */

/** The float64 reference file of an identification run (beside its `dissimilarity.csv`). */
export const FLOAT64_DISSIMILARITY_FILE = 'dissimilarity.float64.csv';

/** Its columns: the float64 MSE and, for comparison, the run's float32 one. */
export const FLOAT64_COLUMNS = ['image', 'trueUser', 'user', 'mse', 'float32Mse'] as const;

/** The float64 verdict on one test image. */
export interface Float64Label {
  /** The user of the smallest float64 dissimilarity (the first in user order on a tie). */
  readonly label: string;
  /** Second smallest minus smallest float64 dissimilarity (undefined with one user). */
  readonly margin: number | undefined;
  /** Max over users of |float32 - float64| dissimilarity. */
  readonly float32Error: number;
}

/** The rows of {@link FLOAT64_DISSIMILARITY_FILE} for `ids` (per image, one row per user, in `users` order). */
export function float64Rows(ids: readonly string[], trueLabels: readonly string[], users: readonly string[], float64: readonly (readonly number[])[], float32: readonly (readonly number[])[]): Row[] {
  return ids.flatMap((image, k) => users.map((user, j) => ({ image, trueUser: trueLabels[k]!, user, mse: float64[k]![j]!, float32Mse: float32[k]![j]! })));
}

/** `earlier` rows (an existing reference file) with every image of `fresh` replaced by its fresh rows. */
export function mergeFloat64Rows(earlier: readonly Row[], fresh: readonly Row[]): Row[] {
  const replaced = new Set(fresh.map((r) => String(r['image'])));
  return [...earlier.filter((r) => !replaced.has(String(r['image']))), ...fresh];
}

/**
 * The float64 label, margin and float32 error of every image in reference rows read from `path`
 * (users in the order of the file's first image, as {@link float64Rows} writes them).
 * @throws RunError naming `path` if an image's users differ from the first image's, or a value is
 *   not a finite number.
 */
export function float64Labels(rows: readonly Row[], path: string): Map<string, Float64Label> {
  const byImage = new Map<string, Map<string, [number, number]>>();
  for (const row of rows) {
    const image = String(row['image']);
    const mse = row['mse'];
    const f32 = row['float32Mse'];
    if (typeof mse !== 'number' || !Number.isFinite(mse) || typeof f32 !== 'number' || !Number.isFinite(f32)) {
      throw new RunError(path, `test image '${image}', user '${String(row['user'])}': mse and float32Mse must be finite numbers`);
    }
    let m = byImage.get(image);
    if (m === undefined) byImage.set(image, (m = new Map()));
    m.set(String(row['user']), [mse, f32]);
  }
  const first = byImage.values().next().value;
  const users = first === undefined ? [] : [...first.keys()];
  const labels = new Map<string, Float64Label>();
  for (const [image, m] of byImage) {
    if (m.size !== users.length || users.some((u) => !m.has(u))) {
      throw new RunError(path, `test image '${image}' has dissimilarities for users [${[...m.keys()].join(', ')}], the first image for [${users.join(', ')}]`);
    }
    const values = users.map((u) => m.get(u)!);
    const f64 = values.map((v) => v[0]);
    const best = argminRows(Float64Array.from(f64), 1, f64.length)[0]!; // the identification experiment's rule: ties to the first user
    labels.set(image, { label: users[best]!, margin: plaintextMargin(f64), float32Error: Math.max(...values.map(([a, b]) => Math.abs(a - b))) });
  }
  return labels;
}

/** A fidelity run's rows compared with the float64 reference. */
export interface Float64Comparison {
  readonly queries: number;
  /** Queries with a float64 reference. */
  readonly referenced: number;
  /** Among those: private label = float64 label. */
  readonly privateAgree: number;
  /** Among those: the run's float32 (TF.js) label = float64 label. */
  readonly float32Agree: number;
  /** Max |float32 - float64| dissimilarity over the referenced queries and all users. */
  readonly maxFloat32Error: number;
  /** Smallest float32 margin among the queries without a reference (undefined if every query has one). */
  readonly unreferencedSmallestMargin: number | undefined;
  /** Every query: private label = float64 label where referenced, = float32 label otherwise. */
  readonly agree: number;
  /** Referenced queries whose private label differs from the float64 one, with that label. */
  readonly disagreements: readonly { readonly row: FidelityRow; readonly reference: Float64Label }[];
}

/** Compares fidelity `rows` (as `summarizeFidelityRows` reads them) with the float64 `reference` labels. */
export function compareWithFloat64(rows: readonly FidelityRow[], reference: ReadonlyMap<string, Float64Label>): Float64Comparison {
  let referenced = 0;
  let privateAgree = 0;
  let float32Agree = 0;
  let maxFloat32Error = 0;
  let agree = 0;
  let unreferencedSmallestMargin: number | undefined;
  const disagreements: { row: FidelityRow; reference: Float64Label }[] = [];
  for (const row of rows) {
    const ref = reference.get(String(row.image));
    if (ref === undefined) {
      if (row.agree === true) agree++;
      const m = row.plaintextMargin;
      if (typeof m === 'number' && (unreferencedSmallestMargin === undefined || m < unreferencedSmallestMargin)) unreferencedSmallestMargin = m;
      continue;
    }
    referenced++;
    maxFloat32Error = Math.max(maxFloat32Error, ref.float32Error);
    if (String(row.plaintextPredicted) === ref.label) float32Agree++;
    if (String(row.privatePredicted) === ref.label) {
      privateAgree++;
      agree++;
    } else {
      disagreements.push({ row, reference: ref });
    }
  }
  return { queries: rows.length, referenced, privateAgree, float32Agree, maxFloat32Error, unreferencedSmallestMargin, agree, disagreements };
}

/** The lines a fidelity summary adds for {@link compareWithFloat64}'s result. */
export function float64SummaryLines(c: Float64Comparison): string[] {
  if (c.referenced === 0) return [`float64 reference (${FLOAT64_DISSIMILARITY_FILE}): none of these ${c.queries} queries`];
  const lines = [
    `against the float64 model (${FLOAT64_DISSIMILARITY_FILE}, ${c.referenced} of ${c.queries} queries): private labels equal the float64 labels for ${c.privateAgree} of ${c.referenced}; ` +
      `the run's float32 (TF.js) labels equal them for ${c.float32Agree} of ${c.referenced}; largest |float32 - float64| dissimilarity ${c.maxFloat32Error.toExponential(2)}`,
  ];
  if (c.unreferencedSmallestMargin !== undefined) {
    const times = c.maxFloat32Error > 0 ? ` (${(c.unreferencedSmallestMargin / (2 * c.maxFloat32Error)).toFixed(0)} x twice that error)` : '';
    lines.push(
      `the other ${c.queries - c.referenced} queries keep their float32 label as reference: their smallest float32 margin is ${c.unreferencedSmallestMargin.toExponential(2)}${times}`,
    );
  }
  lines.push(`private labels equal the reference labels (float64 where computed, float32 elsewhere) for ${c.agree} of ${c.queries} queries (${agreementPercent(c.agree, c.queries)} %)`);
  for (const { row, reference } of c.disagreements) {
    lines.push(
      `  disagreement with float64 on ${String(row.image)}: float64 ${reference.label} (margin ${reference.margin?.toExponential(2) ?? 'n/a'}), private ${String(row.privatePredicted)}, float32 ${String(row.plaintextPredicted)}`,
    );
  }
  return lines;
}
