import * as tf from '@tensorflow/tfjs';
import type { Reporter } from '../progress/reporter.js';
import type { Rng } from '../util/rng.js';
import type { CollabData } from './data.js';
import { SharedKey } from './envelope.js';
import { evaluate } from './evaluate.js';
import { BatchCursor, trainOnBatches, type LocalTraining } from './local-train.js';
import { buildCollabModel, namedVariables, readWeights, type CollabModelSpec } from './models.js';
import { StatefulOptimizer, type OptimizerSpec } from './optimizer.js';
import { DataOwner } from './owner.js';
import { partitionLabel, partitionOwners, type PartitionSpec } from './partition.js';
import type { NamedArray } from './serialise.js';
import type { Ledger } from './transport.js';
import { runWeightTransmission, type OwnerOrder, type Topology, type TurnRecord } from './weight-transmission.js';

/** One dataset x partition setting of the collaborative-training experiment. */
export interface ConditionSpec {
  readonly owners: number;
  readonly partition: PartitionSpec;
  readonly rounds: number;
  readonly local: LocalTraining;
  readonly batchSize: number;
  readonly optimizer: OptimizerSpec;
  readonly order: OwnerOrder;
  readonly topologies: readonly Topology[];
  readonly centralised: boolean;
  readonly alone: boolean;
  readonly model: CollabModelSpec;
  readonly evalBatchSize: number;
  readonly checkEquivalence: boolean;
  /** Config key of the partition, for error messages. */
  readonly partitionKey?: string;
}

/** System names as they appear in the result files. */
export const SYSTEM = { wt: (t: Topology) => `weight-transmission-${t}`, centralised: 'centralised-sgd', alone: 'owner-alone' } as const;

/** A point of an accuracy curve; `owner` is set for one owner's own model (system owner-alone). */
export interface CurvePoint {
  readonly system: string;
  readonly owner: number | null;
  readonly round: number;
  readonly accuracy: number;
  readonly macroPrecision: number;
  readonly macroRecall: number;
}

/** Everything a condition produced. */
export interface ConditionResult {
  readonly parts: readonly (readonly number[])[];
  readonly curves: CurvePoint[];
  readonly transmissions: { readonly topology: Topology; readonly turns: readonly TurnRecord[]; readonly ledger: Ledger; readonly orders: readonly (readonly number[])[]; readonly identicalFinalModels: boolean }[];
  /** Final-round predictions per system (owner-alone: per owner, `owner-alone:<k>`). */
  readonly predictions: Map<string, Int32Array>;
  /** Training seconds per system (weight transmission: training plus serialisation and AES-GCM). */
  readonly trainSeconds: Map<string, number>;
  /** Mean prediction seconds per test image of the final models (plaintext, local). */
  readonly predictSecondsPerImage: number;
  readonly parameters: number;
  /** Round 1 replayed as sequential SGD over the owners' batches concatenated in turn order. */
  readonly equivalence: { readonly steps: number; readonly maxAbsDifference: number } | null;
}

const maxAbsDifference = (a: readonly NamedArray[], b: readonly NamedArray[]): number =>
  a.reduce((m, w, i) => w.values.reduce((mm, v, j) => Math.max(mm, Math.abs(v - b[i]!.values[j]!)), m), 0);

/**
 * Runs one condition: partitions the pooled training images among the owners, then trains, from
 * the same seeded initial model and with the same optimizer, batch size and per-owner data order:
 * weight transmission in each topology, centralised SGD on the pooled images (per round the same
 * number of passes, or K times the mini-batches), and each owner alone. Every system is scored
 * on the test set after every round (round 0: the initial model).
 */
