import { fraction, tooltipMark } from '../src/report/chart-parts.js';
import type { TopLevelSpec } from 'vega-lite';
import { z } from 'zod';
import type { DatasetConfig } from '../src/config/dataset-schema.js';
import type { PreparedDataset } from '../src/datasets/prepare.js';
import type { AttributeValue } from '../src/datasets/types.js';
import { ConfigError, RunError } from '../src/errors.js';
import { classificationReport, confusionMatrix, type ClassificationReport, type UndefinedPolicy } from '../src/metrics/confusion.js';
import { vegaLite, type Tables } from '../src/report/charts.js';
import type { Row } from '../src/report/csv.js';
import { defineExperiment } from '../src/runner/experiment.js';
import { naturalCompare } from '../src/util/natural-sort.js';
import { ConditionRunner, type ConditionResult } from './shared/condition-runs.js';
import { biasOptions, KEY } from './options/bias.js';
type Options = z.infer<typeof biasOptions.schema>;

const ATTRIBUTE_COLUMNS = ['condition', 'system', 'group', 'relation', 'metric', 'value'];
const ATTRIBUTE_PREDICTION_COLUMNS = ['condition', 'system', 'image', 'user', 'predicted', 'attributeValue'];
const SAMPLE_COLUMNS = ['condition', 'percent', 'system', 'group', 'metric', 'value'];
const SAMPLE_USER_COLUMNS = ['condition', 'percent', 'system', 'group', 'user', 'metric', 'value'];
const SAMPLE_PREDICTION_COLUMNS = ['condition', 'percent', 'system', 'image', 'user', 'predicted'];
const TRAINING_COLUMNS = ['condition', 'user', 'group', 'trainImages', 'validationImages', 'iterations', 'bestIteration', 'bestValMse', 'checkpointed', 'checkpointOn', 'seconds', 'reused'];

/** A set of attribute values, sorted, with its display label `attribute=v1,v2`. */
interface ValueSet {
  readonly label: string;
  readonly values: ReadonlySet<string>;
}
function valueSet(attribute: string, values: readonly AttributeValue[]): ValueSet {
  const sorted = [...new Set(values.map(String))].sort(naturalCompare);
  return { label: `${attribute}=${sorted.join(',')}`, values: new Set(sorted) };
}

/** Macro (and accuracy) scores of the test images selected by `keep`. */
function scoreImages(result: ConditionResult, system: string, keep: (q: number) => boolean, policy: UndefinedPolicy): { report: ClassificationReport; images: number } {
  const predicted = result.predictions.get(system)!;
  const qs = result.trueLabels.map((_, q) => q).filter(keep);
  const cm = confusionMatrix(qs.map((q) => result.trueLabels[q]!), qs.map((q) => predicted[q]!), result.users);
  return { report: classificationReport(cm, { policy }), images: qs.length };
}

/** Mean of a per-user score over `users` under the undefined-value policy (0 when none is defined). */
function groupMean(report: ClassificationReport, users: ReadonlySet<string>, metric: 'precision' | 'recall' | 'f1', policy: UndefinedPolicy): number {
  const values = report.perClass.filter((c) => users.has(c.label)).map((c) => c[metric]);
  const defined = values.filter((v): v is number => v !== null);
  if (policy === 'zero') return values.length === 0 ? 0 : defined.reduce((a, b) => a + b, 0) / values.length;
  return defined.length === 0 ? 0 : defined.reduce((a, b) => a + b, 0) / defined.length;
}

function withTransforms(dataset: DatasetConfig, transforms: Partial<DatasetConfig['transforms']>): DatasetConfig {
  return { ...dataset, transforms: { ...dataset.transforms, ...transforms } } as DatasetConfig;
}

