import { ShapeError } from '../../errors.js';
import { RingTensor } from './ring-tensor.js';

/**
 * Nearest-neighbour upsampling of an image `[H, W, C]` (or `[1, H, W, C]`) by an integer
 * `factor` (TF `UpSampling2D(size=factor, interpolation='nearest')`): output pixel (y, x) is
 * input pixel (floor(y / factor), floor(x / factor)). Exact (a copy of ring words) and linear.
 * The batch dimension, if present, is kept.
 * @throws ShapeError unless `x` is an image of rank 3 (or 4 with batch 1) and `factor` a positive integer.
 */
export function upsampleNearest(x: RingTensor, factor: number): RingTensor {
  if (!Number.isSafeInteger(factor) || factor < 1) throw new ShapeError('upsample', `factor must be a positive integer, got ${factor}`);
  const batched = x.shape.length === 4;
  if (!(x.shape.length === 3 || (batched && x.shape[0] === 1))) {
    throw new ShapeError('upsample', `expected an image [H, W, C] or [1, H, W, C], got [${x.shape.join(', ')}]`);
  }
  const [h, w, c] = x.shape.slice(batched ? 1 : 0) as [number, number, number];
  const shape = [h * factor, w * factor, c];
  const out = new RingTensor(batched ? [1, ...shape] : shape);
  if (factor === 1) {
    out.data.set(x.data);
    return out;
  }
  const src = x.data;
  const dst = out.data;
  const outRow = w * factor * c;
  for (let y = 0; y < h; y++) {
    const first = y * factor * outRow;
    // Build the first output row of this input row, then copy it factor - 1 times.
    for (let ix = 0; ix < w; ix++) {
      const pixel = src.subarray((y * w + ix) * c, (y * w + ix + 1) * c);
      for (let r = 0; r < factor; r++) dst.set(pixel, first + (ix * factor + r) * c);
    }
    for (let r = 1; r < factor; r++) dst.copyWithin(first + r * outRow, first, first + outRow);
  }
  return out;
}
