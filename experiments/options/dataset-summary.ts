import { z } from 'zod';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';

const schema = z.strictObject({
  samplesPerUser: z.number().int().min(0).max(64).default(8).describe('Training images per user in samples.png (0: no sample sheet)'),
  maxUsersInSamples: z.number().int().min(1).max(200).default(40).describe('Users (rows) shown in samples.png'),
});

/**
 * `dataset-summary`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const datasetSummaryOptions = {
  id: 'dataset-summary',
  description: 'Images per user and split, pixel statistics and sample images of the configured dataset',
  schema,
} satisfies ExperimentSchemaEntry;
