import { open } from 'node:fs/promises';

/** Image formats recognised by their first bytes. */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'tiff' | 'bmp' | 'netpbm';

/** File extensions taken as images without reading them (the fast path); anything else is sniffed. */
export const imageExtensions = ['.png', '.jpg', '.jpeg', '.gif', '.webp', '.tif', '.tiff', '.pgm', '.ppm', '.pnm', '.bmp'];

/** Bytes {@link sniffImageFormat} needs. */
export const SNIFF_BYTES = 32;

/**
 * The image format a buffer starts with, from its magic bytes, or undefined when it is no format
 * the decoder reads: PNG `89 50 4E 47`, JPEG `FF D8 FF`, GIF `GIF87a`/`GIF89a`, WebP `RIFF....WEBP`,
 * TIFF `II*\0`/`MM\0*`, BMP `BM` with a known header size, netpbm `P2`/`P3`/`P5`/`P6` then whitespace.
 */
export function sniffImageFormat(head: Uint8Array): ImageFormat | undefined {
  const b = (i: number): number => head[i] ?? -1;
  const ascii = (from: number, to: number): string => String.fromCharCode(...head.subarray(from, to));
  if (b(0) === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if ((ascii(0, 2) === 'II' && b(2) === 42 && b(3) === 0) || (ascii(0, 2) === 'MM' && b(2) === 0 && b(3) === 42)) return 'tiff';
  if (ascii(0, 2) === 'BM' && head.length >= 18) {
    const infoSize = b(14) | (b(15) << 8) | (b(16) << 16) | (b(17) << 24);
    if ([12, 40, 52, 56, 64, 108, 124].includes(infoSize)) return 'bmp';
  }
  if (b(0) === 0x50 && [0x32, 0x33, 0x35, 0x36].includes(b(1)) && [0x20, 0x09, 0x0a, 0x0d, 0x23].includes(b(2))) return 'netpbm';
  return undefined;
}

/** Reads the first {@link SNIFF_BYTES} of a file and sniffs its image format. */
export async function sniffImageFile(path: string): Promise<ImageFormat | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return sniffImageFormat(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
