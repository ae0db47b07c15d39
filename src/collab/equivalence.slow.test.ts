import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initTensorflow } from '../models/runtime.js';
import { Rng } from '../util/rng.js';
import type { CollabData } from './data.js';
import { trainOnBatches, type LocalTraining } from './local-train.js';
import { buildCollabModel, namedVariables, readWeights } from './models.js';
import { StatefulOptimizer, type OptimizerSpec } from './optimizer.js';
import type { DataOwner } from './owner.js';
import type { NamedArray } from './serialise.js';
import { lenetOwners, tinyMnist } from '../testing/collab-fixtures.js';
import { runWeightTransmission, type OwnerOrder, type Topology, type TurnRecord } from './weight-transmission.js';

let data: CollabData;
let owners: DataOwner[] = [];
beforeAll(async () => {
  await initTensorflow('wasm');
  data = await tinyMnist();
});
afterEach(() => {
  owners.forEach((o) => o.model.dispose());
  owners = [];
});

const maxDiff = (a: readonly NamedArray[], b: readonly NamedArray[]) => a.reduce((m, w, i) => w.values.reduce((mm, v, j) => Math.max(mm, Math.abs(v - b[i]!.values[j]!)), m), 0);

/**
 * The reference, written independently of src/collab's training code: ONE model, tfjs's own
 * optimizer (`tf.train.sgd` / `tf.train.adam`), Keras's cross-entropy, over the given batches in
 * order. `restartEvery` restarts the optimizer (fresh state) before each group of batches.
 */
function sequential(batches: readonly (readonly number[])[], make: () => tf.Optimizer, restartAt: ReadonlySet<number> = new Set()): NamedArray[] {
  const model = buildCollabModel({ kind: 'lenet5' }, data.train.shape, data.classes.length, 7);
  const size = 28 * 28;
  let opt = make();
  batches.forEach((batch, b) => {
    if (restartAt.has(b)) {
      opt.dispose();
      opt = make();
    }
    const xs = tf.tensor4d(Float32Array.from(batch.flatMap((i) => Array.from(data.train.images.subarray(i * size, (i + 1) * size)))), [batch.length, 28, 28, 1]);
    const ys = tf.oneHot(tf.tensor1d(batch.map((i) => data.train.labels[i]!), 'int32'), data.classes.length);
    opt.minimize(() => tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.log(tf.clipByValue(model.apply(xs, { training: true }) as tf.Tensor, 1e-7, 1))), 1))) as tf.Scalar);
    tf.dispose([xs, ys]);
  });
  opt.dispose();
  const weights = readWeights(model);
  model.dispose();
  return weights;
}

async function transmit(optimizer: OptimizerSpec, topology: Topology, rounds: number, local: LocalTraining, order: OwnerOrder = 'fixed') {
  owners = lenetOwners(data, 3, optimizer);
  const afterRound: NamedArray[][] = [];
  const result = await runWeightTransmission(owners, { topology, rounds, local, order, orderRng: Rng.fromSeed(9), onRound: (_, holder) => void afterRound.push(readWeights(holder.model)) });
  const batchesUpTo = (round: number) => result.turns.filter((t: TurnRecord) => t.round <= round).flatMap((t) => t.batches);
  return { result, afterRound, batchesUpTo, final: owners.map((o) => readWeights(o.model)) };
}

describe('weight transmission is sequential SGD over the owners\' data concatenated in turn order', () => {
  const sgd: OptimizerSpec = { kind: 'sgd', learningRate: 0.1 };

  it('one pass per owner, server-aided: the weights after each round equal plain SGD (tf.train.sgd) over the concatenated batches', async () => {
    const { result, afterRound, batchesUpTo, final } = await transmit(sgd, 'server-aided', 2, { unit: 'epochs', amount: 1 });
    // Each owner's pass covers exactly its own images once per round.
    for (const t of result.turns) expect(new Set(t.batches.flat())).toEqual(new Set(owners[t.owner]!.cursor['indices']));
    for (const round of [1, 2]) {
      const reference = sequential(batchesUpTo(round), () => tf.train.sgd(0.1));
      expect(maxDiff(afterRound[round - 1]!, reference)).toBeLessThanOrEqual(1e-6);
    }
    // Training moved the weights, and every owner holds the final model after the distribution.
    expect(maxDiff(afterRound[0]!, sequential([], () => tf.train.sgd(0.1)))).toBeGreaterThan(1e-3);
    for (const w of final) expect(maxDiff(w, afterRound[1]!)).toBe(0);
  });

  it('holds for the fully connected topology, a shuffled owner order and turns of mini-batches too', async () => {
    const a = await transmit(sgd, 'fully-connected', 3, { unit: 'batches', amount: 2 }, 'shuffle');
    expect(a.result.orders.map((o) => o.join(''))).not.toEqual(['012', '012', '012']);
    expect(a.result.turns.every((t) => t.steps === 2)).toBe(true);
    expect(maxDiff(a.afterRound[2]!, sequential(a.batchesUpTo(3), () => tf.train.sgd(0.1)))).toBeLessThanOrEqual(1e-6);
  });

  it('the two topologies compute the same model (same orders, same seeds)', async () => {
    const s = await transmit(sgd, 'server-aided', 2, { unit: 'epochs', amount: 1 });
    const sFinal = s.final[0]!;
    owners.forEach((o) => o.model.dispose());
    const f = await transmit(sgd, 'fully-connected', 2, { unit: 'epochs', amount: 1 });
    expect(maxDiff(f.final[0]!, sFinal)).toBe(0);
  });

  it('with Adam, passing its moments and step count with the weights equals one Adam run over the concatenation; dropping them does not', async () => {
    const adam: OptimizerSpec = { kind: 'adam', learningRate: 0.01 };
    const { result, afterRound, batchesUpTo } = await transmit(adam, 'server-aided', 1, { unit: 'epochs', amount: 1 });
    const batches = batchesUpTo(1);
    // The same Adam in one model over the concatenated batches, nothing transmitted: equal.
    const own = buildCollabModel({ kind: 'lenet5' }, data.train.shape, data.classes.length, 7);
    const variables = namedVariables(own);
    const opt = new StatefulOptimizer(adam, variables);
    await trainOnBatches(own, opt, variables, data.train, batches);
    opt.dispose();
    const ownWeights = readWeights(own);
    own.dispose();
    expect(maxDiff(afterRound[0]!, ownWeights)).toBeLessThanOrEqual(1e-6);
    // The step count travelled in the payloads: the last owner ends at the round's total.
    expect(owners[2]!.heldOptimizerState.step).toBe(batches.length);
    // Our Adam is tfjs's (tf.train.adam) up to float32 rounding, which Adam amplifies for weights
    // whose gradients are near epsilon: within 1 % of the distance the weights moved.
    const initial = sequential([], () => tf.train.adam(0.01));
    const reference = sequential(batches, () => tf.train.adam(0.01, 0.9, 0.999, 1e-7));
    const moved = maxDiff(reference, initial);
    const passed = maxDiff(afterRound[0]!, reference);
    expect(passed).toBeLessThanOrEqual(0.01 * moved);
    // Restarting Adam at every owner (what passing the weights alone would do) is a different algorithm.
    let start = 0;
    const restarts = new Set(result.turns.map((t) => ((start += t.steps), start - t.steps)));
    const dropped = maxDiff(sequential(batches, () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), restarts), reference);
    expect(dropped).toBeGreaterThan(0.2 * moved);
  });
});
