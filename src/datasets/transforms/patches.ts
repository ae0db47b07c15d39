import type { PatchesConfig } from '../../config/dataset-schema.js';
import type { RawImage } from '../types.js';

/** One window cut from a source image. */
export interface Patch {
  /** Left and top edge in the source image. */
  readonly x: number;
  readonly y: number;
  /** Fraction of ink (foreground) pixels, before normalisation. */
  readonly ink: number;
  readonly image: RawImage;
}

/** The settings {@link extractPatches} reads. */
export type PatchOptions = Pick<PatchesConfig, 'width' | 'height' | 'stride' | 'foreground' | 'threshold' | 'minInk' | 'maxInk' | 'normalise' | 'maxPerImage'>;

/** BT.601 luma of each pixel (alpha ignored), rounded. */
export function lumaOf(image: RawImage): Uint8Array {
  const { width, height, channels, data } = image;
  const out = new Uint8Array(width * height);
  for (let p = 0; p < out.length; p++) {
    const o = p * channels;
    out[p] = channels < 3 ? data[o]! : Math.round(0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!);
  }
  return out;
}

/**
 * Indices of `count` items spread evenly over `n` (floor(k * n / count), k = 0..count-1), or all of
 * them when count >= n.
 */
export function evenlySpaced(n: number, count: number): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, k) => Math.floor((k * n) / count));
}

/**
 * Cuts windows of `width` x `height` at every `stride` step (reading order, top-left first, whole
 * windows only), keeps those whose ink fraction (pixels darker than `threshold` for dark ink, lighter
 * for light ink) lies in [minInk, maxInk], and, with `maxPerImage`, keeps that many of them evenly
 * spread. `binarise` makes ink 0 and background 255; `contrast` stretches a patch's grey range to
 * 0..255; both give one grey channel. `none` keeps the source's pixels and channels.
 */
export function extractPatches(page: RawImage, options: PatchOptions): Patch[] {
  const { width: w, height: h } = options;
  const sx = options.stride ?? w;
  const sy = options.stride ?? h;
  const grey = lumaOf(page);
  const W = page.width;
  // Summed-area table of the ink mask: ink(x0, y0, x1, y1) in O(1).
  const sat = new Uint32Array((W + 1) * (page.height + 1));
  for (let y = 0; y < page.height; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      const v = grey[y * W + x]!;
      row += (options.foreground === 'dark' ? v < options.threshold : v > options.threshold) ? 1 : 0;
      sat[(y + 1) * (W + 1) + x + 1] = sat[y * (W + 1) + x + 1]! + row;
    }
  }
  const windows: { x: number; y: number; ink: number }[] = [];
  for (let y = 0; y + h <= page.height; y += sy) {
    for (let x = 0; x + w <= W; x += sx) {
      const count = sat[(y + h) * (W + 1) + x + w]! - sat[y * (W + 1) + x + w]! - sat[(y + h) * (W + 1) + x]! + sat[y * (W + 1) + x]!;
      const ink = count / (w * h);
      if (ink >= options.minInk && ink <= options.maxInk) windows.push({ x, y, ink });
    }
  }
  const chosen = options.maxPerImage === undefined ? windows : evenlySpaced(windows.length, options.maxPerImage).map((i) => windows[i]!);
  return chosen.map(({ x, y, ink }) => ({ x, y, ink, image: cut(page, grey, x, y, options) }));
}

function cut(page: RawImage, grey: Uint8Array, x0: number, y0: number, options: PatchOptions): RawImage {
  const { width: w, height: h, normalise } = options;
  if (normalise === 'none') {
    const c = page.channels;
    const data = new Uint8Array(w * h * c);
    for (let y = 0; y < h; y++) data.set(page.data.subarray(((y0 + y) * page.width + x0) * c, ((y0 + y) * page.width + x0 + w) * c), y * w * c);
    return { width: w, height: h, channels: c, data };
  }
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) data.set(grey.subarray((y0 + y) * page.width + x0, (y0 + y) * page.width + x0 + w), y * w);
  if (normalise === 'binarise') {
    const dark = options.foreground === 'dark';
    for (let i = 0; i < data.length; i++) data[i] = (dark ? data[i]! < options.threshold : data[i]! > options.threshold) ? 0 : 255;
  } else {
    let lo = 255;
    let hi = 0;
    for (const v of data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi > lo) for (let i = 0; i < data.length; i++) data[i] = Math.round(((data[i]! - lo) * 255) / (hi - lo));
  }
  return { width: w, height: h, channels: 1, data };
}
