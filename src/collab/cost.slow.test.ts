import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initTensorflow } from '../models/runtime.js';
import { Rng } from '../util/rng.js';
import type { CollabData } from './data.js';
import { HEADER_BYTES, NONCE_BYTES, TAG_BYTES } from './envelope.js';
import type { OptimizerSpec } from './optimizer.js';
import type { DataOwner } from './owner.js';
import { lenetOwners, tinyMnist } from '../testing/collab-fixtures.js';
import { runWeightTransmission, type Topology } from './weight-transmission.js';

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

// LeNet-5 on 28 x 28 x 1 with 3 classes, by hand: 150 + 6 + 2,400 + 16 + 48,000 + 120 + 10,080 +
// 84 + 252 + 3 = 61,111 weights. Per-array overhead (2 + name + 1 + 4 x rank): conv kernels
// 2 x 31, conv biases 2 x 17, dense kernels 3 x 21, dense biases 3 x 15 = 204; preamble 18.
const WEIGHTS = 61_111;
const SGD_PAYLOAD = 18 + 204 + 4 * WEIGHTS;
// Adam adds two slots per weight array, named `<weight>/m` and `<weight>/v` (2 more name bytes each).
const ADAM_PAYLOAD = SGD_PAYLOAD + 2 * (204 + 10 * 2 + 4 * WEIGHTS);
const message = (payload: number) => HEADER_BYTES + NONCE_BYTES + payload + TAG_BYTES;

async function run(topology: Topology, optimizer: OptimizerSpec, ownerCount = 3, rounds = 2, order: 'fixed' | 'shuffle' = 'fixed', seed = 1) {
  owners = lenetOwners(data, ownerCount, optimizer);
  return runWeightTransmission(owners, { topology, rounds, local: { unit: 'batches', amount: 1 }, order, orderRng: Rng.fromSeed(seed) });
}

describe('cost accounting of weight transmission', () => {
  it('server-aided, K = 3, 2 rounds, fixed order: every message, owner and server counted exactly (and no tensor leaks)', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const { ledger, turns } = await run('server-aided', { kind: 'sgd', learningRate: 0.1 });
    owners.forEach((o) => o.model.dispose());
    owners = [];
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const M = message(SGD_PAYLOAD);
    expect(M).toBe(244_715);
    expect(turns.map((t) => t.messageBytes)).toEqual([M, M, M, M, M, M]);
    expect(turns.map((t) => t.payloadBytes)).toEqual(new Array(6).fill(SGD_PAYLOAD));
    // Round 1: owner 0 starts from the agreed initial model (no download); owners 1, 2 download.
    expect(ledger.totals(0, { round: 1, phase: 'training' })).toEqual({ bytesSent: M, bytesReceived: 0, messagesSent: 1, messagesReceived: 0 });
    expect(ledger.totals(1, { round: 1, phase: 'training' })).toEqual({ bytesSent: M, bytesReceived: M, messagesSent: 1, messagesReceived: 1 });
    expect(ledger.totals('server', { round: 1, phase: 'training' })).toEqual({ bytesSent: 2 * M, bytesReceived: 3 * M, messagesSent: 2, messagesReceived: 3 });
    expect(ledger.totals('server', { round: 2, phase: 'training' })).toEqual({ bytesSent: 3 * M, bytesReceived: 3 * M, messagesSent: 3, messagesReceived: 3 });
    // Final: owners 0 and 1 download the model owner 2 uploaded last.
    expect(ledger.totals('server', { phase: 'final' })).toEqual({ bytesSent: 2 * M, bytesReceived: 0, messagesSent: 2, messagesReceived: 0 });
    expect(ledger.totals(2, { phase: 'final' }).messagesReceived).toBe(0);
    expect(ledger.totalBytes()).toBe(13 * M);
  });

  it('fully connected, with Adam state in the payload: K messages per round (a message counts in the round it is sent), none after the last turn, K - 1 in the final distribution, no server', async () => {
    const { ledger, turns } = await run('fully-connected', { kind: 'adam', learningRate: 0.01 });
    const M = message(ADAM_PAYLOAD);
    // The last turn of all sends nothing during training (the final distribution follows).
    expect(turns.map((t) => t.messageBytes)).toEqual([M, M, M, M, M, 0]);
    expect(ledger.transfers.filter((t) => t.phase === 'training').map((t) => `${t.round}:${t.from}->${t.to}`)).toEqual(['1:0->1', '1:1->2', '1:2->0', '2:0->1', '2:1->2']);
    expect(ledger.transfers.filter((t) => t.phase === 'final').map((t) => `${t.from}->${t.to}`)).toEqual(['2->0', '2->1']);
    expect(ledger.totals('server')).toEqual({ bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 });
    expect(ledger.totalBytes()).toBe(7 * M);
  });

  it('an owner that follows itself (shuffled order) neither downloads nor is sent anything', async () => {
    // Seed 3 gives K = 2 orders in which round r's last owner is round r + 1's first.
    const sa = await run('server-aided', { kind: 'sgd', learningRate: 0.1 }, 2, 4, 'shuffle', 3);
    const sequence = sa.turns.map((t) => t.owner);
    const repeats = sequence.filter((o, i) => i > 0 && sequence[i - 1] === o).length;
    expect(repeats).toBeGreaterThan(0);
    const M = message(SGD_PAYLOAD);
    expect(sa.ledger.totals('server', { phase: 'training' })).toEqual({ bytesReceived: 8 * M, messagesReceived: 8, bytesSent: (7 - repeats) * M, messagesSent: 7 - repeats });
    owners.forEach((o) => o.model.dispose());
    const fc = await run('fully-connected', { kind: 'sgd', learningRate: 0.1 }, 2, 4, 'shuffle', 3);
    expect(fc.turns.map((t) => t.owner)).toEqual(sequence);
    expect(fc.ledger.transfers.filter((t) => t.phase === 'training')).toHaveLength(7 - repeats);
    expect(fc.turns.filter((t, i) => i > 0 && sequence[i - 1] === t.owner).every((t) => t.decryptSeconds === 0)).toBe(true);
  });
});
