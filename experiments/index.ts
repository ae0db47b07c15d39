import type { Experiment } from '../src/runner/experiment.js';
import { bias } from './bias.js';
import { collab } from './collab.js';
import { compare } from './compare.js';
import { datasetSummary } from './dataset-summary.js';
import { detection } from './detection.js';
import { heBaseline } from './he-baseline.js';
import { identification } from './identification.js';
import { jpeg } from './jpeg.js';
import { mpcCost } from './mpc-cost.js';

/** Every experiment the harness knows, in the order `privedge run` lists them. */
export const experiments: readonly Experiment[] = [
  datasetSummary as unknown as Experiment,
  identification as unknown as Experiment,
  detection as unknown as Experiment,
  jpeg as unknown as Experiment,
  bias as unknown as Experiment,
  mpcCost as unknown as Experiment,
  heBaseline as unknown as Experiment,
  collab as unknown as Experiment,
  compare as unknown as Experiment,
];

/** The experiments by id. */
export const experimentRegistry: ReadonlyMap<string, Experiment> = new Map(experiments.map((e) => [e.id, e]));
