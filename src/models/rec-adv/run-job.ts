import { Rng } from '../../util/rng.js';
import { clearUser, writeUserArtifacts, type UserTrainingSummary } from './artifacts.js';
import type { UserTrainingJob } from './job.js';
import { clearUserMilestones, milestoneModelsDir } from './milestones.js';
import { trainUser, type TrainingMilestones } from './train-user.js';

/**
 * Trains one user and writes their folder. The same code runs in the main thread and in worker
 * threads. Randomness: the seed's `train/user:<name>` stream. With `job.milestones`, each
 * milestone's checkpoint is written (with its own `done.json`) as training passes it, before the
 * user's own `done.json`.
 */
export async function runTrainingJob(job: UserTrainingJob, backend: string, onTick: (iterations: number) => void, kernels?: string): Promise<UserTrainingSummary> {
  await clearUser(job.modelsDir, job.user);
  await clearUserMilestones(job.modelsDir, job.user);
  const { shape } = job.options;
  const samples = { images: job.samples, shape: [shape.height, shape.width, shape.channels] as const };
  const milestones: TrainingMilestones | undefined = job.milestones?.length
    ? { at: job.milestones, onMilestone: async (m) => void (await writeUserArtifacts(milestoneModelsDir(job.modelsDir, m.iteration), job.user, m, samples, backend, kernels)) }
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
    return await writeUserArtifacts(job.modelsDir, job.user, trained, samples, backend, kernels);
  } finally {
    trained.reconstructor.dispose();
  }
}
