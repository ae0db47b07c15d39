import { ShapeError } from '../errors.js';

/**
 * How one reconstruction compares with the flattest possible one. A reconstructor that learned
 * only the background (the white page of handwriting, a plain wall behind faces) reconstructs
 * every query as a near-constant image: its error is then no smaller than that of the best
 * constant image (the query's own mean grey), and its output has almost no contrast.
 */
export interface ReconstructionContrast {
  /** Mean squared error between the query and its reconstruction (PrivEdge's dissimilarity). */
  readonly mse: number;
  /**
   * Mean squared error of the best constant image (every pixel at the query's mean): the query's
   * pixel variance. `mse / flatMse` below 1 means the reconstruction carries structure a flat
   * page cannot; at or above 1 it does no better than a flat page.
   */
  readonly flatMse: number;
  /** Standard deviation of the query's pixels. */
  readonly inputStd: number;
  /** Standard deviation of the reconstruction's pixels (near 0: a flat reconstruction). */
  readonly reconstructionStd: number;
}

/** Mean and population variance of `x`, in float64. */
function meanVariance(x: Float32Array): { mean: number; variance: number } {
  let sum = 0;
  for (const v of x) sum += v;
  const mean = sum / x.length;
  let squares = 0;
  for (const v of x) squares += (v - mean) * (v - mean);
  return { mean, variance: squares / x.length };
}

/**
 * {@link ReconstructionContrast} of each of `count` images: `inputs` and `reconstructions` hold
 * `count` images of `size` values each, image k at `[k * size, (k + 1) * size)`, in the same
 * scale (the models' [-1, 1]). Sums in float64.
 *
 * @throws ShapeError if `size` is not a positive integer, or either array is not `count * size` long.
 */
export function reconstructionContrast(inputs: Float32Array, reconstructions: Float32Array, size: number): ReconstructionContrast[] {
  if (!Number.isSafeInteger(size) || size <= 0) throw new ShapeError('reconstructionContrast', `image size must be a positive integer, got ${size}`);
  if (inputs.length % size !== 0 || reconstructions.length !== inputs.length) {
    throw new ShapeError('reconstructionContrast', `inputs (${inputs.length} values) and reconstructions (${reconstructions.length}) must both hold whole images of ${size} values`);
  }
  const out: ReconstructionContrast[] = [];
  for (let k = 0; k < inputs.length / size; k++) {
    const x = inputs.subarray(k * size, (k + 1) * size);
    const r = reconstructions.subarray(k * size, (k + 1) * size);
    let squared = 0;
    for (let j = 0; j < size; j++) squared += (r[j]! - x[j]!) * (r[j]! - x[j]!);
    const input = meanVariance(x);
    out.push({ mse: squared / size, flatMse: input.variance, inputStd: Math.sqrt(input.variance), reconstructionStd: Math.sqrt(meanVariance(r).variance) });
  }
  return out;
}

/** Per-user means of {@link ReconstructionContrast} over that user's own test images, and the two ratios. */
export interface UserReconstructionContrast {
  readonly images: number;
  readonly mse: number;
  readonly flatMse: number;
  /** `mse / flatMse` (of the means): below 1, better than a flat page. */
  readonly mseToFlat: number;
  readonly inputStd: number;
  readonly reconstructionStd: number;
  /** `reconstructionStd / inputStd` (of the means): the contrast the reconstruction keeps. */
  readonly stdRatio: number;
}

/** Averages one user's per-image contrasts (at least one) into {@link UserReconstructionContrast}. */
export function summariseContrast(images: readonly ReconstructionContrast[]): UserReconstructionContrast {
  if (images.length === 0) throw new ShapeError('summariseContrast', 'no images to summarise');
  const mean = (f: (c: ReconstructionContrast) => number): number => images.reduce((s, c) => s + f(c), 0) / images.length;
  const mse = mean((c) => c.mse);
  const flatMse = mean((c) => c.flatMse);
  const inputStd = mean((c) => c.inputStd);
  const reconstructionStd = mean((c) => c.reconstructionStd);
  return { images: images.length, mse, flatMse, mseToFlat: mse / flatMse, inputStd, reconstructionStd, stdRatio: reconstructionStd / inputStd };
}
