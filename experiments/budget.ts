import { resolve } from 'node:path';
import type { z } from 'zod';
import type { PrivedgeConfig } from '../src/config/schema.js';
import type { PreparedDataset } from '../src/datasets/prepare.js';
import { toFloatImages } from '../src/datasets/tensors.js';
import { predictClasses } from '../src/models/baselines/train-classifier.js';
import { readUserSummary } from '../src/models/rec-adv/artifacts.js';
import { argminRows } from '../src/models/rec-adv/argmin.js';
import { dissimilarityMatrix } from '../src/models/rec-adv/dissimilarity.js';
import { milestoneModelsDir } from '../src/models/rec-adv/milestones.js';
import { loadUserModel, requireUserModels, trainUsers } from '../src/models/rec-adv/train-users.js';
import type { Row } from '../src/report/csv.js';
import { defineExperiment, type ExperimentContext } from '../src/runner/experiment.js';
import { writeTrainingOutputs } from '../src/runner/training-outputs.js';
import { deepFreeze, type DeepReadonly } from '../src/util/deep-freeze.js';
import { shortHash } from '../src/util/hash.js';
import { budgetOptions, KEY } from './options/budget.js';
import { baselineEvaluationFile, milestoneEvaluationFile, readStored, writeStored, type StoredBaseline, type StoredEpoch, type StoredEvaluation } from './shared/budget-cache.js';
import { budgetCharts } from './shared/budget-charts.js';
import { BUDGET_COLUMNS, budgetPlan, paperBudgetExtrapolation, budgetRow, budgetUserRows, milestoneCost, PAPER_BUDGET, pickTestImages, seriesName, type BudgetPlan, type BudgetPoint } from './shared/budget-plan.js';
import { baselineName, trainBaselineModels } from './shared/trained-baselines.js';

type Options = z.infer<typeof budgetOptions.schema>;

/** The scored test images. */
interface TestSet {
  readonly ids: readonly string[];
  readonly trueLabels: readonly string[];
  /** Float NHWC. */
  readonly queries: Float32Array;
}

/** What the run did, and did not have to do again. */
interface Work {
  trainedUsers: number;
  reusedUsers: number;
  evaluated: number;
  reusedEvaluations: number;
  baselinesTrained: number;
  baselinesReused: number;
}

/** Everything scored, as rows. */
interface Scores {
  readonly rows: Row[];
  readonly users: Row[];
  readonly predictions: Row[];
}

/**
 * The config one width trains with: gf, df and iterations replaced, and its own models folder
 * `<results>/models/budget-<hash>` (milestone models live there, beside the final ones).
 */
export function widthConfig(base: DeepReadonly<PrivedgeConfig>, plan: BudgetPlan, width: BudgetPlan['widths'][number], resultsRoot: string): DeepReadonly<PrivedgeConfig> {
  const { modelsDir: _m, ...training } = base.training;
  const trained = { ...training, gf: width.gf, df: width.df, iterations: plan.iterations };
  const { workers: _w, sampleImages: _s, withoutValidation: _v, ...hashed } = trained;
  const modelsDir = resolve(resultsRoot, 'models', `budget-${shortHash({ dataset: base.dataset, training: hashed, seed: base.seed })}`);
  return deepFreeze({ ...base, training: { ...trained, modelsDir } }) as DeepReadonly<PrivedgeConfig>;
}

/** Adds one point's rows (aggregate, per user, per image) to `scores`. */
function score(scores: Scores, point: BudgetPoint, test: TestSet, predicted: readonly string[], users: readonly string[], options: Options): void {
  scores.rows.push(budgetRow(point, test.trueLabels, predicted, users, options.undefinedPrecision));
  scores.users.push(...budgetUserRows(point, test.trueLabels, predicted, users));
  const series = seriesName(point);
  test.ids.forEach((image, q) => scores.predictions.push({ series, iteration: point.iteration, epoch: point.epoch, image, trueUser: test.trueLabels[q]!, predicted: predicted[q]! }));
}

/** PrivEdge at one width: train (or resume) every user with milestones, then score each milestone (or reuse its stored predictions). */
async function privedgeWidth(ctx: ExperimentContext, data: PreparedDataset, plan: BudgetPlan, width: BudgetPlan['widths'][number], test: TestSet, options: Options, scores: Scores, work: Work): Promise<void> {
  const config = widthConfig(ctx.config, plan, width, ctx.resultsRoot);
  ctx.reporter.info(`budget: gf ${width.gf} / df ${width.df}, ${plan.iterations} iterations, milestones ${plan.milestones.join(', ')}`);
  const outcome = await trainUsers(config, data, { outDir: ctx.resultsRoot, writeOutputs: writeTrainingOutputs, reporter: ctx.reporter, milestones: plan.milestones });
  work.trainedUsers += outcome.trained.length;
  work.reusedUsers += outcome.skipped.length;
  const users = data.partition.users.map((u) => u.user);
  const { width: w, height, channels } = data.config.image;
  for (const iteration of plan.milestones) {
    const dir = milestoneModelsDir(outcome.modelsDir, iteration);
    await requireUserModels(dir, users);
    const summaries = await Promise.all(users.map(async (u) => (await readUserSummary(dir, u))!));
    const { file, key } = milestoneEvaluationFile(dir, { images: test.ids, users, weights: summaries.map((s) => s.weightsSha256), evalBatchSize: options.evalBatchSize });
    let stored = await readStored<StoredEvaluation>(file, key, test.ids);
    if (stored) work.reusedEvaluations++;
    else {
      const task = ctx.reporter.task(`budget gf ${width.gf}, iteration ${iteration}: ${test.ids.length} test images x ${users.length} users`, users.length);
      const matrix = await dissimilarityMatrix(users, (u) => loadUserModel(dir, u), test.queries, [height, w, channels], { batchSize: options.evalBatchSize, progress: task });
      task.done();
      stored = { key, images: test.ids, predicted: Array.from(argminRows(matrix.values, matrix.queries, users.length), (k) => users[k]!) };
      await writeStored(file, stored);
      work.evaluated++;
    }
    const cost = milestoneCost(summaries);
    const point: BudgetPoint = { system: 'privedge', width: width.gf, df: width.df, batchSize: config.training.batchSize, iteration, epoch: null, trainSeconds: cost.trainSeconds, valMse: cost.valMse, valAccuracy: null };
    score(scores, point, test, stored.predicted, users, options);
  }
  ctx.record(`models_gf${width.gf}`, { dir: outcome.modelsDir, trained: outcome.trained.length, reused: outcome.skipped.length, workers: outcome.workers });
  const last = scores.rows.at(-1)!;
  ctx.record(`extrapolation_gf${width.gf}`, paperBudgetExtrapolation(last['train_seconds'] as number, users.length, plan.iterations, config.training.batchSize));
}

