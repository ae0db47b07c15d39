/**
 * A tiny BMP writer for tests, written from the format description (BITMAPINFOHEADER, rows padded
 * to 4 bytes, bottom-up unless `topDown`): 24-bit BGR, 32-bit BGRX, or 8-bit with a palette.
 */
export function writeBmp(
  width: number,
  height: number,
  pixels: Uint8Array,
  options: { bits: 24 | 32 | 8; palette?: readonly (readonly [number, number, number])[]; topDown?: boolean },
): Buffer {
  const { bits } = options;
  const palette = bits === 8 ? (options.palette ?? []) : [];
  const stride = Math.ceil((width * bits) / 32) * 4;
  const offset = 14 + 40 + palette.length * 4;
  const out = Buffer.alloc(offset + stride * height);
  out.write('BM', 0, 'ascii');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(options.topDown ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bits, 28);
  out.writeUInt32LE(0, 30);
  out.writeUInt32LE(stride * height, 34);
  out.writeUInt32LE(palette.length, 46);
  palette.forEach(([r, g, b], i) => {
    out[54 + 4 * i] = b;
    out[55 + 4 * i] = g;
    out[56 + 4 * i] = r;
  });
  for (let y = 0; y < height; y++) {
    const row = offset + (options.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      if (bits === 8) out[row + x] = pixels[y * width + x]!;
      else {
        const p = row + x * (bits / 8);
        const s = (y * width + x) * 3;
        out[p] = pixels[s + 2]!;
        out[p + 1] = pixels[s + 1]!;
        out[p + 2] = pixels[s]!;
        if (bits === 32) out[p + 3] = 255;
      }
    }
  }
  return out;
}
