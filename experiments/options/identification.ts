import { z } from 'zod';
import { baselineSpecSchema, defaultBaselines } from '../shared/baseline-schema.js';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';
import { fixedPointBitsOption } from '../shared/private-schema.js';

const baseline = baselineSpecSchema;

const schema = z.strictObject({
  baselines: z
    .array(baseline)
    .default(defaultBaselines)
    .describe('Centralised multi-class baselines trained on all users\' pooled training images (`kind: vgg | resnet`)'),
  undefinedPrecision: z
    .enum(['zero', 'exclude'])
    .default('zero')
    .describe('How a user never predicted (undefined precision) enters the macro average: as 0, or left out'),
  evalBatchSize: z.number().int().min(1).default(64).describe('Images per model call when computing dissimilarities'),
  reconstructionSamples: z
    .number()
    .int()
    .min(0)
    .default(12)
    .describe('Users (rows) shown in `reconstructions.png` (a test image, its reconstruction by its own user, by the predicted user); 0: no picture. `reconstruction_contrast.csv` covers every user either way'),
  intervals: z
    .strictObject({
      resamples: z.number().int().min(100).default(1000).describe('Bootstrap resamples of the test images (stratified by user)'),
      level: z.number().gt(0).lt(1).default(0.95).describe('Central coverage of each interval'),
    })
    .prefault({})
    .describe('Percentile bootstrap intervals of every system\'s macro precision and recall over the test images (`metrics_intervals.csv`): the test-set part of run-to-run noise'),
  mode: z
    .enum(['plaintext', 'private'])
    .default('plaintext')
    .describe('`private`: also predict test images by two-party computation (in process) and report the private predictions as system `privedge-2pc`'),
  private: z
    .strictObject({
      queries: z
        .union([z.number().int().min(1), z.literal('all')])
        .default(20)
        .describe('Test images predicted privately (spread evenly over the test set), or `all`; `privedge-2pc` metrics cover these images only'),
      fixedPointBits: fixedPointBitsOption,
    })
    .prefault({})
    .describe('Settings of `mode: private`'),
});

/**
 * `identification`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const identificationOptions = {
  id: 'identification',
  description: 'PrivEdge (per-user reconstructors, argmin dissimilarity) vs centralised CNN baselines: precision, recall, confusion',
  schema,
} satisfies ExperimentSchemaEntry;