/** The baselines: each trained once (unless its stored curve matches), scored after every epoch. */
async function baselineCurves(ctx: ExperimentContext, data: PreparedDataset, test: TestSet, options: Options, scores: Scores, work: Work): Promise<void> {
  const users = data.partition.users.map((u) => u.user);
  const { width, height, channels } = data.config.image;
  const specs = options.baselines;
  const names = specs.map((_, i) => baselineName(specs, i));
  const files = names.map((name) => baselineEvaluationFile(ctx.resultsRoot, { dataset: ctx.config.dataset, seed: ctx.config.seed, specs, name, images: test.ids, users }));
  const curves = new Map<string, StoredBaseline>();
  for (const [i, name] of names.entries()) {
    const stored = await readStored<StoredBaseline>(files[i]!.file, files[i]!.key, test.ids);
    if (stored) curves.set(name, stored);
  }
  work.baselinesReused += curves.size;
  const todo = new Set(names.filter((n) => !curves.has(n)));
  if (todo.size > 0) {
    const epochs = new Map<string, StoredEpoch[]>([...todo].map((n) => [n, []]));
    const trained = await trainBaselineModels(ctx, data, specs, {
      only: todo,
      onEpochModel: async (name, e, model) => {
        const predicted = Array.from(await predictClasses(model, test.queries, [height, width, channels]), (k) => users[k]!);
        epochs.get(name)!.push({ epoch: e.epoch, selectedEpoch: e.selectedEpoch, seconds: e.seconds, valAccuracy: e.selectedValAccuracy, predicted });
      },
    });
    for (const b of trained) b.model.dispose();
    for (const name of todo) {
      const i = names.indexOf(name);
      const stored: StoredBaseline = { key: files[i]!.key, images: test.ids, epochs: epochs.get(name)! };
      await writeStored(files[i]!.file, stored);
      curves.set(name, stored);
      work.baselinesTrained++;
    }
  }
  for (const [i, name] of names.entries()) {
    for (const e of curves.get(name)!.epochs) {
      const point: BudgetPoint = { system: name, width: null, df: null, batchSize: specs[i]!.batchSize, iteration: null, epoch: e.epoch, trainSeconds: e.seconds, valMse: null, valAccuracy: e.valAccuracy };
      score(scores, point, test, e.predicted, users, options);
    }
  }
}

/**
 * `budget`: precision and recall of PrivEdge against training budget, from ONE training run per
 * user and width. Training keeps, at every milestone, the checkpoint a run of that many
 * iterations would keep (`trainUser`'s milestones, saved under the models folder's
 * `milestones/`); each milestone's models predict the same test images in plaintext (smallest
 * reconstruction MSE, as `identification`). Baselines are trained once and scored after every
 * epoch. Writes `budget.csv` (one row per system, width and iteration or epoch: training seconds,
 * validation MSE, macro precision and recall, spread of per-user recall), `budget_users.csv` and
 * `budget_predictions.csv`. Resumable: finished users and stored evaluations are not redone.
 */
export const budget = defineExperiment({
  ...budgetOptions,
  charts: budgetCharts,
  async run(ctx, options) {
    const plan = budgetPlan(options, ctx.config.training, KEY);
    const data = await ctx.dataset();
    await ctx.tensorflow();
    const users = data.partition.users.map((u) => u.user);
    const picks = pickTestImages(data.partition.users, options.testImages, ctx.rng.child('budget').child('test-images'));
    const indices = picks.map((p) => p.index);
    const test: TestSet = { ids: indices.map((i) => data.images.ids[i]!), trueLabels: picks.map((p) => p.user), queries: toFloatImages(data.images, indices).data };
    const scores: Scores = { rows: [], users: [], predictions: [] };
    const work: Work = { trainedUsers: 0, reusedUsers: 0, evaluated: 0, reusedEvaluations: 0, baselinesTrained: 0, baselinesReused: 0 };
    for (const width of plan.widths) await privedgeWidth(ctx, data, plan, width, test, options, scores, work);
    await baselineCurves(ctx, data, test, options, scores, work);
    ctx.record('budget', { iterations: plan.iterations, milestones: plan.milestones, widths: plan.widths, users: users.length, testImages: test.ids.length, paperBudget: PAPER_BUDGET });
    ctx.record('work', work);
    await ctx.writeCsv('budget.csv', scores.rows, BUDGET_COLUMNS);
    await ctx.writeCsv('budget_users.csv', scores.users, ['series', 'iteration', 'epoch', 'user', 'support', 'recall', 'precision']);
    await ctx.writeCsv('budget_predictions.csv', scores.predictions, ['series', 'iteration', 'epoch', 'image', 'trueUser', 'predicted']);
  },
});
