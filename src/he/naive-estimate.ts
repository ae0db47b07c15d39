import { Rng } from '../util/rng.js';
import { libraryKeys, type PaillierKeyPair } from './keys.js';
import { serverModel } from './model-views.js';
import { naiveOutput } from './naive.js';
import { layerInputs, layerOutputs, textbookProducts } from '../models/lenet/network.js';
import { centred, decryptCrt, encryptWith } from './paillier.js';
import { requantise, type QuantisedModel } from './quantise.js';
import { residueSource } from './randomness.js';
import { integerForward } from './reference.js';

/** One layer of a naive-cost estimate. */
export interface NaiveLayerEstimate {
  readonly layer: string;
  readonly outputs: number;
  /** Outputs actually computed (a seeded random sample). */
  readonly sampled: number;
  /** Measured seconds for the sample, and extrapolated to all outputs. */
  readonly measuredSeconds: number;
  readonly seconds: number;
}

/** A measured-and-extrapolated estimate of the naive implementation's time for one image. */
export interface NaiveEstimate {
  readonly layers: readonly NaiveLayerEstimate[];
  /** Per image: the library's encrypt for every pixel and activation, decrypt for every output. */
  readonly encryptSeconds: number;
  readonly decryptSeconds: number;
  readonly serverSeconds: number;
  readonly totalSeconds: number;
  /** Wall time spent measuring. */
  readonly measuredSeconds: number;
  /** Every sampled output decrypted to the integer reference value. */
  readonly exact: boolean;
}

/**
 * Estimates the naive implementation's time per image within about `budgetSeconds`: it times the
 * library's encrypt and decrypt on a few values, and the naive server (`naiveOutput`, exactly the
 * code of the full naive run) on a seeded random sample of each layer's outputs, on real
 * ciphertexts of `image`'s true layer inputs; then scales each part by its full count (every
 * output of a layer costs about the same). The sampled outputs are decrypted and checked against
 * the integer reference. For the full end-to-end naive run use `runEncryptedInference`.
 */
export function estimateNaive(model: QuantisedModel, keys: PaillierKeyPair, image: Uint8Array, budgetSeconds: number): NaiveEstimate {
  const started = performance.now();
  const pk = keys.publicKey;
  const lib = libraryKeys(keys.privateKey);
  const server = serverModel(model);
  const ref = integerForward(model, image);
  const layerIn: ArrayLike<number>[] = [image, ...ref.preActivations.map((a, l) => a.map((v) => requantise(v, model.layers[l]!.requant!)))];
  const layerOut: ArrayLike<number>[] = [...ref.preActivations, ref.logits];
  const encryptions = layerIn.reduce((a, x) => a + x.length, 0);
  const decryptions = layerOut.reduce((a, x) => a + x.length, 0);

  const clientBudget = budgetSeconds * 0.2;
  const timeOps = (budget: number, op: (k: number) => void): number => {
    const t = performance.now();
    let k = 0;
    while (k < 3 || (performance.now() - t) / 1000 < budget) op(k++);
    return (performance.now() - t) / 1000 / k;
  };
  const sampleCts: bigint[] = [];
  const encryptEach = timeOps(clientBudget / 2, (k) => sampleCts.push(lib.publicKey.encrypt(BigInt(k % 256))));
  const decryptEach = timeOps(clientBudget / 2, (k) => lib.privateKey.decrypt(sampleCts[k % sampleCts.length]!));

  const fast = residueSource(keys.privateKey, keys.privateKey.safePrimes ? 'fixed-base' : 'crt');
  const work = model.layers.map((q) => textbookProducts(q.spec));
  const totalWork = work.reduce((a, b) => a + b, 0);
  const rng = Rng.fromSeed('naive-estimate');
  let exact = true;
  const layers = model.layers.map((q, l): NaiveLayerEstimate => {
    const inputs = Array.from(layerIn[l]!, (v) => encryptWith(pk, BigInt(v), fast.next()));
    if (inputs.length !== layerInputs(q.spec)) throw new Error(`layer ${q.spec.name}: ${inputs.length} inputs`);
    const outputs = layerOutputs(q.spec);
    const order = rng.child(q.spec.name).permutation(outputs);
    const budget = (budgetSeconds - clientBudget) * (work[l]! / totalWork);
    const t = performance.now();
    let sampled = 0;
    while (sampled < outputs && (sampled < 2 || (performance.now() - t) / 1000 < budget)) {
      const j = order[sampled++]!;
      const c = naiveOutput(lib.publicKey, pk.n2, server.layers[l]!, inputs, j);
      if (centred(pk, decryptCrt(keys.privateKey, c)) !== BigInt(layerOut[l]![j]!)) exact = false;
    }
    const measured = (performance.now() - t) / 1000;
    return { layer: q.spec.name, outputs, sampled, measuredSeconds: measured, seconds: (measured / sampled) * outputs };
  });
  const serverSeconds = layers.reduce((a, l) => a + l.seconds, 0);
  const encryptSeconds = encryptEach * encryptions;
  const decryptSeconds = decryptEach * decryptions;
  return { layers, encryptSeconds, decryptSeconds, serverSeconds, totalSeconds: serverSeconds + encryptSeconds + decryptSeconds, measuredSeconds: (performance.now() - started) / 1000, exact };
}
