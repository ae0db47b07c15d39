import { z } from 'zod';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';

/** Config path of the experiment's options, for error messages. */
export const KEY = 'experiments.compare';
const runRef = z.union([z.literal('auto'), z.string().min(1)]);

const datasetEntry = z.strictObject({
  name: z.string().min(1).optional().describe('Dataset of the collab run the table is on (default: its first)'),
  partitions: z.array(z.string().min(1)).min(1).nullable().default(null).describe('Collab partitions (labels such as `iid`, `skew-0.8`) giving weight-transmission rows (null: all)'),
  identification: runRef.nullable().default('auto').describe('PrivEdge and centralised baselines: an identification run folder, `auto` (this config\'s run, else the newest completed one under the results root on the same test images), or null (leave out)'),
  heBaseline: runRef.nullable().default('auto').describe('2P-DNN: a he-baseline run folder, `auto` (as for identification), or null (leave out; it is an MNIST baseline)'),
  privatePrediction: z.boolean().default(true).describe('Require PrivEdge private (2PC) predictions in the identification run (private_predictions*.csv)'),
});

const schema = z.strictObject({
  collab: runRef.default('auto').describe('The collab run: `auto` (this config\'s collab entry, else the newest completed collab run under the results root) or a folder'),
  datasets: z
    .array(datasetEntry)
    .min(1)
    .default(() => [datasetEntry.parse({})])
    .describe(
      'One table section per dataset, each `{ name, partitions, identification, heBaseline, privatePrediction }`: `name` a dataset of the collab run (default: its first); `partitions` the collab partitions shown (null: all); `identification` (PrivEdge, centralised CNNs) and `heBaseline` (2P-DNN): a run folder, `auto` (default: this config\'s run, else the newest completed one under the results root testing on the same images) or null (leave out); `privatePrediction` (default true) requires PrivEdge 2PC rows',
    ),
  undefinedPrecision: z.enum(['zero', 'exclude']).default('zero').describe('How a class never predicted enters macro precision: as 0, or left out'),
});

/**
 * `compare`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const compareOptions = {
  id: 'compare',
  description: 'Cross-system table on the same data: PrivEdge (plaintext, 2PC), centralised CNNs, 2P-DNN, weight transmission: scores, training and prediction cost, who learns what',
  schema,
} satisfies ExperimentSchemaEntry;
