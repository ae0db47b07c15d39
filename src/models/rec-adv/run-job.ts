import { Rng } from '../../util/rng.js';
import { clearUser, markUserDone, saveTrainedUser, type SavedUser } from './artifacts.js';
import type { UserTrainingJob } from './job.js';
import { clearUserMilestones, milestoneModelsDir } from './milestones.js';
import { trainUser, type TrainingMilestones } from './train-user.js';

/**
 * Trains one user and saves their model; returns the summary and the outputs (curves, sample
 * reconstructions) for the caller to write before marking the user done. The same code runs in
 * the main thread and in worker threads. Randomness: the seed's `train/user:<name>` stream. With
 * `job.milestones`, each milestone's checkpoint is saved with its own `done.json` (the model only:
 * no curves or reconstructions) as training passes it, before the user's own model.
 */
export async function runTrainingJob(job: UserTrainingJob, backend: string, onTick: (iterations: number) => void, kernels?: string): Promise<SavedUser> {
  await clearUser(job.modelsDir, job.user);
  await clearUserMilestones(job.modelsDir, job.user);
  const { shape } = job.options;
  const samples = { images: job.samples, shape: [shape.height, shape.width, shape.channels] as const };
  const milestones: TrainingMilestones | undefined = job.milestones?.length
    ? { at: job.milestones, onMilestone: async (m) => {
          const dir = milestoneModelsDir(job.modelsDir, m.iteration);
          await markUserDone(dir, (await saveTrainedUser(dir, job.user, m, samples, backend, kernels)).summary);
        } }
    : undefined;
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
  }, milestones);
  if (pending > 0) onTick(pending);
  try {
    return await saveTrainedUser(job.modelsDir, job.user, trained, samples, backend, kernels);
  } finally {
    trained.reconstructor.dispose();
  }
}
