import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { decodeCiphertexts, encodeCiphertexts, HEADER_BYTES } from './channel.js';
import { HeClient } from './client.js';
import { optimisedClientEngine } from './engines.js';
import { generateKeyPair, type PaillierKeyPair } from './keys.js';
import { clientView } from './model-views.js';
import { estimateNaive } from './naive-estimate.js';
import { lenetPlan } from '../models/lenet/network.js';
import { pack, slotLayout } from './packing.js';
import { encryptWith } from './paillier.js';
import { runEncryptedInference } from './protocol.js';
import { quantiseModel, type QuantisedModel } from './quantise.js';
import { residueSource } from './randomness.js';
import { integerForward } from './reference.js';
import { mnistBytes, randomFloatWeights } from '../testing/he-fixtures.js';

const IMAGES = 12;
let model: QuantisedModel;
let keys: PaillierKeyPair;
let pixels: Uint8Array;
let reference: Float64Array[];

beforeAll(async () => {
  const plan = lenetPlan(28, 28, 1);
  const mnist = await mnistBytes(2);
  pixels = mnist.pixels.subarray(0, IMAGES * 784);
  model = quantiseModel(plan, randomFloatWeights(plan, Rng.fromSeed('he-protocol')), mnist.pixels, { weightBits: 8, activationBits: 8 });
  keys = await generateKeyPair({ bits: 256, insecureKeySize: true });
  reference = Array.from({ length: IMAGES }, (_, k) => integerForward(model, pixels.subarray(k * 784, (k + 1) * 784)).logits);
});

describe('2P-DNN protocol on real MNIST digits', () => {
  it('decrypts exactly the integer reference logits, batch by batch, with the counted bytes', async () => {
    const result = await runEncryptedInference(model, keys, pixels, IMAGES, { implementation: 'optimised', workers: 1, maxSlots: 5 });
    expect(result.layout.slots).toBe(5);
    expect(result.batches.map((b) => b.images)).toEqual([5, 5, 2]);
    result.logits.forEach((l, k) => expect(Array.from(l)).toEqual(Array.from(reference[k]!)));
    expect(Array.from(result.predictions)).toEqual(reference.map((l) => l.indexOf(Math.max(...l))));
    // 256-bit keys: 64-byte ciphertexts. Up: 784 pixels + 1,176 + 400 + 120 + 84 activations;
    // down: 1,176 + 400 + 120 + 84 pre-activations + 10 logits; one 5-byte header per message.
    const c = keys.publicKey.ciphertextBytes;
    expect(c).toBe(64);
    for (const b of result.batches) {
      expect(b.traffic).toEqual({
        bytesClientToServer: (784 + 1176 + 400 + 120 + 84) * c + 5 * HEADER_BYTES,
        bytesServerToClient: (1176 + 400 + 120 + 84 + 10) * c + 5 * HEADER_BYTES,
        messagesClientToServer: 5,
        messagesServerToClient: 5,
        roundTrips: 5,
      });
    }
    expect(result.onlineResidues).toBe(0);
  });

  it('gives the same logits with the naive implementation (library calls, one image per ciphertext)', async () => {
    // A 12 x 12 LeNet keeps the naive run short (about 25,000 products instead of 400,000).
    const small = lenetPlan(12, 12, 1);
    const rng = Rng.fromSeed('he-protocol-naive');
    const images = Uint8Array.from({ length: 2 * 144 }, () => rng.nextInt(256));
    const q = quantiseModel(small, randomFloatWeights(small, rng), images, { weightBits: 8, activationBits: 8 });
    const result = await runEncryptedInference(q, keys, images, 2, { implementation: 'naive' });
    expect(result.layout.slots).toBe(1);
    expect(result.batches).toHaveLength(2);
    for (let k = 0; k < 2; k++) expect(Array.from(result.logits[k]!)).toEqual(Array.from(integerForward(q, images.subarray(k * 144, (k + 1) * 144)).logits));
  });

  it('measures the naive server on sampled outputs of real ciphertexts, each equal to the reference', () => {
    const estimate = estimateNaive(model, keys, pixels.subarray(0, 784), 0.5);
    expect(estimate.exact).toBe(true);
    expect(estimate.layers.map((l) => l.outputs)).toEqual([1176, 400, 120, 84, 10]);
    expect(estimate.layers.every((l) => l.sampled >= 2 && l.seconds >= l.measuredSeconds)).toBe(true);
  });

  it('gives the same logits on two worker threads per party', async () => {
    const result = await runEncryptedInference(model, keys, pixels, IMAGES, { implementation: 'optimised', workers: 2 });
    result.logits.forEach((l, k) => expect(Array.from(l)).toEqual(Array.from(reference[k]!)));
  });

  it('reports an overflow of a decrypted value instead of wrapping it', async () => {
    const layout = slotLayout(keys.publicKey.n, model.slotBits);
    const engine = await optimisedClientEngine(keys, 1, 'fixed-base');
    const client = new HeClient(keys, clientView(model), layout, engine);
    const outputs = clientView(model).layers[0]!.outputs;
    const source = residueSource(keys.privateKey, 'fixed-base');
    const over = model.layers[0]!.bound + 1;
    const cts = Array.from({ length: outputs }, (_, j) => encryptWith(keys.publicKey, pack(layout, keys.publicKey.n, [j === 3 ? over : 0]), source.next()));
    await expect(client.receive(0, encodeCiphertexts(keys.publicKey, 1, cts), 1)).rejects.toThrow(ProtocolError);
    await expect(client.receive(0, encodeCiphertexts(keys.publicKey, 1, cts), 1)).rejects.toThrow(/conv1 output 3: overflow: slot 0 holds/);
    await engine.close();
  });

  it('refuses a model whose values need more bits than the plaintext space has', async () => {
    const wide = { ...model, slotBits: 300 };
    await expect(runEncryptedInference(wide, keys, pixels, 1, { implementation: 'optimised' })).rejects.toThrow(/overflow: a 256-bit plaintext space cannot hold one 300-bit slot/);
  });

  it('rejects malformed messages', () => {
    const pk = keys.publicKey;
    const bytes = encodeCiphertexts(pk, 2, [5n, 7n]);
    expect(decodeCiphertexts(pk, 2, 2, bytes)).toEqual([5n, 7n]);
    expect(() => decodeCiphertexts(pk, 4, 2, bytes)).toThrow(/unexpected step/);
    expect(() => decodeCiphertexts(pk, 2, 3, bytes)).toThrow(/expected 3/);
    expect(() => decodeCiphertexts(pk, 2, 2, bytes.subarray(0, bytes.length - 1))).toThrow(/bytes, expected/);
    const zero = encodeCiphertexts(pk, 2, [0n]);
    expect(() => decodeCiphertexts(pk, 2, 1, zero)).toThrow(/not an element/);
  });
});
