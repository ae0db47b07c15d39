import { z } from 'zod';
import { datasetSchema } from '../../src/config/dataset-schema.js';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';
import { fixedPointBitsOption } from '../shared/private-schema.js';

const schema = z.strictObject({
  quantile: z
    .number()
    .min(0)
    .max(1)
    .default(0.95)
    .describe("Threshold = this quantile (linear interpolation) of the smallest dissimilarities of the enrolled users' VALIDATION images (their separate CALIBRATION images when dataset.split.calibrationFraction > 0); a query is declared private when its smallest dissimilarity is strictly below it"),
  otherDataset: datasetSchema
    .optional()
    .describe("Another dataset whose images are extra non-private queries (none by default); its images are resized to the main dataset's `image` width, height and channels; every class it enrols or holds out counts"),
  otherImages: z.number().int().min(1).default(200).describe('At most this many images of `otherDataset` (seeded choice)'),
  evalBatchSize: z.number().int().min(1).default(64).describe('Images per model call when computing dissimilarities'),
  private: z
    .strictObject({
      queries: z
        .number()
        .int()
        .min(0)
        .default(6)
        .describe('Queries also detected by two-party computation (half private test images, half non-private queries, each spread evenly); their revealed threshold bits are compared with the plaintext decisions; 0: off'),
      fixedPointBits: fixedPointBitsOption,
    })
    .prefault({})
    .describe('Private (2PC) threshold queries'),
});

/**
 * `detection`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const detectionOptions = {
  id: 'detection',
  description: 'Private vs non-private images: threshold on the smallest dissimilarity (precision, recall, ROC, AUC; 2PC threshold bits)',
  schema,
} satisfies ExperimentSchemaEntry;
