/**
 * Loads the native float32 training kernels (`native/train-kernel/`, built by
 * `scripts/build-train-kernel.mjs`) on first use, never at import time. A missing or unloadable
 * addon, `PRIVEDGE_TRAIN_KERNEL=wasm`, or an x86-64 CPU without AVX2+FMA (where the portable path
 * would be slower than XNNPACK) leaves the wasm backend's own kernels in place;
 * {@link trainKernelInfo} says which kernels run and why.
 */
import { join } from 'node:path';
import { loadNativeAddon } from '../../util/native-addon.js';

/** A code path of the addon: AVX2 with FMA, or portable C (fmaf). */
export type TrainIsa = 'avx2' | 'scalar';

/** Operation codes of the addon's `conv`. */
export const CONV_OP = { forward: 0, backpropInput: 1, backpropFilter: 2 } as const;

/** The addon's exports (see `native/train-kernel/addon.c`). */
export interface TrainAddon {
  /**
   * Runs one convolution operation on float32 tensors inside `heap`. `params` is
   * `[n, h, w, ci, oh, ow, co, kh, kw, sh, sw, padTop, padLeft, in0, in1, out, bias, act, alpha]`
   * with byte offsets into `heap`; every range is checked against the heap.
   */
  conv(op: number, heap: ArrayBuffer, params: Float64Array, isa?: TrainIsa): void;
  /** Gradient of nearest-neighbour upsampling; `params` is `[n, h, w, c, fh, fw, dyOffset, dxOffset]`. */
  upsampleGrad(heap: ArrayBuffer, params: Float64Array): void;
  isa(): TrainIsa;
  supportedIsas(): TrainIsa[];
}

/** Which convolution kernels the wasm backend trains with. */
export interface TrainKernelInfo {
  /** `native` when the addon's kernels are used, else `wasm` (XNNPACK and the TypeScript gradient kernels). */
  readonly kind: 'native' | 'wasm';
  /** The addon's code path (native only). */
  readonly isa?: TrainIsa;
  /** Why the native kernels are not used (wasm only). */
  readonly reason?: string;
}

/** Where the build script puts the addon, relative to the package root. */
export const TRAIN_KERNEL_BINARY = join('native', 'train-kernel', 'build', 'train_kernel.node');

let loaded: { addon: TrainAddon | undefined; info: TrainKernelInfo } | undefined;

/** The loaded addon, or undefined when the wasm kernels are to be used. */
export function trainAddon(): TrainAddon | undefined {
  loaded ??= resolveTrainKernel(process.env);
  return loaded.addon;
}

/** Which kernels train models in this process (or worker), as {@link TrainKernelInfo}. */
export function trainKernelInfo(): TrainKernelInfo {
  loaded ??= resolveTrainKernel(process.env);
  return loaded.info;
}

/** A one-line label for run manifests: `native-avx2`, or `wasm (<reason>)`. */
export function trainKernelLabel(info: TrainKernelInfo = trainKernelInfo()): string {
  return info.kind === 'native' ? `native-${info.isa}` : `wasm (${info.reason})`;
}

/**
 * Loads the addon as `env` asks (`PRIVEDGE_TRAIN_KERNEL=native|wasm`, default native when built), without
 * caching; {@link trainAddon} and {@link trainKernelInfo} use it once with `process.env`.
 */
export function resolveTrainKernel(env: Readonly<Record<string, string | undefined>>): { addon: TrainAddon | undefined; info: TrainKernelInfo } {
  const wasm = (reason: string) => ({ addon: undefined, info: { kind: 'wasm', reason } as const });
  const requested = env['PRIVEDGE_TRAIN_KERNEL'];
  if (requested === 'wasm') return wasm('PRIVEDGE_TRAIN_KERNEL=wasm');
  if (requested !== undefined && requested !== '' && requested !== 'native') {
    throw new Error(`PRIVEDGE_TRAIN_KERNEL must be native or wasm, got '${requested}'`);
  }
  const load = loadNativeAddon(TRAIN_KERNEL_BINARY, (addon: TrainAddon) => ({ addon, isa: addon.isa(), isas: addon.supportedIsas() }), {
    using: "the wasm backend's kernels",
    code: 'PRIVEDGE_TRAIN_KERNEL',
  });
  if ('reason' in load) return wasm(load.reason);
  const { addon, isa, isas } = load.loaded;
  if (isa === 'scalar' && process.arch === 'x64' && !isas.includes('avx2')) return wasm('this CPU lacks AVX2+FMA');
  return { addon, info: { kind: 'native', isa } };
}
