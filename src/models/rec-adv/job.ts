import type { RequestedBackend } from '../backend.js';
import type { UserTrainingOptions } from './train-user.js';

/** One user's training job, as sent to a worker thread (plain data only). */
export interface UserTrainingJob {
  readonly user: string;
  readonly train: Float32Array;
  readonly validation: Float32Array;
  /** Validation images shown in reconstructions.png. */
  readonly samples: Float32Array;
  readonly options: UserTrainingOptions;
  readonly seed: number;
  readonly modelsDir: string;
  /** Iterations whose checkpoints are saved under `<modelsDir>/milestones/` (see milestones.ts). */
  readonly milestones?: readonly number[];
}

/** Messages a training worker posts back. */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'tick'; readonly user: string; readonly iterations: number }
  | { readonly type: 'done'; readonly user: string; readonly saved: import('./artifacts.js').SavedUser }
  | { readonly type: 'error'; readonly user: string | null; readonly message: string };

/** Data a worker starts with. */
export interface WorkerInit {
  readonly backend: RequestedBackend;
}
