import { z } from 'zod';
import { baselinesOption } from '../shared/baseline-schema.js';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';

/** Config path of the experiment's options, for error messages. */
export const KEY = 'experiments.budget';

const increasing = (what: string) => (values: readonly number[] | null, ctx: z.RefinementCtx): void => {
  values?.forEach((v, i) => {
    if (i > 0 && v <= values[i - 1]!) ctx.addIssue({ code: 'custom', path: [i], message: `${what} must be strictly increasing: ${values[i - 1]} then ${v}` });
  });
};

const schema = z.strictObject({
  milestones: z
    .array(z.number().int().min(1))
    .min(1)
    .nullable()
    .default(null)
    .superRefine(increasing('milestones'))
    .describe('Training iterations at which every user\'s best-so-far checkpoint (the validation-MSE rule of `training.checkpointBelow`) is kept and evaluated; strictly increasing, the last at most `iterations`. null: `iterations` halved four times (e.g. 50, 100, 200, 400, 800)'),
  iterations: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe('Iterations of the one training run per user and width (null: `training.iterations`); with the config\'s gf and df it trains the same models as `identification`'),
  widths: z
    .array(z.number().int().min(1))
    .min(1)
    .nullable()
    .default(null)
    .superRefine(increasing('widths'))
    .describe('Reconstructor base filters (gf) to train, one run per user each (null: `[training.gf]`); the discriminator\'s df is scaled by the config\'s df / gf unless `discriminatorWidths` is given'),
  discriminatorWidths: z
    .array(z.number().int().min(1))
    .min(1)
    .nullable()
    .default(null)
    .describe('Discriminator base filters (df), one per entry of `widths` (null: round(gf x training.df / training.gf), at least 1)'),
  testImages: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe('Cap on the test images scored (null: every test image): a seeded subsample (stream `budget/test-images`), taken round-robin over users so each keeps about the same number'),
  baselines: baselinesOption.describe("Centralised multi-class baselines (`kind: vgg | resnet`), each trained once on the pooled training images and scored after every epoch with the weights of its best validation epoch so far"),
  undefinedPrecision: z
    .enum(['zero', 'exclude'])
    .default('zero')
    .describe('How a user never predicted (undefined precision) enters the macro average: as 0, or left out'),
  evalBatchSize: z.number().int().min(1).default(64).describe('Images per model call when computing dissimilarities'),
});

/**
 * `budget`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const budgetOptions = {
  id: 'budget',
  description: 'Precision and recall of PrivEdge against training budget (iterations, seconds) and width, from one training run per user and width, with the baselines per epoch',
  schema,
} satisfies ExperimentSchemaEntry;