/** Checks the attribute part's options against the dataset; throws a ConfigError naming the option. */
function checkAttributeOptions(base: PreparedDataset, options: Options['attributeBias']): void {
  const key = `${KEY}.attributeBias`;
  const { attribute } = options;
  const values = base.images.attributes[attribute];
  if (!values) {
    const names = Object.keys(base.images.attributes);
    throw new ConfigError(`${key}.attribute`, `attribute "${attribute}" is not in the dataset (its attributes: ${names.join(', ') || 'none'}; a CSV source keeps a column as an attribute through dataset.source.attributeColumns)`);
  }
  if (base.config.transforms.filter.train?.[attribute]) {
    throw new ConfigError('dataset.transforms.filter.train', `already filters "${attribute}"; the bias experiment sets that filter per condition: remove it`);
  }
  const present = [...new Set(values.map(String))].sort(naturalCompare);
  options.splits.forEach((split, i) => {
    for (const side of ['train', 'test'] as const) {
      const missing = split[side].map(String).filter((v) => !present.includes(v));
      if (missing.length > 0) throw new ConfigError(`${key}.splits[${i}].${side}`, `value(s) ${missing.join(', ')} of "${attribute}" occur in no image: the condition would be empty (values: ${present.join(', ')})`);
      const set = new Set(split[side].map(String));
      const empty = base.partition.users
        .filter((u) => !(side === 'train' ? [...u.train, ...u.validation] : u.test).some((i) => set.has(String(values[i]))))
        .map((u) => u.user);
      if (empty.length > 0) {
        throw new ConfigError(`${key}.splits[${i}].${side}`, `user(s) ${empty.slice(0, 10).join(', ')}${empty.length > 10 ? ` and ${empty.length - 10} more` : ''} have no ${side === 'train' ? 'training' : 'test'} image with ${attribute} in {${[...set].join(', ')}}: the condition would be empty`);
      }
    }
  });
}

/** Checks the sample-size part's options against the dataset; throws a ConfigError naming the option. */
function checkSampleOptions(base: PreparedDataset, options: Options['sampleBias']): void {
  if (base.config.transforms.sampleBias) throw new ConfigError('dataset.transforms.sampleBias', `is set; the bias experiment sets it per condition (${KEY}.sampleBias.percents): remove it`);
  const n = base.partition.users.length;
  // The dataset transform reduces max(1, round(fraction x users)) users.
  const reduced = Math.max(1, Math.round(options.fraction * n));
  if (reduced >= n) throw new ConfigError(`${KEY}.sampleBias.fraction`, `${options.fraction} of ${n} enrolled user(s) reduces ${reduced}: no full-data group is left to compare (lower the fraction or enrol more users)`);
}

function sameTestImages(reference: ConditionResult, other: ConditionResult, label: string): void {
  if (reference.testIds.length !== other.testIds.length || reference.testIds.some((id, q) => id !== other.testIds[q])) {
    throw new RunError(label, 'the condition\'s test images differ from the unbiased condition\'s (the bias transforms must not touch the test split)');
  }
}

async function attributePart(runner: ConditionRunner, base: PreparedDataset, dataset: DatasetConfig, options: Options, warn: (m: string) => void) {
  const opts = options.attributeBias;
  const { attribute } = opts;
  const trainSets = opts.splits.map((s) => valueSet(attribute, s.train));
  const testSets = opts.splits.map((s) => valueSet(attribute, s.test));
  const unique = (sets: ValueSet[]): ValueSet[] => sets.filter((s, i) => sets.findIndex((t) => t.label === s.label) === i);
  // Groups of test images: every split's test values, and its training values where every user has a test image.
  const groups = unique(testSets);
  for (const s of unique(trainSets)) {
    if (groups.some((g) => g.label === s.label)) continue;
    const covered = base.partition.users.every((u) => u.test.some((i) => s.values.has(String(base.images.attributes[attribute]![i]))));
    if (covered) groups.push(s);
    else warn(`bias: test images with ${s.label} are not scored (some user has none)`);
  }
  const conditions: { name: string; train?: ValueSet }[] = [{ name: 'train all' }, ...unique(trainSets).map((s) => ({ name: `train ${s.label}`, train: s }))];
  const metrics: Row[] = [];
  const predictions: Row[] = [];
  const training: Row[] = [];
  const reference = await runner.run('train all', dataset);
  for (const c of conditions) {
    const filtered = c.train
      ? withTransforms(dataset, { filter: { ...dataset.transforms.filter, train: { ...dataset.transforms.filter.train, [attribute]: opts.splits[trainSets.indexOf(c.train)]!.train } } })
      : dataset;
    const result = c.train ? await runner.run(c.name, filtered) : reference;
    sameTestImages(reference, result, `${KEY}: condition "${c.name}"`);
    const attr = result.testAttributes[attribute]!;
    for (const system of result.predictions.keys()) {
      for (const g of groups) {
        const { report, images } = scoreImages(result, system, (q) => g.values.has(String(attr[q])), options.undefinedPrecision);
        const relation = !c.train ? 'unbiased' : [...g.values].every((v) => c.train!.values.has(v)) ? 'seen' : [...g.values].some((v) => c.train!.values.has(v)) ? 'partial' : 'unseen';
        const row = (metric: string, value: number): Row => ({ condition: c.name, system, group: g.label, relation, metric, value });
        metrics.push(row('precision', report.macroPrecision), row('recall', report.macroRecall), row('f1', report.macroF1), row('accuracy', report.accuracy), row('images', images));
      }
      const predicted = result.predictions.get(system)!;
      result.testIds.forEach((image, q) => predictions.push({ condition: c.name, system, image, user: result.trueLabels[q]!, predicted: predicted[q]!, attributeValue: attr[q]! }));
    }
    training.push(...result.training.map((r) => ({ condition: c.name, group: null, ...r })));
  }
  return { metrics, predictions, training, conditions: conditions.map((c) => c.name), groups: groups.map((g) => g.label) };
}

