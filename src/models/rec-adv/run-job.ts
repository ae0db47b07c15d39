import { Rng } from '../../util/rng.js';
import { clearUser, saveTrainedUser, type SavedUser } from './artifacts.js';
import type { UserTrainingJob } from './job.js';
import { trainUser } from './train-user.js';

/**
 * Trains one user and saves their model; returns the summary and the outputs (curves, sample
 * reconstructions) for the caller to write before marking the user done. The same code runs in
 * the main thread and in worker threads. Randomness: the seed's `train/user:<name>` stream.
 */
export async function runTrainingJob(job: UserTrainingJob, backend: string, onTick: (iterations: number) => void, kernels?: string): Promise<SavedUser> {
  await clearUser(job.modelsDir, job.user);
  const rng = Rng.fromSeed(job.seed).child('train').child(`user:${job.user}`);
  let pending = 0;
  const trained = await trainUser(job.train, job.validation, job.options, rng, {
    tick: () => {
      pending++;
      if (pending >= 5) {
        onTick(pending);
        pending = 0;
      }
    },
    done: () => undefined,
  });
  if (pending > 0) onTick(pending);
  try {
    const { shape } = job.options;
    return await saveTrainedUser(job.modelsDir, job.user, trained, { images: job.samples, shape: [shape.height, shape.width, shape.channels] }, backend, kernels);
  } finally {
    trained.reconstructor.dispose();
  }
}
