import { layerGraph, splitInputs, type LayerGraph } from './graph.js';
import { combineAccumulators, type PartialAccumulators } from './kernels.js';
import type { PaillierKeyPair, PaillierPublicKey } from './keys.js';
import { biasIndex, type ServerModel } from './model-views.js';
import { onesVector, type SlotLayout } from './packing.js';
import { encryptWith, plaintextTerm } from './paillier.js';
import { chunks, HePool } from './pool.js';
import type { RandomnessMethod } from './randomness.js';
import { layerOutputs } from '../models/lenet/network.js';

/** The server's homomorphic arithmetic: one linear layer (bias included) on ciphertexts. */
export interface ServerEngine {
  evaluate(layer: number, inputs: readonly bigint[]): Promise<bigint[]>;
  close(): Promise<void>;
}

/** The client's cryptography: offline randomness, encryption, decryption. */
export interface ClientEngine {
  /** Offline: prepares randomness for `count` later encryptions. */
  precompute(count: number): Promise<void>;
  encrypt(plaintexts: readonly bigint[]): Promise<bigint[]>;
  decrypt(ciphertexts: readonly bigint[]): Promise<bigint[]>;
  /** Encryptions that found no precomputed randomness (computed online instead). */
  readonly onlineResidues: number;
  close(): Promise<void>;
}

/**
 * The optimised server: folded conv-pool layers, input-stationary power chains and batched
 * inversion (`kernels.ts`), split by inputs over a pool of `workers` threads; the main thread
 * multiplies the partial accumulators together with the bias term g^(b * ones), b in every slot.
 */
export async function optimisedServerEngine(pk: PaillierPublicKey, model: ServerModel, layout: SlotLayout, workers: number): Promise<ServerEngine> {
  const pool = await HePool.start({ role: 'server', n: pk.n, layers: model.layers.map((l) => ({ spec: l.spec, weights: l.weights })) }, workers);
  const graphs: LayerGraph[] = model.layers.map((l) => layerGraph(l.spec, l.weights));
  const ones = onesVector(layout);
  const biasTerms = model.layers.map((l) => Array.from({ length: layerOutputs(l.spec) }, (_, j) => plaintextTerm(pk, BigInt(l.bias[biasIndex(l.spec, j)]!) * ones)));
  return {
    async evaluate(layer, inputs) {
      const graph = graphs[layer]!;
      const tasks = splitInputs(graph, pool.size).map(([from, to]) => ({ op: 'accumulate' as const, layer, from, inputs: inputs.slice(from, to) }));
      const parts = await pool.run<PartialAccumulators>(tasks);
      return combineAccumulators(parts, biasTerms[layer]!, pk.n2);
    },
    close: () => pool.close(),
  };
}

/**
 * The optimised client: randomness (n-th residues) precomputed offline by `randomness`
 * (`fixed-base` with safe primes, else `crt`) on a pool of `workers` threads; online encryption
 * is one product modulo n per value; CRT decryption split over the pool.
 */
export async function optimisedClientEngine(keys: PaillierKeyPair, workers: number, randomness: RandomnessMethod): Promise<ClientEngine> {
  const sk = keys.privateKey;
  const pk = keys.publicKey;
  const pool = await HePool.start({ role: 'client', p: sk.p, q: sk.q, safePrimes: sk.safePrimes, randomness }, workers);
  const residues: bigint[] = [];
  let onlineResidues = 0;
  const makeResidues = async (count: number): Promise<bigint[]> => {
    const sizes = chunks(Array.from({ length: count }), pool.size).map((c) => c.items.length);
    return (await pool.run<bigint[]>(sizes.map((n) => ({ op: 'residues' as const, count: n })))).flat();
  };
  return {
    async precompute(count) {
      if (count > 0) residues.push(...(await makeResidues(count)));
    },
    async encrypt(plaintexts) {
      const missing = plaintexts.length - residues.length;
      if (missing > 0) {
        onlineResidues += missing;
        residues.push(...(await makeResidues(missing)));
      }
      return plaintexts.map((m) => encryptWith(pk, m, residues.pop()!));
    },
    async decrypt(ciphertexts) {
      const parts = chunks(ciphertexts, pool.size).map((c) => ({ op: 'decrypt' as const, ciphertexts: c.items }));
      return (await pool.run<bigint[]>(parts)).flat();
    },
    get onlineResidues() {
      return onlineResidues;
    },
    close: () => pool.close(),
  };
}
