import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { PrivedgeConfig } from '../../config/schema.js';
import type { PreparedDataset } from '../../datasets/prepare.js';
import { toFloatImages } from '../../datasets/tensors.js';
import { ConfigError, PrivedgeError, RunError } from '../../errors.js';
import { silentReporter, type Reporter } from '../../progress/reporter.js';
import type { DeepReadonly } from '../../util/deep-freeze.js';
import { shortHash } from '../../util/hash.js';
import { startModuleWorker } from '../../util/module-worker.js';
import type { RequestedBackend } from '../backend.js';
import { loadModel } from '../io.js';
import { initTensorflow } from '../runtime.js';
import { checkUserWeights, markUserDone, readUserSummary, userModelDir, type SavedUser, type UserOutputWriter, type UserTrainingSummary } from './artifacts.js';
import type { UserTrainingJob, WorkerMessage } from './job.js';
import { milestonesComplete } from './milestones.js';
import { runTrainingJob } from './run-job.js';
import { recordTrainingKey, reuseByTrainingKey, userTrainingKey } from './training-key.js';

/** `--shard i/n` (parsed by the CLI's `parseShard`): train only users whose index modulo n is i. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * The models folder of a config: `training.modelsDir`, else `<out>/models/<hash>`, the hash over
 * everything that changes the trained weights (dataset, training hyperparameters, seed).
 */
export function modelsFolder(config: DeepReadonly<PrivedgeConfig>, outDir: string): string {
  if (config.training.modelsDir) return resolve(config.training.modelsDir);
  const { workers: _w, modelsDir: _m, sampleImages: _s, withoutValidation: _v, ...training } = config.training;
  return resolve(outDir, 'models', shortHash({ dataset: config.dataset, training, seed: config.seed }));
}

/** What {@link trainUsers} did. */
export interface TrainingOutcome {
  readonly modelsDir: string;
  readonly trained: readonly UserTrainingSummary[];
  /** Users already complete (their done.json exists, or copied by training key): skipped. */
  readonly skipped: readonly UserTrainingSummary[];
  /** Users of `skipped` whose model was copied from another models folder with the same training key. */
  readonly reused: readonly string[];
  /** Users left to other shards. */
  readonly otherShards: readonly string[];
  readonly workers: number;
}

function jobsFor(config: DeepReadonly<PrivedgeConfig>, data: PreparedDataset, users: readonly string[], modelsDir: string, milestones: readonly number[] | undefined): UserTrainingJob[] {
  const t = config.training;
  const { width, height, channels } = config.dataset.image;
  return users.map((user) => {
    const split = data.partition.users.find((u) => u.user === user)!;
    return {
      user,
      train: toFloatImages(data.images, split.train).data,
      validation: toFloatImages(data.images, split.validation).data,
      samples: toFloatImages(data.images, (split.validation.length > 0 ? split.validation : split.train).slice(0, t.sampleImages)).data,
      options: {
        shape: { height, width, channels, gf: t.gf, df: t.df },
        iterations: t.iterations,
        batchSize: t.batchSize,
        learningRate: t.learningRate,
        beta1: t.beta1,
        reconstructionWeight: t.reconstructionWeight,
        adversarialWeight: t.adversarialWeight,
        validateEvery: t.validateEvery,
        checkpointBelow: t.checkpointBelow,
      },
      seed: config.seed,
      modelsDir,
      ...(milestones?.length ? { milestones: [...milestones] } : {}),
    };
  });
}

/**
 * Trains every enrolled user (of this shard) that has no complete model yet: resumable, since a
 * user whose `done.json` exists is skipped and an interrupted user restarts from scratch. Users
 * train in parallel worker threads (`training.workers`, default one per core), each worker with
 * its own backend; with one worker they train in this thread. Each trained user's curves and
 * sample reconstructions go to `options.writeOutputs` (the runner's `writeTrainingOutputs`) in
 * this thread, before `done.json` marks the user complete. With `milestones`, each user also
 * saves the checkpoint of every milestone (milestones.ts); a user counts as trained only when
 * every milestone model exists too, and is not copied by training key (that copy has none).
 */
