import { DatasetError } from '../../errors.js';
import type { NdArray } from '../decode/npy.js';
import type { AttributeValue } from '../types.js';
import type { ArrayImages } from './types.js';

/** How raw arrays are laid out and scaled. */
export interface ArrayLayout {
  readonly layout: 'nhwc' | 'nchw' | 'nhw';
  readonly pixelMax: number;
}

/** A named array and where it came from (for messages). */
export interface NamedArray {
  readonly array: NdArray;
  readonly where: string;
}

/**
 * Converts image, label and attribute arrays to 8-bit NHWC images: pixel values must lie in
 * [0, pixelMax] (anything outside is an error naming the array), are scaled to 0..255 and rounded.
 * Integral numeric labels become their decimal string ("3", not "3.0"); any other numeric label
 * (0.5, NaN) is an error naming the array.
 */
export function arraysToImages(
  images: NamedArray,
  labels: NamedArray,
  attributes: Readonly<Record<string, NamedArray>>,
  { layout, pixelMax }: ArrayLayout,
): ArrayImages {
  const shape = images.array.shape;
  const expectedRank = layout === 'nhw' ? 3 : 4;
  if (shape.length !== expectedRank) {
    throw new DatasetError(images.where, `images have shape [${shape.join(', ')}], expected ${expectedRank} dimensions for layout ${layout}`);
  }
  const n = shape[0]!;
  const [height, width, channels] =
    layout === 'nhwc' ? [shape[1]!, shape[2]!, shape[3]!] : layout === 'nchw' ? [shape[2]!, shape[3]!, shape[1]!] : [shape[1]!, shape[2]!, 1];
  if (![1, 2, 3, 4].includes(channels)) throw new DatasetError(images.where, `images have ${channels} channels, expected 1 to 4`);
  const values = images.array.values;
  if (typeof values[0] === 'string') throw new DatasetError(images.where, 'images are strings, expected numbers');
  const numeric = values as Float64Array | Uint8Array;
  const pixels = new Uint8Array(n * height * width * channels);
  const scale = 255 / pixelMax;
  const plane = height * width;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < channels; c++) {
        const src = layout === 'nchw' ? (i * channels + c) * plane + p : (i * plane + p) * channels + c;
        const v = numeric[src]!;
        if (!(v >= 0 && v <= pixelMax)) {
          throw new DatasetError(images.where, `pixel value ${v} of image ${i} is outside [0, ${pixelMax}] (set pixelMax to the array's white value)`);
        }
        pixels[(i * plane + p) * channels + c] = Math.round(v * scale);
      }
    }
  }
  const labelValues = toValues(labels, n);
  // Labels are integers or strings: a fractional or non-finite number is not a class name.
  const bad = labelValues.findIndex((v) => typeof v === 'number' && !Number.isInteger(v));
  if (bad >= 0) throw new DatasetError(labels.where, `label ${labelValues[bad]} of image ${bad} is not an integer (labels must be integers or strings)`);
  const attributeValues: Record<string, AttributeValue[]> = {};
  for (const [name, array] of Object.entries(attributes)) attributeValues[name] = toValues(array, n);
  const base = images.where;
  return {
    width,
    height,
    channels: channels as 1 | 3,
    pixels,
    labels: labelValues.map(String),
    attributes: attributeValues,
    ids: Array.from({ length: n }, (_, i) => `${base}[${i}]`),
    count: n,
  };
}

function toValues({ array, where }: NamedArray, n: number): AttributeValue[] {
  if (array.shape[0] !== n || array.values.length !== n) {
    throw new DatasetError(where, `has ${array.values.length} values (shape [${array.shape.join(', ')}]), expected one per image (${n})`);
  }
  return Array.from(array.values as ArrayLike<AttributeValue>);
}