export async function runCondition(data: CollabData, spec: ConditionSpec, rng: Rng, reporter: Reporter, label: string): Promise<ConditionResult> {
  const condRng = rng.child(`partition:${partitionLabel(spec.partition)}`);
  const parts = partitionOwners(data.train.labels, data.classes.length, spec.owners, spec.partition, condRng.child('owners'), spec.partitionKey);
  const initSeed = rng.child('init').nextUint32() % 1_000_000;
  const run: ConditionRun = {
    data,
    spec,
    condRng,
    reporter,
    label,
    newModel: () => buildCollabModel(spec.model, data.train.shape, data.classes.length, initSeed),
    ownerRng: (k: number) => condRng.child(`order:owner:${k}`),
    curves: [],
    predictions: new Map(),
    trainSeconds: new Map(),
    eval: { seconds: 0, images: 0 },
  };
  const parameters = await scoreInitialModel(run);
  const transmissions: ConditionResult['transmissions'][number][] = [];
  let equivalence: ConditionResult['equivalence'] = null;
  for (const topology of spec.topologies) {
    const t = await transmitWeights(run, parts, topology, equivalence === null);
    transmissions.push(t.transmission);
    equivalence ??= t.equivalence;
  }
  await trainReferences(run, parts);
  const { eval: e } = run;
  return { parts, curves: run.curves, transmissions, predictions: run.predictions, trainSeconds: run.trainSeconds, predictSecondsPerImage: e.images > 0 ? e.seconds / e.images : Number.NaN, parameters, equivalence };
}

/** The state the phases of {@link runCondition} share: inputs, a model factory, and what they record. */
interface ConditionRun {
  readonly data: CollabData;
  readonly spec: ConditionSpec;
  readonly condRng: Rng;
  readonly reporter: Reporter;
  readonly label: string;
  readonly newModel: () => tf.LayersModel;
  readonly ownerRng: (k: number) => Rng;
  readonly curves: CurvePoint[];
  readonly predictions: Map<string, Int32Array>;
  readonly trainSeconds: Map<string, number>;
  /** Evaluation time and images of the final round (prediction cost per image). */
  readonly eval: { seconds: number; images: number };
}

/** Scores `model` after `round` into the curves; the final round's predictions and time are kept. */
async function score(run: ConditionRun, system: string, owner: number | null, round: number, model: tf.LayersModel): Promise<void> {
  const { data, spec } = run;
  const e = await evaluate(model, data.test, data.classes, spec.evalBatchSize);
  run.curves.push({ system, owner, round, accuracy: e.accuracy, macroPrecision: e.macroPrecision, macroRecall: e.macroRecall });
  if (round === spec.rounds) {
    run.predictions.set(owner === null ? system : `${system}:${owner}`, e.predicted);
    run.eval.seconds += e.seconds;
    run.eval.images += e.predicted.length;
  }
}

/** Phase 1: the initial model's scores as round 0 of every system; returns its parameter count. */
async function scoreInitialModel(run: ConditionRun): Promise<number> {
  const { data, spec } = run;
  const initial = run.newModel();
  const parameters = initial.countParams();
  const systems = [...spec.topologies.map(SYSTEM.wt), ...(spec.centralised ? [SYSTEM.centralised] : []), ...(spec.alone ? [SYSTEM.alone] : [])];
  const e0 = await evaluate(initial, data.test, data.classes, spec.evalBatchSize);
  initial.dispose();
  for (const system of systems) run.curves.push({ system, owner: null, round: 0, accuracy: e0.accuracy, macroPrecision: e0.macroPrecision, macroRecall: e0.macroRecall });
  return parameters;
}

/**
 * Phase 2, per topology: weight transmission among the owners, scored after every round; with
 * `checkEquivalence` (and `wantEquivalence`), round 1 replayed as sequential SGD on the same batches.
 */
