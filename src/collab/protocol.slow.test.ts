import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { initTensorflow } from '../models/runtime.js';
import { Rng } from '../util/rng.js';
import type { CollabData } from './data.js';
import { HEADER_BYTES, NONCE_BYTES, open, readHeader, seal, SharedKey, TAG_BYTES } from './envelope.js';
import { readWeights } from './models.js';
import type { DataOwner } from './owner.js';
import { deserialiseState, payloadBytes, serialiseState, type NamedArray, type TrainingState } from './serialise.js';
import { lenetOwners, tinyMnist } from '../testing/collab-fixtures.js';
import { Ledger, RelayServer } from './transport.js';
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

const same = (a: readonly NamedArray[], b: readonly NamedArray[]) => a.every((w, i) => w.values.every((v, j) => v === b[i]!.values[j]));
const flip = (message: Uint8Array, at: number) => {
  const copy = message.slice();
  copy[at]! ^= 0x01;
  return copy;
};

describe('AES-256-GCM envelope', () => {
  const key = SharedKey.generate();
  const payload = Uint8Array.from({ length: 100 }, (_, i) => i);
  const header = { round: 2, seq: 5, sender: 1, receiver: 2 };

  it('round-trips, with a fresh nonce per message and the stated size', () => {
    const a = seal(key, header, payload);
    const b = seal(key, header, payload);
    expect(a.length).toBe(HEADER_BYTES + NONCE_BYTES + payload.length + TAG_BYTES);
    expect(Buffer.from(a.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES)).equals(Buffer.from(b.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES)))).toBe(false);
    expect(Array.from(open(key, a, { seq: 5, sender: 1, receiver: 2 }).payload)).toEqual(Array.from(payload));
    expect(readHeader(a)).toEqual({ ...header, payloadLength: 100 });
  });

  it('rejects a modified byte anywhere (header, nonce, ciphertext, tag) and another key', () => {
    const m = seal(key, header, payload);
    for (const at of [6, 10, HEADER_BYTES + 3, HEADER_BYTES + NONCE_BYTES + 50, m.length - 1]) {
      expect(() => open(key, flip(m, at), { seq: 5 })).toThrow(/authentication failed/);
    }
    expect(() => open(SharedKey.generate(), m, { seq: 5 })).toThrow(/authentication failed: .* another key/);
    expect(() => open(key, m.subarray(0, m.length - 1), { seq: 5 })).toThrow(ProtocolError);
  });

  it('rejects a replayed (older) version, a skipped one, another sender and another receiver', () => {
    const m = seal(key, header, payload);
    expect(() => open(key, m, { seq: 7 })).toThrow(/replayed or stale model: version 5, expected version 7; rejected, nothing loaded/);
    expect(() => open(key, m, { seq: 4 })).toThrow(/from the future/);
    expect(() => open(key, m, { seq: 5, sender: 0 })).toThrow(/expected the model from owner 0/);
    expect(() => open(key, m, { seq: 5, receiver: 0 })).toThrow(/addressed to owner 2, not owner 0/);
  });

  it('never lets the key out as text', () => {
    expect(() => JSON.stringify({ key })).toThrow(/refusing to serialise/);
    expect(() => `${key}`).toThrow(/refusing/);
  });
});

