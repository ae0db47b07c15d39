import { batchInvert, modPow } from './bigint-math.js';
import type { LayerGraph } from './graph.js';

/**
 * The optimised server kernel: a linear layer on ciphertexts, input-stationary.
 *
 * Each output is prod_i c_i^(w_ij) mod n^2 with small integer weights. For each input ciphertext
 * c_i, the pairs (j, w_ij) are sorted by |w| (see `graph.ts`), and the powers c_i^|w| are built
 * as one increasing chain: each new magnitude costs one product with c_i^(difference), taken from
 * a small table c_i^1 .. c_i^16 filled on demand (a modPow beyond that). Each pair then costs one
 * product into the output's positive or negative accumulator. So a layer costs about
 * (pairs + distinct magnitudes per input) products modulo n^2, against about 8 squarings and 3
 * products per pair for a separate square-and-multiply per weight (paillier-bigint `multiply`).
 * Negative weights never exponentiate by n - |w|: their products go to a separate accumulator
 * N_j, and the output is P_j * N_j^-1 with all N_j inverted at once (Montgomery's trick: one
 * modular inverse per layer plus 3 products per output).
 */

/** Positive and negative partial accumulators per output (1n where nothing was accumulated). */
export interface PartialAccumulators {
  readonly pos: bigint[];
  readonly neg: bigint[];
}

const MAX_STEP = 16;

/** Accumulates the contributions of inputs `from .. from + inputs.length - 1` of a layer. */
export function accumulateChunk(graph: LayerGraph, n2: bigint, inputs: readonly bigint[], from: number): PartialAccumulators {
  const pos = new Array<bigint>(graph.outputs).fill(1n);
  const neg = new Array<bigint>(graph.outputs).fill(1n);
  const { start, output, weight } = graph;
  for (let k = 0; k < inputs.length; k++) {
    const i = from + k;
    const s = start[i]!;
    const e = start[i + 1]!;
    if (s === e) continue;
    const c = inputs[k]!;
    const small: bigint[] = [1n, c];
    let cur = 1n;
    let curMag = 0;
    for (let idx = s; idx < e; idx++) {
      const w = weight[idx]!;
      const mag = w < 0 ? -w : w;
      if (mag !== curMag) {
        const diff = mag - curMag;
        let step: bigint;
        if (diff <= MAX_STEP) {
          while (small.length <= diff) small.push((small[small.length - 1]! * c) % n2);
          step = small[diff]!;
        } else {
          step = modPow(c, BigInt(diff), n2);
        }
        cur = curMag === 0 ? step : (cur * step) % n2;
        curMag = mag;
      }
      const acc = w > 0 ? pos : neg;
      const o = output[idx]!;
      const prev = acc[o]!;
      acc[o] = prev === 1n ? cur : (prev * cur) % n2;
    }
  }
  return { pos, neg };
}

/**
 * Combines the partial accumulators of all chunks into the layer's output ciphertexts:
 * out_j = bias_j * P_j * N_j^-1 mod n^2, `biasTerms[j]` being g^(bias) for output j.
 */
export function combineAccumulators(parts: readonly PartialAccumulators[], biasTerms: readonly bigint[], n2: bigint): bigint[] {
  const outputs = biasTerms.length;
  const mul = (a: bigint, b: bigint) => (a === 1n ? b : b === 1n ? a : (a * b) % n2);
  const pos = new Array<bigint>(outputs);
  const neg = new Array<bigint>(outputs);
  for (let j = 0; j < outputs; j++) {
    let p = biasTerms[j]!;
    let q = 1n;
    for (const part of parts) {
      p = mul(p, part.pos[j]!);
      q = mul(q, part.neg[j]!);
    }
    pos[j] = p;
    neg[j] = q;
  }
  const inv = batchInvert(neg, n2);
  return pos.map((p, j) => mul(p, inv[j]!));
}