async function transmitWeights(
  run: ConditionRun,
  parts: readonly (readonly number[])[],
  topology: Topology,
  wantEquivalence: boolean,
): Promise<{ transmission: ConditionResult['transmissions'][number]; equivalence: ConditionResult['equivalence'] }> {
  const { data, spec } = run;
  const system = SYSTEM.wt(topology);
  const task = run.reporter.task(`${run.label}: ${system}, ${spec.owners} owners x ${spec.rounds} rounds`, spec.rounds * spec.owners);
  const key = SharedKey.generate();
  const owners = parts.map((indices, k) => new DataOwner(k, key, run.newModel(), data.train, indices, spec.batchSize, run.ownerRng(k), spec.optimizer));
  let afterRound1: NamedArray[] | undefined;
  let equivalence: ConditionResult['equivalence'] = null;
  try {
    const result = await runWeightTransmission(owners, {
      topology,
      rounds: spec.rounds,
      local: spec.local,
      order: spec.order,
      orderRng: run.condRng.child('owner-order'),
      onTurn: () => task.tick(),
      onRound: async (round, holder) => {
        if (round === 1) afterRound1 = readWeights(holder.model);
        await score(run, system, null, round, holder.model);
      },
    });
    task.done();
    const finals = owners.map((o) => readWeights(o.model));
    const identicalFinalModels = finals.every((w) => maxAbsDifference(w, finals[0]!) === 0);
    run.trainSeconds.set(system, result.turns.reduce((a, t) => a + t.trainSeconds + t.decryptSeconds + t.loadSeconds + t.serialiseSeconds + t.encryptSeconds, 0));
    if (spec.checkEquivalence && wantEquivalence && afterRound1) {
      const batches = result.turns.filter((t) => t.round === 1).flatMap((t) => t.batches);
      const replay = run.newModel();
      const variables = namedVariables(replay);
      const opt = new StatefulOptimizer(spec.optimizer, variables);
      await trainOnBatches(replay, opt, variables, data.train, batches);
      equivalence = { steps: batches.length, maxAbsDifference: maxAbsDifference(readWeights(replay), afterRound1) };
      opt.dispose();
      replay.dispose();
    }
    return { transmission: { topology, turns: result.turns, ledger: result.ledger, orders: result.orders, identicalFinalModels }, equivalence };
  } finally {
    owners.forEach((o) => o.model.dispose());
  }
}

/** Phase 3: the references, centralised SGD on the pooled data and each owner alone (and their mean curve). */
async function trainReferences(run: ConditionRun, parts: readonly (readonly number[])[]): Promise<void> {
  const { data, spec, curves } = run;
  const references: { system: string; owner: number | null; indices: readonly number[]; rng: Rng; batchesPerRound: (c: BatchCursor) => number }[] = [];
  const pooled = parts.flat().sort((a, b) => a - b);
  if (spec.centralised) {
    const perRound = (c: BatchCursor) => (spec.local.unit === 'epochs' ? spec.local.amount * c.batchesPerEpoch : spec.local.amount * spec.owners);
    references.push({ system: SYSTEM.centralised, owner: null, indices: pooled, rng: run.condRng.child('centralised'), batchesPerRound: perRound });
  }
  if (spec.alone) parts.forEach((indices, k) => references.push({ system: SYSTEM.alone, owner: k, indices, rng: run.ownerRng(k), batchesPerRound: (c) => c.turnBatches(spec.local) }));
  const aloneCurves = new Map<number, CurvePoint[]>();
  for (const ref of references) {
    const model = run.newModel();
    const variables = namedVariables(model);
    const opt = new StatefulOptimizer(spec.optimizer, variables);
    const cursor = new BatchCursor(ref.indices, spec.batchSize, ref.rng);
    const task = run.reporter.task(`${run.label}: ${ref.system}${ref.owner === null ? '' : ` (owner ${ref.owner})`}, ${spec.rounds} rounds`, spec.rounds);
    try {
      for (let round = 1; round <= spec.rounds; round++) {
        const r = await trainOnBatches(model, opt, variables, data.train, cursor.take(ref.batchesPerRound(cursor)));
        run.trainSeconds.set(ref.system, (run.trainSeconds.get(ref.system) ?? 0) + r.seconds);
        const before = curves.length;
        await score(run, ref.system, ref.owner, round, model);
        if (ref.owner !== null) aloneCurves.set(round, [...(aloneCurves.get(round) ?? []), curves[before]!]);
        task.tick();
      }
      task.done();
    } finally {
      opt.dispose();
      model.dispose();
    }
  }
  for (const [round, points] of aloneCurves) {
    const mean = (k: 'accuracy' | 'macroPrecision' | 'macroRecall') => points.reduce((a, p) => a + p[k], 0) / points.length;
    curves.push({ system: SYSTEM.alone, owner: null, round, accuracy: mean('accuracy'), macroPrecision: mean('macroPrecision'), macroRecall: mean('macroRecall') });
  }
}
