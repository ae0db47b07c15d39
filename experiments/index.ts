import type { ExperimentEntry, ExperimentRegistry } from '../src/runner/experiment.js';
import { biasOptions } from './options/bias.js';
import { budgetOptions } from './options/budget.js';
import { collabOptions } from './options/collab.js';
import { compareOptions } from './options/compare.js';
import { datasetSummaryOptions } from './options/dataset-summary.js';
import { detectionOptions } from './options/detection.js';
import { heBaselineOptions } from './options/he-baseline.js';
import { identificationOptions } from './options/identification.js';
import { jpegOptions } from './options/jpeg.js';
import { mpcCostOptions } from './options/mpc-cost.js';

/**
 * Every experiment the harness knows, in the order `privedge run` lists them. Each entry holds
 * only its id, description and option schema (`options/`, zod only); `load()` imports the
 * experiment module itself, so validating a config or printing `--help` never loads TF.js.
 */
export const experiments: readonly ExperimentEntry[] = [
  { ...datasetSummaryOptions, load: async () => (await import('./dataset-summary.js')).datasetSummary },
  { ...identificationOptions, load: async () => (await import('./identification.js')).identification },
  { ...detectionOptions, load: async () => (await import('./detection.js')).detection },
  { ...jpegOptions, load: async () => (await import('./jpeg.js')).jpeg },
  { ...biasOptions, load: async () => (await import('./bias.js')).bias },
  { ...budgetOptions, load: async () => (await import('./budget.js')).budget },
  { ...mpcCostOptions, load: async () => (await import('./mpc-cost.js')).mpcCost },
  { ...heBaselineOptions, load: async () => (await import('./he-baseline.js')).heBaseline },
  { ...collabOptions, load: async () => (await import('./collab.js')).collab },
  { ...compareOptions, load: async () => (await import('./compare.js')).compare },
];

/** The experiments by id. */
export const experimentRegistry: ExperimentRegistry = new Map(experiments.map((e) => [e.id, e]));
