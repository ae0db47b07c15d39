import { z } from 'zod';
import { baselinesOption } from '../shared/baseline-schema.js';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';

const schema = z.strictObject({
  qualities: z
    .array(z.number().int().min(1).max(100))
    .min(1)
    .default([100, 90, 80, 70, 60, 50, 40, 30, 20, 10])
    .describe('JPEG quality factors the test images are re-encoded at (each evaluated separately)'),
  chromaSubsampling: z.enum(['4:4:4', '4:2:0']).default('4:4:4').describe('Chroma subsampling of the re-encoding (and of `trainOnCompressed`)'),
  baselines: baselinesOption,
  undefinedPrecision: z
    .enum(['zero', 'exclude'])
    .default('zero')
    .describe('How a user never predicted (undefined precision) enters the macro average and the spread: as 0, or left out'),
  evalBatchSize: z.number().int().min(1).default(64).describe('Images per model call when computing dissimilarities'),
  band: z.enum(['iqr', 'minmax']).default('iqr').describe("Spread across users drawn around each line: interquartile range (linear-interpolation quartiles) or min-max of the per-user values"),
  trainOnCompressed: z
    .union([z.literal(false), z.number().int().min(1).max(100)])
    .default(false)
    .describe('A quality factor: also train PrivEdge on training and validation images JPEG-compressed at it (own models folder) and report it as system `privedge-train-q<quality>`; false: off'),
});

/**
 * `jpeg`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const jpegOptions = {
  id: 'jpeg',
  description: 'Robustness to JPEG compression of the test images: macro precision and recall per quality for PrivEdge and the baselines',
  schema,
} satisfies ExperimentSchemaEntry;