async function samplePart(runner: ConditionRunner, base: PreparedDataset, dataset: DatasetConfig, options: Options) {
  const { fraction } = options.sampleBias;
  const percents = [...new Set(options.sampleBias.percents)].sort((a, b) => a - b);
  const biased = (percent: number): DatasetConfig => withTransforms(dataset, { sampleBias: { users: fraction, keep: percent / 100 } });
  const results: { percent: number; result: ConditionResult }[] = [];
  for (const percent of percents) results.push({ percent, result: await runner.run(`${percent}%`, percent === 100 ? dataset : biased(percent)) });
  // Who is reduced: the same seeded choice in every condition; read from a reduced partition.
  const reducedPartition = results.find((r) => r.percent < 100)?.result.partition ?? (await runner.prepare(biased(100))).partition;
  const reduced = new Set(reducedPartition.users.filter((u) => u.sampleBiased).map((u) => u.user));
  for (const r of results) {
    if (r.percent < 100 && r.result.partition.users.some((u) => u.sampleBiased !== reduced.has(u.user))) throw new RunError(`${KEY}: condition ${r.percent}%`, 'reduces other users than the other conditions');
  }
  const groupOf = (user: string): string => (reduced.has(user) ? 'reduced' : 'full');
  const groups = { reduced, full: new Set(base.partition.users.map((u) => u.user).filter((u) => !reduced.has(u))) };
  const metrics: Row[] = [];
  const perUser: Row[] = [];
  const predictions: Row[] = [];
  const training: Row[] = [];
  for (const { percent, result } of results) {
    const condition = `${percent}%`;
    for (const [system, predicted] of result.predictions) {
      const { report } = scoreImages(result, system, () => true, options.undefinedPrecision);
      for (const [group, users] of Object.entries(groups)) {
        for (const metric of ['precision', 'recall', 'f1'] as const) metrics.push({ condition, percent, system, group, metric, value: groupMean(report, users, metric, options.undefinedPrecision) });
      }
      metrics.push(
        { condition, percent, system, group: 'all', metric: 'precision', value: report.macroPrecision },
        { condition, percent, system, group: 'all', metric: 'recall', value: report.macroRecall },
        { condition, percent, system, group: 'all', metric: 'f1', value: report.macroF1 },
        { condition, percent, system, group: 'all', metric: 'accuracy', value: report.accuracy },
      );
      for (const c of report.perClass) {
        for (const metric of ['precision', 'recall', 'f1'] as const) perUser.push({ condition, percent, system, group: groupOf(c.label), user: c.label, metric, value: c[metric] });
      }
      result.testIds.forEach((image, q) => predictions.push({ condition, percent, system, image, user: result.trueLabels[q]!, predicted: predicted[q]! }));
    }
    training.push(...result.training.map((r) => ({ condition, group: groupOf(String(r['user'])), ...r })));
  }
  return { metrics, perUser, predictions, training, reduced: [...reduced], percents };
}

function placeholder(title: string): TopLevelSpec {
  return vegaLite({ title, data: { values: [{ text: 'not run (disabled in the config)' }] }, mark: { type: 'text', fontSize: 12 }, encoding: { text: { field: 'text', type: 'nominal' } }, width: 260, height: 30 });
}

function attributeChart(t: Tables): TopLevelSpec {
  const rows = (t['bias_attribute_metrics.csv'] ?? []).filter((r) => r['metric'] === 'precision' || r['metric'] === 'recall');
  if (rows.length === 0) return placeholder('Attribute bias');
  return vegaLite({
    title: 'Attribute bias: macro precision and recall by test-image attribute values',
    data: { values: rows as Record<string, unknown>[] },
    facet: { row: { field: 'metric', type: 'nominal', title: null }, column: { field: 'group', type: 'nominal', title: 'Test images' } },
    spec: {
      width: { step: 14 },
      height: 160,
      mark: tooltipMark('bar'),
      encoding: {
        x: { field: 'system', type: 'nominal', title: 'System', axis: { labelAngle: 0 } },
        xOffset: { field: 'condition', type: 'nominal' },
        y: fraction('value', 'Macro average'),
        color: { field: 'condition', type: 'nominal', title: 'Training images', legend: { labelLimit: 400 } },
      },
    },
  });
}

