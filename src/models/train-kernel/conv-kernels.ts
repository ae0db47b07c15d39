/**
 * The wasm backend's convolution kernels (`Conv2D`, `FusedConv2D`, `Conv2DBackpropInput`,
 * `Conv2DBackpropFilter`) run by the native training addon on the tensors where the wasm backend
 * keeps them: the addon reads and writes the wasm heap directly (no copies in or out). The heap's
 * `ArrayBuffer` is taken afresh after the output is allocated, since growing wasm memory replaces it.
 *
 * Cases the addon does not handle (NCHW, dilation > 1, non-float32, `prelu`, a bias that is not one
 * value per output channel) go to the kernel registered before (XNNPACK or the project's
 * TypeScript gradient kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { WASM_BACKEND, type BackendWasm } from '../wasm-kernels/wasm-backend-util.js';
import { CONV_OP, type TrainAddon } from './native-addon.js';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
type Shape4 = [number, number, number, number];

/** Codes of the addon's fused activations (`tk_act` in `native/train-kernel/train_kernel.h`). */
const ACTIVATIONS: Readonly<Record<string, number>> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5 };

/** The geometry part of the addon's params, or undefined when the addon cannot run it. */
function geometry(info: tf.backend_util.Conv2DInfo): number[] | undefined {
  if (info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  return [batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth, info.padInfo.top, info.padInfo.left];
}

function convInfo(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  const a = attrs as unknown as tf.Conv2DAttrs;
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC'),
  );
}

const allFloat32 = (...infos: (tf.TensorInfo | undefined)[]): boolean => infos.every((t) => t === undefined || t.dtype === 'float32');

/** Allocates the output, then runs the addon with offsets taken after that (last) allocation. */
function run(addon: TrainAddon, backend: BackendWasm, op: number, geom: number[], outShape: number[], in0: tf.TensorInfo, in1: tf.TensorInfo, bias: tf.TensorInfo | undefined, act = 0, alpha = 0): tf.TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const offset = (t: tf.TensorInfo): number => backend.getMemoryOffset(t.dataId);
  const params = new Float64Array([...geom, offset(in0), offset(in1), offset(out), bias ? offset(bias) : -1, act, alpha]);
  addon.conv(op, backend.wasm.HEAPU8.buffer as ArrayBuffer, params);
  return out;
}

/**
 * Kernel configs for the four convolution kernels, each falling back to `fallbacks[kernelName]`
 * (the config registered before) for the cases the addon does not run.
 */
export function nativeConvKernelConfigs(addon: TrainAddon, fallbacks: Readonly<Record<string, tf.KernelConfig | undefined>>): tf.KernelConfig[] {
  const fallback = (name: string, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const config = fallbacks[name];
    if (!config) throw new Error(`${name}: case not handled by the native training kernels and no fallback kernel is registered`);
    return config.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
  };

  const forward = (name: string) => (args: KernelArgs) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as unknown as tf.FusedConv2DAttrs;
    const info = convInfo(x.shape, filter.shape, args.attrs ?? {});
    const geom = geometry(info);
    const act = ACTIVATIONS[attrs.activation ?? 'linear'];
    const biasOk = bias === undefined || tf.util.sizeFromShape(bias.shape) === info.outChannels;
    if (!geom || act === undefined || preluActivationWeights || !biasOk || !allFloat32(x, filter, bias)) return fallback(name, args);
    return run(addon, args.backend as BackendWasm, CONV_OP.forward, geom, info.outShape, x, filter, bias, act, attrs.leakyreluAlpha ?? 0.2);
  };

  const backpropInput = (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = convInfo(attrs.inputShape, filter.shape, args.attrs ?? {});
    const geom = geometry(info);
    if (!geom || !allFloat32(dy, filter)) return fallback(tf.Conv2DBackpropInput, args);
    return run(addon, args.backend as BackendWasm, CONV_OP.backpropInput, geom, info.inShape, dy, filter, undefined);
  };

  const backpropFilter = (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const info = convInfo(x.shape, attrs.filterShape, args.attrs ?? {});
    const geom = geometry(info);
    if (!geom || !allFloat32(x, dy)) return fallback(tf.Conv2DBackpropFilter, args);
    return run(addon, args.backend as BackendWasm, CONV_OP.backpropFilter, geom, attrs.filterShape, x, dy, undefined);
  };

  const config = (kernelName: string, kernelFunc: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelConfig => ({
    kernelName,
    backendName: WASM_BACKEND,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
  return [
    config(tf.Conv2D, forward(tf.Conv2D)),
    config(tf.FusedConv2D, forward(tf.FusedConv2D)),
    config(tf.Conv2DBackpropInput, backpropInput),
    config(tf.Conv2DBackpropFilter, backpropFilter),
  ];
}
