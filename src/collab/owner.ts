import type * as tf from '@tensorflow/tfjs';
import { open, seal, type Expectation, type MessageHeader, type SharedKey } from './envelope.js';
import { BatchCursor, trainOnBatches, type ImageSet, type LocalTraining } from './local-train.js';
import { namedVariables, readWeights, stateLayout, writeWeights } from './models.js';
import { StatefulOptimizer, type OptimizerSpec } from './optimizer.js';
import { deserialiseState, serialiseState, type OptimizerState } from './serialise.js';
import type { Rng } from '../util/rng.js';

/** Seconds and sizes of one owner's handling of a message. */
export interface CryptoTiming {
  /** AES-GCM decryption and tag check. */
  readonly decryptSeconds: number;
  /** Parsing the payload and loading weights into the model. */
  readonly loadSeconds: number;
  readonly serialiseSeconds: number;
  /** AES-GCM encryption. */
  readonly encryptSeconds: number;
}

/** What one local training turn did. */
export interface TurnTraining {
  readonly steps: number;
  readonly loss: number;
  readonly seconds: number;
  /** The mini-batches, in order (image indices), for equivalence checks. */
  readonly batches: readonly (readonly number[])[];
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/**
 * A data owner: its own images (indices into the pooled training set it alone holds), its local
 * copy of the model, the shared key, and the optimizer state it received. It decrypts a model,
 * trains on its own data, and encrypts the result for the next owner. A message that fails to
 * open or to parse changes nothing: the weights are loaded only after the whole payload checked.
 */
export class DataOwner {
  private optimizerState: OptimizerState;
  readonly cursor: BatchCursor;

  constructor(
    readonly index: number,
    private readonly key: SharedKey,
    readonly model: tf.LayersModel,
    private readonly data: ImageSet,
    indices: readonly number[],
    batchSize: number,
    orderRng: Rng,
    private readonly optimizer: OptimizerSpec,
  ) {
    this.cursor = new BatchCursor(indices, batchSize, orderRng);
    this.optimizerState = { kind: optimizer.kind, step: 0, slots: [] };
  }

  /** Opens a message and loads its model and optimizer state; throws (changing nothing) if it is rejected. */
  receive(message: Uint8Array, expect: Expectation): { header: MessageHeader; timing: Pick<CryptoTiming, 'decryptSeconds' | 'loadSeconds'> } {
    let t = performance.now();
    const { header, payload } = open(this.key, message, expect);
    const decryptSeconds = seconds(t);
    t = performance.now();
    const state = deserialiseState(payload, stateLayout(this.model, this.optimizer.kind));
    writeWeights(this.model, state.weights);
    this.optimizerState = state.optimizer;
    return { header, timing: { decryptSeconds, loadSeconds: seconds(t) } };
  }

  /** Trains on its own data for one turn, continuing the received optimizer state. */
  async train(local: LocalTraining): Promise<TurnTraining> {
    const variables = namedVariables(this.model);
    const opt = new StatefulOptimizer(this.optimizer, variables, this.optimizerState.slots.length > 0 || this.optimizerState.step > 0 ? this.optimizerState : undefined);
    try {
      const batches = this.cursor.take(this.cursor.turnBatches(local));
      const r = await trainOnBatches(this.model, opt, variables, this.data, batches);
      this.optimizerState = opt.state();
      return { ...r, batches };
    } finally {
      opt.dispose();
    }
  }

  /** Serialises and encrypts its current model and optimizer state. */
  send(header: MessageHeader): { message: Uint8Array; payloadBytes: number; timing: Pick<CryptoTiming, 'serialiseSeconds' | 'encryptSeconds'> } {
    let t = performance.now();
    const payload = serialiseState({ weights: readWeights(this.model), optimizer: this.optimizerState });
    const serialiseSeconds = seconds(t);
    t = performance.now();
    const message = seal(this.key, header, payload);
    return { message, payloadBytes: payload.length, timing: { serialiseSeconds, encryptSeconds: seconds(t) } };
  }

  /** The optimizer state it holds (step count and slots). */
  get heldOptimizerState(): OptimizerState {
    return this.optimizerState;
  }
}
