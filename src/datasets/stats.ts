import type { DecodedImages } from './types.js';

/** Per-channel pixel statistics of a set of images, in the model's [-1, 1] range. */
export interface PixelStats {
  readonly images: number;
  readonly channel: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

/** Mean, (population) standard deviation, min and max per channel over the images at `indices`, after x/127.5 - 1. */
export function pixelStats(images: DecodedImages, indices: readonly number[]): PixelStats[] {
  const c = images.channels;
  const size = images.width * images.height * c;
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const min = new Array<number>(c).fill(255);
  const max = new Array<number>(c).fill(0);
  for (const index of indices) {
    const base = index * size;
    for (let j = 0; j < size; j++) {
      const v = images.pixels[base + j]!;
      const k = j % c;
      sum[k]! += v;
      sumSq[k]! += v * v;
      if (v < min[k]!) min[k] = v;
      if (v > max[k]!) max[k] = v;
    }
  }
  const n = (indices.length * size) / c;
  return Array.from({ length: c }, (_, k) => {
    const mean = n > 0 ? sum[k]! / n : Number.NaN;
    const variance = n > 0 ? Math.max(0, sumSq[k]! / n - mean * mean) : Number.NaN;
    return {
      images: indices.length,
      channel: k,
      mean: mean / 127.5 - 1,
      std: Math.sqrt(variance) / 127.5,
      min: n > 0 ? min[k]! / 127.5 - 1 : Number.NaN,
      max: n > 0 ? max[k]! / 127.5 - 1 : Number.NaN,
    };
  });
}