function sampleChart(t: Tables): TopLevelSpec {
  const rows = (t['bias_sample_metrics.csv'] ?? []).filter((r) => (r['group'] === 'reduced' || r['group'] === 'full') && (r['metric'] === 'precision' || r['metric'] === 'recall'));
  if (rows.length === 0) return placeholder('Sample-size bias');
  return vegaLite({
    title: 'Sample-size bias: precision and recall of reduced and full users',
    data: { values: rows as Record<string, unknown>[] },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 200,
      mark: tooltipMark('line', { point: true }),
      encoding: {
        x: { field: 'percent', type: 'quantitative', title: 'Images kept by reduced users (%)', scale: { domain: [0, 100] } },
        y: fraction('value', 'Mean over the group'),
        color: { field: 'system', type: 'nominal', title: 'System' },
        strokeDash: { field: 'group', type: 'nominal', title: 'Users', legend: { symbolType: 'stroke', symbolStrokeWidth: 2 } },
        shape: { field: 'group', type: 'nominal', title: 'Users' },
      },
    },
  });
}

/**
 * `bias`: robustness to biased training data. Attribute bias: every user trains only on images
 * whose attribute (letters: background type) takes some values, and is scored on test images with
 * other values, against unbiased training scored on the same images; the centralised baselines are
 * retrained on the same biased data. Sample-size bias: a seeded fraction of the users keep only p %
 * of their training images; precision and recall are averaged per group (reduced, full users).
 * Every condition trains its users (models cached per condition; users with unchanged images are copied by training key). Writes long-format
 * `bias_attribute_*.csv` and `bias_sample_*.csv` (a disabled part writes header-only files).
 */
export const bias = defineExperiment({
  ...biasOptions,
  charts: [
    { name: 'bias_attribute', inputs: ['bias_attribute_metrics.csv'], build: attributeChart },
    { name: 'bias_sample', inputs: ['bias_sample_metrics.csv'], build: sampleChart },
  ],
  async run(ctx, options) {
    if (!options.attributeBias.enabled && !options.sampleBias.enabled) {
      throw new ConfigError(KEY, 'attributeBias.enabled and sampleBias.enabled are both false: nothing to run');
    }
    const base = await ctx.dataset();
    const dataset = ctx.config.dataset as DatasetConfig;
    const iterations = options.iterations ?? ctx.config.training.iterations;
    const runner = new ConditionRunner(ctx, { iterations, evalBatchSize: options.evalBatchSize, baselines: options.baselines });
    // Check both parts' options before any training.
    if (options.attributeBias.enabled) checkAttributeOptions(base, options.attributeBias);
    if (options.sampleBias.enabled) checkSampleOptions(base, options.sampleBias);
    const facts: Record<string, unknown> = { iterations };
    if (options.attributeBias.enabled) {
      const a = await attributePart(runner, base, dataset, options, (m) => ctx.reporter.warn(m));
      facts['attribute'] = { attribute: options.attributeBias.attribute, conditions: a.conditions, groups: a.groups };
      await ctx.writeCsv('bias_attribute_metrics.csv', a.metrics, ATTRIBUTE_COLUMNS);
      await ctx.writeCsv('bias_attribute_predictions.csv', a.predictions, ATTRIBUTE_PREDICTION_COLUMNS);
      await ctx.writeCsv('bias_attribute_training.csv', a.training, TRAINING_COLUMNS);
    } else {
      await ctx.writeCsv('bias_attribute_metrics.csv', [], ATTRIBUTE_COLUMNS);
    }
    if (options.sampleBias.enabled) {
      const s = await samplePart(runner, base, dataset, options);
      facts['sample'] = { fraction: options.sampleBias.fraction, percents: s.percents, reducedUsers: s.reduced };
      await ctx.writeCsv('bias_sample_metrics.csv', s.metrics, SAMPLE_COLUMNS);
      await ctx.writeCsv('bias_sample_users.csv', s.perUser, SAMPLE_USER_COLUMNS);
      await ctx.writeCsv('bias_sample_predictions.csv', s.predictions, SAMPLE_PREDICTION_COLUMNS);
      await ctx.writeCsv('bias_sample_training.csv', s.training, TRAINING_COLUMNS);
    } else {
      await ctx.writeCsv('bias_sample_metrics.csv', [], SAMPLE_COLUMNS);
    }
    ctx.record('bias', facts);
  },
});
