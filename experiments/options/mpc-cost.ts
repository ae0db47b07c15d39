import { z } from 'zod';
import type { ExperimentSchemaEntry } from '../../src/config/schema.js';
import { fixedPointBitsOption } from '../shared/private-schema.js';

const schema = z.strictObject({
  users: z
    .array(z.union([z.number().int().min(1), z.literal('all')]))
    .min(1)
    .default([1, 2, 4, 8, 'all'])
    .describe("Numbers of enrolled users N to measure; `all` is the dataset's number of users"),
  gf: z
    .array(z.number().int().min(1))
    .min(1)
    .optional()
    .describe("Reconstructor widths to measure (default: the config's training.gf)"),
  fixedPointBits: fixedPointBitsOption,
});

/**
 * `mpc-cost`'s entry in a config: its id, description and option schema. Light on purpose
 * (zod only): config validation and the command line load this, not the experiment.
 */
export const mpcCostOptions = {
  id: 'mpc-cost',
  description: 'Cost of 2PC private prediction vs number of users and model width: time, bytes, rounds, LAN/WAN estimates, plaintext time',
  schema,
} satisfies ExperimentSchemaEntry;
