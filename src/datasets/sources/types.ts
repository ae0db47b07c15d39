import type { AttributeValue, DecodedImages } from '../types.js';

/** One image file with its class and attributes. */
export interface FileItem {
  /** Absolute path. */
  readonly path: string;
  /** Path shown to users and stored as the image id (relative to the source root when possible). */
  readonly id: string;
  readonly label: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** Images that arrive as arrays, at their native size (before resizing). */
export type ArrayImages = Omit<DecodedImages, 'pixels'> & { readonly pixels: Uint8Array };

/**
 * What a source found: either image files to decode one by one, or arrays to load whole.
 * `inputs` are the files whose fingerprint keys the decoded-array cache.
 */
export type SourcePlan =
  | { readonly kind: 'files'; readonly items: readonly FileItem[]; readonly inputs: readonly string[]; readonly notes: readonly string[] }
  | { readonly kind: 'arrays'; readonly inputs: readonly string[]; readonly notes: readonly string[]; readonly version?: string; load(): Promise<ArrayImages> };
