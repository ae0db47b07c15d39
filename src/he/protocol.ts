import { ProtocolError } from '../errors.js';
import { CountingChannel, type TrafficStats } from './channel.js';
import { HeClient } from './client.js';
import { optimisedClientEngine, optimisedServerEngine, type ClientEngine, type ServerEngine } from './engines.js';
import type { PaillierKeyPair } from './keys.js';
import { clientView, serverModel } from './model-views.js';
import { naiveClientEngine, naiveServerEngine } from './naive.js';
import { argmax } from '../models/lenet/network.js';
import { slotLayout, type SlotLayout } from './packing.js';
import type { QuantisedModel } from './quantise.js';
import type { RandomnessMethod } from './randomness.js';
import { HeServer } from './server.js';

/** Which implementation evaluates the protocol. */
export type Implementation = 'optimised' | 'naive';

/** Options of {@link runEncryptedInference}. */
export interface EncryptedInferenceOptions {
  readonly implementation: Implementation;
  /** Threads per party for the optimised implementation (1: inline). The naive one uses one. */
  readonly workers?: number;
  /** At most this many images per ciphertext (default: as many slots as fit). Naive: always 1. */
  readonly maxSlots?: number;
  /** Offline randomness of the optimised client (default: fixed-base with safe primes, else crt). */
  readonly randomness?: RandomnessMethod;
  /** Called after each batch. */
  readonly onBatch?: (stats: BatchStats) => void;
}

/** Measurements of one batch (one set of ciphertexts carrying `images` images). */
export interface BatchStats {
  readonly images: number;
  /** Client: randomness precomputation (offline). */
  readonly offlineSeconds: number;
  /** Online wall time (client + server, sequential). */
  readonly onlineSeconds: number;
  /** Online client time: packing, encryption, decryption, activations. */
  readonly clientSeconds: number;
  /** Server time per layer. */
  readonly serverLayerSeconds: readonly number[];
  readonly traffic: TrafficStats;
}

/** The outcome of {@link runEncryptedInference}. */
export interface EncryptedInferenceResult {
  readonly implementation: Implementation;
  readonly layout: SlotLayout;
  readonly predictions: Int32Array;
  /** Decrypted integer logits per image. */
  readonly logits: readonly Float64Array[];
  readonly batches: readonly BatchStats[];
  /** Starting the threads, the server's graphs and the client's randomness tables (once per run). */
  readonly setupSeconds: number;
  /** Encryptions whose randomness was computed online (0 when the offline phase covered all). */
  readonly onlineResidues: number;
}

const seconds = (start: number) => (performance.now() - start) / 1000;

/**
 * Runs the 2P-DNN protocol on `count` images (bytes, H x W x C each, back to back), batch by
 * batch: offline, the client precomputes the batch's randomness; online, the client sends the
 * encrypted pixels, then for each layer the server evaluates it on ciphertexts and replies, and
 * the client either re-encrypts the activations (hidden layers: 4 activation round trips for
 * LeNet-5) or decrypts the logits. Client and server exchange bytes through a counting channel.
 */
export async function runEncryptedInference(model: QuantisedModel, keys: PaillierKeyPair, pixels: Uint8Array, count: number, options: EncryptedInferenceOptions): Promise<EncryptedInferenceResult> {
  const pk = keys.publicKey;
  const naive = options.implementation === 'naive';
  const workers = naive ? 1 : Math.max(1, options.workers ?? 1);
  // Throws (overflow) unless one slot of the model's width fits the plaintext space.
  const packed = slotLayout(pk.n, model.slotBits, options.maxSlots);
  const layout = naive ? slotLayout(pk.n, pk.bits - 1) : packed;
  const view = clientView(model);
  const size = view.inputSize;
  if (pixels.length < count * size) throw new ProtocolError('runEncryptedInference', `${pixels.length} bytes for ${count} images of ${size}`);
  const started = performance.now();
  const randomness = options.randomness ?? (keys.privateKey.safePrimes ? 'fixed-base' : 'crt');
  let clientEngine: ClientEngine | undefined;
  let serverEngine: ServerEngine | undefined;
  try {
    clientEngine = naive ? naiveClientEngine(keys) : await optimisedClientEngine(keys, workers, randomness);
    serverEngine = naive ? naiveServerEngine(keys, serverModel(model)) : await optimisedServerEngine(pk, serverModel(model), layout, workers);
    // Each client thread builds its randomness tables on its first task: part of the setup.
    if (!naive) await clientEngine.precompute(workers);
    const setupSeconds = seconds(started);
    const client = new HeClient(keys, view, layout, clientEngine);
    const server = new HeServer(pk, serverModel(model), serverEngine);
    const predictions = new Int32Array(count);
    const logits: Float64Array[] = [];
    const batches: BatchStats[] = [];
    for (let first = 0; first < count; first += layout.slots) {
      const images = Math.min(layout.slots, count - first);
      const channel = new CountingChannel();
      let t = performance.now();
      if (!naive) await client.offline();
      const offlineSeconds = naive ? 0 : seconds(t);
      const online = performance.now();
      let clientSeconds = 0;
      const serverLayerSeconds: number[] = [];
      t = performance.now();
      let up = channel.toServer(await client.encryptImages(pixels.subarray(first * size, (first + images) * size), images));
      clientSeconds += seconds(t);
      for (let l = 0; l < server.layers; l++) {
        t = performance.now();
        const reply = channel.toClient(await server.handle(l, up));
        serverLayerSeconds.push(seconds(t));
        t = performance.now();
        const step = await client.receive(l, reply, images);
        clientSeconds += seconds(t);
        if ('next' in step) {
          up = channel.toServer(step.next);
        } else {
          step.logits.forEach((row, s) => {
            logits.push(row);
            predictions[first + s] = argmax(row);
          });
        }
      }
      const stats: BatchStats = { images, offlineSeconds, onlineSeconds: seconds(online), clientSeconds, serverLayerSeconds, traffic: { ...channel.stats } };
      batches.push(stats);
      options.onBatch?.(stats);
    }
    return { implementation: options.implementation, layout, predictions, logits, batches, setupSeconds, onlineResidues: clientEngine.onlineResidues };
  } finally {
    await Promise.all([clientEngine?.close(), serverEngine?.close()]);
  }
}

/** Per-image averages of a run's batches (time amortised over the images of each batch). */
export interface PerImageCost {
  readonly images: number;
  readonly offlineSeconds: number;
  readonly onlineSeconds: number;
  readonly clientSeconds: number;
  readonly serverSeconds: number;
  readonly totalSeconds: number;
  readonly bytesClientToServer: number;
  readonly bytesServerToClient: number;
  readonly roundTripsPerBatch: number;
}

/** Sums a run's batches into per-image figures. */
export function perImageCost(result: EncryptedInferenceResult): PerImageCost {
  const images = result.batches.reduce((a, b) => a + b.images, 0);
  const sum = (f: (b: BatchStats) => number) => result.batches.reduce((a, b) => a + f(b), 0) / images;
  const offline = sum((b) => b.offlineSeconds);
  const online = sum((b) => b.onlineSeconds);
  return {
    images,
    offlineSeconds: offline,
    onlineSeconds: online,
    clientSeconds: sum((b) => b.clientSeconds),
    serverSeconds: sum((b) => b.serverLayerSeconds.reduce((a, s) => a + s, 0)),
    totalSeconds: offline + online,
    bytesClientToServer: sum((b) => b.traffic.bytesClientToServer),
    bytesServerToClient: sum((b) => b.traffic.bytesServerToClient),
    roundTripsPerBatch: result.batches[0]?.traffic.roundTrips ?? 0,
  };
}
