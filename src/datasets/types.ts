/** A per-image attribute value (e.g. a letter's background type). */
export type AttributeValue = string | number;

/**
 * Decoded images of a whole source, all at one size, 8-bit, NHWC, plus labels and attributes.
 * Pixels stay uint8 until a model asks for floats (see `toFloatImages`), which keeps the cache
 * and memory four times smaller and exact.
 */
export interface DecodedImages {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** count x height x width x channels, row-major. */
  readonly pixels: Uint8Array;
  /** Class label (the user) of each image. */
  readonly labels: readonly string[];
  /** Attribute name -> one value per image. */
  readonly attributes: Readonly<Record<string, readonly AttributeValue[]>>;
  /** Where each image came from: a file path relative to the source root, or `array[i]`. */
  readonly ids: readonly string[];
  readonly count: number;
  /** Width and height of each image's source (the decoded file, the page of a patch, the array) before resizing. */
  readonly sourceSizes?: readonly (readonly [number, number])[];
}

/** A raw 8-bit image before resizing. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}