export async function trainUsers(
  config: DeepReadonly<PrivedgeConfig>,
  data: PreparedDataset,
  options: { outDir: string; writeOutputs: UserOutputWriter; shard?: Shard; reporter?: Reporter; milestones?: readonly number[] },
): Promise<TrainingOutcome> {
  const reporter = options.reporter ?? silentReporter;
  const modelsDir = modelsFolder(config, options.outDir);
  const shard = options.shard ?? { index: 0, count: 1 };
  const mine = data.partition.users.map((u) => u.user).filter((_, i) => i % shard.count === shard.index);
  const otherShards = data.partition.users.map((u) => u.user).filter((u) => !mine.includes(u));
  const skipped: UserTrainingSummary[] = [];
  const reused: string[] = [];
  const todo: string[] = [];
  const milestones = options.milestones?.length ? options.milestones : undefined;
  checkValidationImages(config, data, mine);
  const keys = new Map(mine.map((user) => [user, userTrainingKey(config, data, user)]));
  for (const user of mine) {
    const summary = await readUserSummary(modelsDir, user);
    const corrupt = summary && (await checkUserWeights(modelsDir, user, summary));
    if (corrupt) reporter.warn(`${corrupt.message}: retraining user ${user} (${userModelDir(modelsDir, user)})`);
    if (summary && !corrupt && milestones && !(await milestonesComplete(modelsDir, user, milestones))) {
      reporter.info(`training: user ${user} lacks a milestone model in ${modelsDir}/milestones: retraining it`);
      todo.push(user);
      continue;
    }
    const copied = summary && !corrupt ? undefined : milestones ? undefined : await reuseByTrainingKey(options.outDir, keys.get(user)!, modelsDir, user);
    if (copied) reused.push(user);
    if (summary && !corrupt) skipped.push(summary);
    else if (copied) skipped.push(copied);
    else todo.push(user);
  }
  if (skipped.length > reused.length) reporter.info(`training: ${skipped.length - reused.length} user(s) already trained in ${modelsDir}, skipped`);
  if (reused.length > 0) reporter.info(`training: ${reused.length} user(s) copied from models trained on the same images with the same settings`);
  const workers = Math.max(1, Math.min(config.training.workers || availableParallelism(), todo.length));
  const trained: UserTrainingSummary[] = [];
  const record = async (): Promise<void> => {
    for (const s of [...skipped, ...trained]) await recordTrainingKey(options.outDir, keys.get(s.user)!, modelsDir, s);
  };
  if (todo.length === 0) {
    await record();
    return { modelsDir, trained, skipped, reused, otherShards, workers: 0 };
  }
  const jobs = jobsFor(config, data, todo, modelsDir, milestones);
  const task = reporter.task(`training ${todo.length} user(s) x ${config.training.iterations} iterations on ${workers} worker(s)`, todo.length * config.training.iterations);
  const report = async ({ summary: s, outputs }: SavedUser): Promise<void> => {
    await options.writeOutputs(userModelDir(modelsDir, s.user), outputs);
    await markUserDone(modelsDir, s);
    trained.push(s);
    const on = s.checkpointOn === 'training' ? 'training MSE (no validation image: checkpoint chosen on the training images)' : 'validation MSE';
    reporter.info(`  user ${s.user}: ${s.seconds.toFixed(1)} s, best ${on} ${s.bestValMse.toFixed(5)} at iteration ${s.bestIteration}${s.checkpointed ? '' : ' (no checkpoint met the rule: final weights kept)'}`);
  };
  if (workers === 1) {
    const choice = await initTensorflow(config.backend as RequestedBackend);
    for (const job of jobs) await report(await runTrainingJob(job, choice.name, (n) => task.tick(n), choice.kernels));
  } else {
    // One user's files at a time, in the order the workers finish (as `trained` and the log lines).
    let finishing = Promise.resolve();
    await runInWorkers(jobs, workers, config.backend as RequestedBackend, (n) => task.tick(n), (saved) => (finishing = finishing.then(() => report(saved))));
  }
  task.done();
  await record();
  return { modelsDir, trained, skipped, reused, otherShards, workers };
}

/**
 * Refuses users left without a validation image while `dataset.split.validationFraction` asks for
 * some, unless `training.withoutValidation` is `useTraining`.
 * @throws ConfigError naming the class and both settings.
 */
