import { decodeCiphertexts, encodeCiphertexts } from './channel.js';
import type { ClientEngine } from './engines.js';
import type { PaillierKeyPair } from './keys.js';
import type { ClientModelView } from './model-views.js';
import { pack, unpack, type SlotLayout } from './packing.js';
import { requantise } from './quantise.js';

/** What the client does with a reply: send the next message, or read the logits. */
export type ClientStep = { readonly next: Uint8Array } | { readonly logits: readonly Float64Array[] };

/**
 * The 2P-DNN client (the key holder). It packs the same pixel of up to `layout.slots` images into
 * one plaintext and encrypts it; after each hidden layer it decrypts the server's ciphertexts,
 * unpacks each image's pre-activation values (checking them against the layer's static bound:
 * an overflow throws a ProtocolError), applies the activation round trip of 2P-DNN (ReLU,
 * requantisation to the next layer's integer scale, saturation; `requantise`), packs and
 * re-encrypts them; after the last layer it decrypts the logits.
 *
 * What the client learns, per image: every hidden layer's integer pre-activation values (after
 * pooling and bias; 1,176 + 400 + 120 + 84 for MNIST LeNet-5), the 10 integer logits, and the
 * model's public view (sizes, bounds, requantisation constants) — not the weights, though the
 * pre-activations of chosen inputs reveal information about them, as in the original protocol.
 */
export class HeClient {
  constructor(
    private readonly keys: PaillierKeyPair,
    readonly view: ClientModelView,
    readonly layout: SlotLayout,
    private readonly engine: ClientEngine,
  ) {}

  /** Encryptions of one batch: the input pixels and every re-encrypted activation. */
  get encryptionsPerBatch(): number {
    return this.view.inputSize + this.view.layers.filter((l) => l.requant).reduce((a, l) => a + l.outputs, 0);
  }

  /** Offline phase of one batch: precomputes its encryption randomness. */
  offline(): Promise<void> {
    return this.engine.precompute(this.encryptionsPerBatch);
  }

  /** Encrypts `count` images (bytes, image after image), pixel p of every image in ciphertext p. */
  async encryptImages(pixels: Uint8Array, count: number): Promise<Uint8Array> {
    const size = this.view.inputSize;
    const plaintexts = new Array<bigint>(size);
    const values = new Array<number>(count);
    for (let p = 0; p < size; p++) {
      for (let s = 0; s < count; s++) values[s] = pixels[s * size + p]!;
      plaintexts[p] = pack(this.layout, this.keys.publicKey.n, values, 'input');
    }
    return encodeCiphertexts(this.keys.publicKey, 0, await this.engine.encrypt(plaintexts));
  }

  /** Handles the server's reply for layer `layer` for a batch of `count` images. */
  async receive(layer: number, message: Uint8Array, count: number): Promise<ClientStep> {
    const pk = this.keys.publicKey;
    const info = this.view.layers[layer]!;
    const plaintexts = await this.engine.decrypt(decodeCiphertexts(pk, 2 * layer + 1, info.outputs, message));
    const values = plaintexts.map((m, j) => unpack(this.layout, pk.n, m, count, info.bound, `${info.name} output ${j}`));
    if (!info.requant) {
      return { logits: Array.from({ length: count }, (_, s) => Float64Array.from(values, (v) => v[s]!)) };
    }
    const r = info.requant;
    const next = values.map((v) => pack(this.layout, pk.n, v.map((x) => requantise(x, r)), info.name));
    return { next: encodeCiphertexts(pk, 2 * (layer + 1), await this.engine.encrypt(next)) };
  }
}
