import sharp from 'sharp';

/** Images to lay out (a `DecodedImages` fits): count x height x width x channels 8-bit pixels, row-major. */
export interface GridImages {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly pixels: Uint8Array;
}

/**
 * A PNG contact sheet: one row per group of image indices (e.g. per user), `gap` black pixels
 * between cells, each image upscaled by `scale` (nearest neighbour). Rows shorter than the longest
 * are padded with black.
 */
export async function imageGridPng(images: GridImages, rows: readonly (readonly number[])[], scale = 2, gap = 2): Promise<Buffer> {
  const { width: w, height: h, channels: c } = images;
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const cellW = w * scale;
  const cellH = h * scale;
  const outW = cols * cellW + (cols + 1) * gap;
  const outH = Math.max(1, rows.length) * cellH + (Math.max(1, rows.length) + 1) * gap;
  const out = new Uint8Array(outW * outH * c);
  rows.forEach((row, r) => {
    row.forEach((index, k) => {
      const x0 = gap + k * (cellW + gap);
      const y0 = gap + r * (cellH + gap);
      const base = index * w * h * c;
      for (let y = 0; y < cellH; y++) {
        for (let x = 0; x < cellW; x++) {
          const src = base + (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
          const dst = ((y0 + y) * outW + x0 + x) * c;
          for (let ch = 0; ch < c; ch++) out[dst + ch] = images.pixels[src + ch]!;
        }
      }
    });
  });
  return sharp(out, { raw: { width: outW, height: outH, channels: c } }).png().toBuffer();
}
