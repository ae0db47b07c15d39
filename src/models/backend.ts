import { PrivedgeError } from '../errors.js';

/** A backend a config may ask for. */
export type RequestedBackend = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** The backend chosen and why. */
export interface BackendChoice {
  readonly requested: RequestedBackend;
  /** tfjs backend name as registered: `tensorflow`, `wasm` or `cpu`. */
  readonly name: 'tensorflow' | 'wasm' | 'cpu';
  /** npm package that provided it (null for the built-in cpu backend). */
  readonly module: string | null;
  /** Modules tried before it, with the reason each was skipped. */
  readonly skipped: readonly { module: string; reason: string }[];
  /**
   * Convolution kernels in use, set by `initTensorflow`: on wasm `native-avx2` (or `native-scalar`)
   * for the native training kernels, else `wasm (<why>)`; the backend name on other backends.
   */
  readonly kernels?: string;
}

/** Loads a module by specifier; injected so tests can simulate installed or missing packages. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

/** The part of the tfjs API backend selection needs. */
export interface TfBackendApi {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
}

const CANDIDATES: Record<Exclude<RequestedBackend, 'auto'>, readonly { module: string | null; name: BackendChoice['name'] }[]> = {
  tensorflow: [
    { module: '@tensorflow/tfjs-node-gpu', name: 'tensorflow' },
    { module: '@tensorflow/tfjs-node', name: 'tensorflow' },
  ],
  wasm: [{ module: '@tensorflow/tfjs-backend-wasm', name: 'wasm' }],
  cpu: [{ module: null, name: 'cpu' }],
};

/**
 * Chooses and activates a tfjs backend. `auto` tries `@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node` (both optional: they need the libtensorflow download), then the
 * embedded wasm backend, then the pure-JS cpu backend. An explicit request that cannot be met is
 * an error that says how to install it.
 */
export async function selectBackend(requested: RequestedBackend, tf: TfBackendApi, load: ModuleLoader = (s) => import(s)): Promise<BackendChoice> {
  const order = requested === 'auto' ? [...CANDIDATES.tensorflow, ...CANDIDATES.wasm, ...CANDIDATES.cpu] : CANDIDATES[requested];
  const skipped: { module: string; reason: string }[] = [];
  for (const candidate of order) {
    try {
      if (candidate.module) await load(candidate.module);
      if (!(await tf.setBackend(candidate.name))) throw new Error(`tf.setBackend('${candidate.name}') returned false`);
      await tf.ready();
      return { requested, name: candidate.name, module: candidate.module, skipped };
    } catch (error) {
      skipped.push({ module: candidate.module ?? 'cpu', reason: (error as Error).message.split('\n')[0]! });
    }
  }
  const hint =
    requested === 'tensorflow'
      ? 'install @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node at the same version as @tensorflow/tfjs (see docs/training.md, "Backends and GPU training")'
      : 'check the installation (npm ci)';
  throw new PrivedgeError('BACKEND', `backend "${requested}" is not available (${skipped.map((s) => `${s.module}: ${s.reason}`).join('; ')}); ${hint}`);
}
