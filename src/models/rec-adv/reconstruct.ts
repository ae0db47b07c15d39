import * as tf from '@tensorflow/tfjs';

/**
 * Runs `f` over `images` (float32 NHWC, `shape` per image) `batchSize` images at a time, inside
 * `tf.tidy`, and concatenates its outputs: `perImage` values per image, in image order.
 */
export async function applyInBatches(images: Float32Array, shape: readonly [number, number, number], batchSize: number, perImage: number, f: (x: tf.Tensor4D) => tf.Tensor): Promise<Float32Array> {
  const size = shape[0] * shape[1] * shape[2];
  const n = images.length / size;
  const out = new Float32Array(n * perImage);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const y = tf.tidy(() => f(tf.tensor4d(images.subarray(start * size, (start + count) * size), [count, ...shape])));
    out.set(await y.data(), start * perImage);
    y.dispose();
  }
  return out;
}

/**
 * A reconstructor's outputs for `images` (float32 NHWC in [-1, 1], `shape` per image), in the same
 * layout, computed `batchSize` images per model call.
 */
export async function reconstructImages(model: tf.LayersModel, images: Float32Array, shape: readonly [number, number, number], batchSize = 64): Promise<Float32Array> {
  return applyInBatches(images, shape, batchSize, shape[0] * shape[1] * shape[2], (x) => model.apply(x) as tf.Tensor);
}
