import { decodeCiphertexts, encodeCiphertexts } from './channel.js';
import type { ServerEngine } from './engines.js';
import type { PaillierPublicKey } from './keys.js';
import type { ServerModel } from './model-views.js';
import { layerInputs } from '../models/lenet/network.js';

/**
 * The 2P-DNN server: holds the public key and the integer model, receives ciphertexts (bytes),
 * evaluates one linear layer (convolution + pooling, or dense, with its bias) homomorphically and
 * returns the resulting ciphertexts (bytes). It holds no key material and never sees a
 * plaintext: everything it receives is an element of Z_(n^2) under the client's key.
 *
 * Message steps: the client's message 2l carries the inputs of layer l; the server's reply 2l + 1
 * carries layer l's outputs (pre-activations, or the logits for the last layer).
 */
export class HeServer {
  constructor(
    private readonly publicKey: PaillierPublicKey,
    private readonly model: ServerModel,
    private readonly engine: ServerEngine,
  ) {}

  /** Number of layers (one request each). */
  get layers(): number {
    return this.model.layers.length;
  }

  /** Handles the client's message for layer `layer`; returns the reply. */
  async handle(layer: number, message: Uint8Array): Promise<Uint8Array> {
    const spec = this.model.layers[layer]!.spec;
    const inputs = decodeCiphertexts(this.publicKey, 2 * layer, layerInputs(spec), message);
    const outputs = await this.engine.evaluate(layer, inputs);
    return encodeCiphertexts(this.publicKey, 2 * layer + 1, outputs);
  }
}
