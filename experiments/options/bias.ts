import { z } from 'zod';
import { baselinesOption } from '../shared/baseline-schema.js';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';

/** Config path of the experiment's options, for error messages. */
export const KEY = 'experiments.bias';
/** One value of a per-image attribute (a string or a number). */
export const attributeValue = z.union([z.string(), z.number()]);
const splitSchema = z.strictObject({
  train: z.array(attributeValue).min(1).describe('Attribute values of the images every user trains (and validates) on'),
  test: z.array(attributeValue).min(1).describe('Attribute values of the test images scored (normally the values not trained on)'),
});

const schema = z.strictObject({
  attributeBias: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Run the attribute-bias part'),
      attribute: z
        .string()
        .min(1)
        .default('background')
        .describe('Per-image attribute the bias is on, as the dataset exposes it (letters: `background`, 0..3, kept by `dataset.source.attributeColumns`)'),
      splits: z
        .array(splitSchema)
        .min(1)
        .default([
          { train: [0, 1], test: [2, 3] },
          { train: [2, 3], test: [0, 1] },
        ])
        .describe('Biased conditions `{ train: [values], test: [values] }` (default `[{ train: [0, 1], test: [2, 3] }, { train: [2, 3], test: [0, 1] }]`): users train (and validate) only on images whose attribute takes a `train` value and are scored on test images with the `test` values, against training on all values (`train all`) scored on the same images'),
    })
    .prefault({})
    .describe('Attribute bias: every user trains on images with some attribute values only, and is tested on the others'),
  sampleBias: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Run the sample-size part'),
      fraction: z.number().gt(0).lt(1).default(0.5).describe('Fraction of enrolled users whose training images are reduced (seeded choice, as `dataset.transforms.sampleBias.users`); the others keep all theirs'),
      percents: z
        .array(z.number().gt(0).max(100))
        .min(1)
        .default([10, 25, 50, 100])
        .describe('Percent of their training images the reduced users keep, one condition each (100: no reduction, the reference)'),
    })
    .prefault({})
    .describe('Sample-size bias: a fraction of the users keep only part of their training images; precision and recall per group (reduced, full)'),
  iterations: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Training iterations per user in every condition (default: `training.iterations`). Each condition retrains every user: one unbiased condition, one per distinct attribute-split `train` set and one per percent below 100, each in its own models folder (reused by a later run); a user whose training images and settings are unchanged from another condition, experiment or earlier run (the full-data users of a sample-size condition) gets that model copied instead, whatever the order (reuse by training key)'),
  baselines: baselinesOption.describe("Centralised multi-class baselines, retrained in every condition on that condition's pooled (biased) training images (`kind: vgg | resnet`)"),
  undefinedPrecision: z
    .enum(['zero', 'exclude'])
    .default('zero')
    .describe('How a user never predicted (undefined precision) enters macro and group averages: as 0, or left out'),
  evalBatchSize: z.number().int().min(1).default(64).describe('Images per model call when computing dissimilarities'),
});

/**
 * `bias`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const biasOptions = {
  id: 'bias',
  description: 'Robustness to biased training data: attribute bias (train on some attribute values, test on the others) and sample-size bias (some users keep p % of their images), PrivEdge vs centralised baselines',
  schema,
} satisfies ExperimentSchemaEntry;
