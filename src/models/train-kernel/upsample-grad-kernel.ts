/**
 * The wasm backend's `ResizeNearestNeighborGrad` (the gradient of `UpSampling2D`) run by the
 * native training addon on the wasm heap, for integer power-of-two factors without
 * `alignCorners` / `halfPixelCenters` (where source row `floor(y / f)` is exact); other cases go
 * to the kernel registered before.
 */
import * as tf from '@tensorflow/tfjs';
import { WASM_BACKEND, type BackendWasm } from '../wasm-kernels/wasm-backend-util.js';
import type { TrainAddon } from './native-addon.js';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

const powerOfTwoFactor = (big: number, small: number): number | undefined => {
  const f = big / small;
  return Number.isInteger(f) && f >= 1 && (f & (f - 1)) === 0 ? f : undefined;
};

/**
 * Kernel config for `ResizeNearestNeighborGrad` on wasm, falling back to
 * `fallbacks.ResizeNearestNeighborGrad` (read at call time: the registration may replace it).
 */
export function nativeUpsampleGradConfig(addon: TrainAddon, fallbacks: Readonly<Record<string, tf.KernelConfig | undefined>>): tf.KernelConfig {
  const kernelFunc = (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { images, dy } = args.inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const { alignCorners, halfPixelCenters } = (args.attrs ?? {}) as unknown as tf.ResizeNearestNeighborGradAttrs;
    const [n, h, w, c] = images.shape as [number, number, number, number];
    const fh = powerOfTwoFactor(dy.shape[1]!, h);
    const fw = powerOfTwoFactor(dy.shape[2]!, w);
    if (alignCorners || halfPixelCenters || fh === undefined || fw === undefined || dy.dtype !== 'float32' || images.shape.length !== 4 || dy.shape[0] !== n || dy.shape[3] !== c) {
      const previous = fallbacks[tf.ResizeNearestNeighborGrad];
      if (!previous) throw new Error('ResizeNearestNeighborGrad: case not handled by the native training kernels and no fallback kernel is registered');
      return previous.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
    }
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(images.shape, 'float32');
    if (n * h * w * c === 0) return out;
    const params = new Float64Array([n, h, w, c, fh, fw, backend.getMemoryOffset(dy.dataId), backend.getMemoryOffset(out.dataId)]);
    addon.upsampleGrad(backend.wasm.HEAPU8.buffer as ArrayBuffer, params);
    return out;
  };
  return { kernelName: tf.ResizeNearestNeighborGrad, backendName: WASM_BACKEND, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