function checkValidationImages(config: DeepReadonly<PrivedgeConfig>, data: PreparedDataset, users: readonly string[]): void {
  if (config.training.withoutValidation === 'useTraining' || config.dataset.split.validationFraction === 0) return;
  const bare = data.partition.users.filter((u) => users.includes(u.user) && u.validation.length === 0);
  if (bare.length === 0) return;
  const u = bare[0]!;
  throw new ConfigError(
    'training.withoutValidation',
    `class "${u.user}"${bare.length > 1 ? ` (and ${bare.length - 1} more)` : ''} has no validation image (${u.train.length} training, ${u.test.length} test image(s)): its checkpoint would be chosen on its training images. Give it more images, raise dataset.users.minImagesPerUser to drop it, or set training.withoutValidation: useTraining`,
  );
}

/** Starts a training worker: the compiled .js file, or the .ts source under tsx/vitest. */
function startWorker(backend: RequestedBackend): Worker {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return startModuleWorker(new URL(`./train-worker.${ext}`, import.meta.url), { backend });
}

async function runInWorkers(
  jobs: readonly UserTrainingJob[],
  count: number,
  backend: RequestedBackend,
  onTick: (n: number) => void,
  onDone: (saved: SavedUser) => Promise<void>,
): Promise<void> {
  const queue = [...jobs];
  const lanes = Array.from({ length: count }, () =>
    new Promise<void>((resolveLane, rejectLane) => {
      const worker = startWorker(backend);
      const next = (): void => {
        const job = queue.shift();
        if (!job) {
          void worker.terminate().then(() => resolveLane());
          return;
        }
        worker.postMessage(job);
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') next();
        else if (m.type === 'tick') onTick(m.iterations);
        else if (m.type === 'done') {
          onDone(m.saved).then(next, (error: unknown) => {
            queue.length = 0;
            void worker.terminate();
            rejectLane(error);
          });
        } else {
          queue.length = 0;
          void worker.terminate();
          rejectLane(new PrivedgeError('TRAINING', `training${m.user ? ` user ${m.user}` : ''} failed: ${m.message}`));
        }
      });
      worker.on('error', (error) => rejectLane(new PrivedgeError('TRAINING', `training worker crashed: ${error.message}`, { cause: error })));
    }),
  );
  await Promise.all(lanes);
}

/** Checks that every user has a complete model; an untrained user is an error that names it (and hints at shards). */
export async function requireUserModels(modelsDir: string, users: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const u of users) if (!(await readUserSummary(modelsDir, u))) missing.push(u);
  if (missing.length > 0) {
    throw new RunError(modelsDir, `no trained model for user(s) ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''} (train them: privedge train <config>, every --shard i/n)`);
  }
}

/**
 * Loads one user's reconstructor, after checking its weights against the checksum in `done.json`.
 * @throws RunError naming the user's `weights.bin` when they differ or the model cannot be loaded.
 */
export async function loadUserModel(modelsDir: string, user: string): Promise<import('@tensorflow/tfjs').LayersModel> {
  const summary = await readUserSummary(modelsDir, user);
  const corrupt = summary && (await checkUserWeights(modelsDir, user, summary));
  if (corrupt) throw new PrivedgeError('RUN', `${corrupt.message}; retrain it with privedge train <config> (or privedge run), which retrains a corrupt user`, { cause: corrupt });
  const dir = userModelDir(modelsDir, user);
  try {
    return await loadModel(dir);
  } catch (error) {
    if (error instanceof RunError) throw error;
    throw new RunError(dir, `user ${user}: cannot load the model: ${(error as Error).message}`, { cause: error });
  }
}

/** Loads every user's reconstructor (after {@link requireUserModels}). */
export async function loadUserModels(modelsDir: string, users: readonly string[]): Promise<Map<string, import('@tensorflow/tfjs').LayersModel>> {
  await requireUserModels(modelsDir, users);
  const out = new Map<string, import('@tensorflow/tfjs').LayersModel>();
  for (const u of users) out.set(u, await loadUserModel(modelsDir, u));
  return out;
}

/** Path of a user's reconstructions.png, for reports. */
export function reconstructionsPng(modelsDir: string, user: string): string {
  return join(userModelDir(modelsDir, user), 'reconstructions.png');
}
