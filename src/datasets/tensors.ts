import { ShapeError } from '../errors.js';
import type { DecodedImages } from './types.js';

/** Float NHWC images in [-1, 1] with their shape. */
export interface FloatImages {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number, number];
}

/** The paper's pixel scaling: x / 127.5 - 1, mapping 0..255 to [-1, 1]. */
export function toUnitRange(value: number): number {
  return value / 127.5 - 1;
}

/** The inverse of {@link toUnitRange} for pictures: (v + 1) * 127.5, rounded and clamped to 0..255. */
export function toPixelByte(value: number): number {
  return Math.max(0, Math.min(255, Math.round((value + 1) * 127.5)));
}

/** Copies the images at `indices` as float32 NHWC in [-1, 1] (`x / 127.5 - 1`). */
export function toFloatImages(images: DecodedImages, indices: readonly number[]): FloatImages {
  const size = images.width * images.height * images.channels;
  const data = new Float32Array(indices.length * size);
  indices.forEach((index, k) => {
    if (!Number.isInteger(index) || index < 0 || index >= images.count) throw new ShapeError('toFloatImages', `index ${index} outside 0..${images.count - 1}`);
    const src = images.pixels.subarray(index * size, (index + 1) * size);
    const o = k * size;
    for (let j = 0; j < size; j++) data[o + j] = src[j]! / 127.5 - 1;
  });
  return { data, shape: [indices.length, images.height, images.width, images.channels] };
}
