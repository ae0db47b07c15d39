import { decryptCrt } from './paillier.js';
import { layerGraph, type LayerGraph } from './graph.js';
import { accumulateChunk, type PartialAccumulators } from './kernels.js';
import { privateKeyOf } from './keys.js';
import type { LayerSpec } from '../models/lenet/network.js';
import { residueSource, type RandomnessMethod, type ResidueSource } from './randomness.js';

/**
 * The work a pool thread does, for one party. A server thread is set up with the public modulus
 * and the integer layers only; a client thread with the key holder's primes only. Plain data
 * throughout (structured clone carries bigint).
 */
export type WorkerInit =
  | { readonly role: 'server'; readonly n: bigint; readonly layers: readonly { readonly spec: LayerSpec; readonly weights: Int32Array }[] }
  | { readonly role: 'client'; readonly p: bigint; readonly q: bigint; readonly safePrimes: boolean; readonly randomness: RandomnessMethod };

/** One unit of work. */
export type Task =
  | { readonly op: 'accumulate'; readonly layer: number; readonly from: number; readonly inputs: readonly bigint[] }
  | { readonly op: 'decrypt'; readonly ciphertexts: readonly bigint[] }
  | { readonly op: 'residues'; readonly count: number };

/** A task's result: partial accumulators (accumulate) or bigints (decrypt, residues). */
export type TaskResult = PartialAccumulators | bigint[];

/** Runs tasks for one party; the same code runs inline and in worker threads. */
export type TaskHandler = (task: Task) => TaskResult;

/** Builds the handler of a party (server: layer graphs; client: key and, lazily, the randomness tables). */
export function createHandler(init: WorkerInit): TaskHandler {
  if (init.role === 'server') {
    const n2 = init.n * init.n;
    const graphs: LayerGraph[] = init.layers.map((l) => layerGraph(l.spec, l.weights));
    return (task) => {
      if (task.op !== 'accumulate') throw new Error(`server thread cannot run '${task.op}'`);
      const graph = graphs[task.layer];
      if (!graph) throw new Error(`no layer ${task.layer}`);
      return accumulateChunk(graph, n2, task.inputs, task.from);
    };
  }
  const key = privateKeyOf(init.p, init.q, init.safePrimes);
  let source: ResidueSource | undefined;
  return (task) => {
    if (task.op === 'decrypt') return task.ciphertexts.map((c) => decryptCrt(key, c));
    if (task.op === 'residues') {
      source ??= residueSource(key, init.randomness);
      return Array.from({ length: task.count }, () => source!.next());
    }
    throw new Error(`client thread cannot run '${task.op}'`);
  };
}
