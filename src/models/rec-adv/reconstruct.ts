import * as tf from '@tensorflow/tfjs';

/**
 * A reconstructor's outputs for `images` (float32 NHWC in [-1, 1], `shape` per image), in the same
 * layout, computed `batchSize` images per model call.
 */
export async function reconstructImages(model: tf.LayersModel, images: Float32Array, shape: readonly [number, number, number], batchSize = 64): Promise<Float32Array> {
  const size = shape[0] * shape[1] * shape[2];
  const n = images.length / size;
  const out = new Float32Array(images.length);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const rec = tf.tidy(() => model.apply(tf.tensor4d(images.subarray(start * size, (start + count) * size), [count, ...shape])) as tf.Tensor);
    out.set(await rec.data(), start * size);
    rec.dispose();
  }
  return out;
}