describe('training-state payload', () => {
  const state: TrainingState = {
    weights: [
      { name: 'a/kernel', shape: [2, 3], values: Float32Array.from([1, -2, 3.5, 1e-30, Number.MAX_VALUE, -0]) },
      { name: 'a/bias', shape: [3], values: Float32Array.from([0.1, 0.2, 0.3]) },
    ],
    optimizer: { kind: 'sgd', step: 12, slots: [] },
  };
  const layout = { weights: state.weights.map((w) => ({ name: w.name, shape: w.shape })), optimizer: 'sgd' as const };

  it('round-trips bit for bit, with the documented size', () => {
    const bytes = serialiseState(state);
    // 18 + (2 + 8 + 1 + 8 + 24) + (2 + 6 + 1 + 4 + 12)
    expect(bytes.length).toBe(86);
    expect(payloadBytes(state)).toBe(86);
    const back = deserialiseState(bytes, layout);
    expect(back.optimizer).toEqual(state.optimizer);
    back.weights.forEach((w, i) => expect(Array.from(w.values)).toEqual(Array.from(state.weights[i]!.values)));
  });

  it('refuses a payload that does not fit the receiver\'s model', () => {
    const bytes = serialiseState(state);
    expect(() => deserialiseState(bytes, { ...layout, optimizer: 'adam' })).toThrow(/carries sgd state, the receiver trains with adam/);
    expect(() => deserialiseState(bytes, { ...layout, weights: [layout.weights[0]!, { name: 'a/bias', shape: [4] }] })).toThrow(/tensor a\/bias \[3\] where the receiver's model has a\/bias \[4\]/);
    expect(() => deserialiseState(bytes.subarray(0, 50), layout)).toThrow(/truncated/);
  });
});

describe('an attacker controlling the server or a link', () => {
  const run = (topology: Topology, beforeReceive: Parameters<typeof runWeightTransmission>[1]['beforeReceive']) =>
    runWeightTransmission(owners, { topology, rounds: 2, local: { unit: 'epochs', amount: 1 }, order: 'fixed', orderRng: Rng.fromSeed(1), ...(beforeReceive ? { beforeReceive } : {}) });

  it('a replayed old ciphertext is rejected by the owner, whose model is left as it was', async () => {
    owners = lenetOwners(data, 3, { kind: 'sgd', learningRate: 0.1 });
    let first: Uint8Array | undefined;
    let before: NamedArray[] = [];
    const attempt = run('server-aided', ({ round, owner, server }) => {
      if (round === 1 && owner === 1) first = server!.peek();
      if (round === 2 && owner === 0) {
        before = readWeights(owners[0]!.model);
        server!.replaceStored(first!); // version 1 instead of version 3
      }
    });
    await expect(attempt).rejects.toThrow(/owner 0\): a replayed or stale model: version 1, expected version 3; rejected, nothing loaded/);
    expect(same(readWeights(owners[0]!.model), before)).toBe(true);
    expect(owners[0]!.heldOptimizerState.step).toBe(2);
  });

  it('a tampered ciphertext on a direct link is rejected and nothing is overwritten', async () => {
    owners = lenetOwners(data, 3, { kind: 'adam', learningRate: 0.01 });
    let before: NamedArray[] = [];
    let stepBefore = -1;
    const attempt = run('fully-connected', ({ round, owner, links }) => {
      if (round === 1 && owner === 2) {
        before = readWeights(owners[2]!.model);
        stepBefore = owners[2]!.heldOptimizerState.step;
        links!.tamperNext(2, (m) => flip(m, HEADER_BYTES + NONCE_BYTES + 1000));
      }
    });
    await expect(attempt).rejects.toThrow(/round 1, version 2\): authentication failed/);
    expect(same(readWeights(owners[2]!.model), before)).toBe(true);
    expect(owners[2]!.heldOptimizerState.step).toBe(stepBefore);
  });

  it('the server refuses an upload that is not the next version, keeping what it stores', () => {
    const key = SharedKey.generate();
    const server = new RelayServer(new Ledger());
    const m = (seq: number) => seal(key, { round: 1, seq, sender: 0, receiver: 1 }, new Uint8Array(10));
    server.upload(0, m(1), 1);
    const v2 = m(2);
    server.upload(1, v2, 1);
    expect(() => server.upload(2, m(1), 1)).toThrow(/carries model version 1, the stored one is 2: only version 3 is accepted; kept the stored model/);
    expect(() => server.upload(2, m(2), 1)).toThrow(/only version 3/);
    expect(Array.from(server.peek()!)).toEqual(Array.from(v2));
    expect(server.version).toBe(2);
  });
});
