import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { layerGraph } from './graph.js';
import { convPoolSum, denseSum, floatForward, lenetPlan, textbookProducts, type ConvPoolSpec, type DenseSpec } from '../models/lenet/network.js';
import { layerBound, quantiseModel, requantise } from './quantise.js';
import { integerForward } from './reference.js';
import { mnistBytes, randomFloatWeights } from '../testing/he-fixtures.js';

const rng = Rng.fromSeed('he-quantise');
const ints = (n: number, lo: number, hi: number) => Int32Array.from({ length: n }, () => lo + rng.nextInt(hi - lo + 1));

/** A layer evaluated through its graph (what the server does), in plaintext integers. */
function viaGraph(graph: ReturnType<typeof layerGraph>, input: ArrayLike<number>): Float64Array {
  const out = new Float64Array(graph.outputs);
  for (let i = 0; i < graph.inputs; i++) {
    for (let k = graph.start[i]!; k < graph.start[i + 1]!; k++) out[graph.output[k]!] = out[graph.output[k]!]! + graph.weight[k]! * input[i]!;
  }
  return out;
}

describe('LeNet plan, folding and integer arithmetic', () => {
  it('counts the textbook ciphertext products of MNIST LeNet-5 (zero padding needs none)', () => {
    const plan = lenetPlan(28, 28, 1);
    // conv1 with padding would be 28 x 28 x 6 x 25 = 117,600; 134 x 134 x 6 taps touch real pixels.
    expect(plan.layers.map(textbookProducts)).toEqual([107_736, 240_000, 48_000, 10_080, 840]);
    expect(() => lenetPlan(30, 30, 1)).toThrow(/multiples of 4/);
  });

  it('evaluates conv + 2x2 sum pooling as one folded stride-2 convolution, exactly', () => {
    for (const padding of ['same', 'valid'] as const) {
      const spec: ConvPoolSpec = { kind: 'conv-pool', name: 'c', inH: 12, inW: 12, inC: 2, kernel: 5, outC: 3, padding, outH: padding === 'same' ? 6 : 4, outW: padding === 'same' ? 6 : 4 };
      const kernel = ints(5 * 5 * 2 * 3, -127, 127);
      const input = ints(12 * 12 * 2, 0, 255);
      const graph = layerGraph(spec, kernel);
      expect(Array.from(viaGraph(graph, input))).toEqual(Array.from(convPoolSum(spec, input, kernel)));
      // Pairs are sorted by |weight| within each input (the power chain relies on it).
      for (let i = 0; i < graph.inputs; i++) {
        for (let k = graph.start[i]! + 1; k < graph.start[i + 1]!; k++) expect(Math.abs(graph.weight[k]!)).toBeGreaterThanOrEqual(Math.abs(graph.weight[k - 1]!));
      }
    }
    const dense: DenseSpec = { kind: 'dense', name: 'd', inputs: 30, outputs: 7 };
    const w = ints(30 * 7, -20, 20);
    const x = ints(30, 0, 255);
    expect(Array.from(viaGraph(layerGraph(dense, w), x))).toEqual(Array.from(denseSum(dense, x, w)));
  });

  it('requantises with round-half-up, ReLU and saturation', () => {
    const r = { multiplier: 3, shift: 2, max: 10 };
    expect(requantise(5, r)).toBe(4); // 15/4 = 3.75 -> 4
    expect(requantise(2, r)).toBe(2); // 6/4 = 1.5 -> 2 (half up)
    expect(requantise(-5, r)).toBe(0);
    expect(requantise(100, r)).toBe(10);
  });

  it('bounds a layer by sum |W| * input max + |bias|', () => {
    const spec: DenseSpec = { kind: 'dense', name: 'd', inputs: 2, outputs: 2 };
    // W = [[1, -2], [3, 4]] (row = input): column sums 4 and 6.
    expect(layerBound(spec, [1, -2, 3, 4], [-10, 5], 255)).toBe(6 * 255 + 5);
  });

  it('quantises a LeNet whose integer outputs stay within the static bounds and track the float model', async () => {
    const plan = lenetPlan(28, 28, 1);
    const weights = randomFloatWeights(plan, rng.child('weights'));
    const { pixels, count } = await mnistBytes(4);
    const model = quantiseModel(plan, weights, pixels, { weightBits: 8, activationBits: 8 });
    expect(model.slotBits).toBe(Math.ceil(Math.log2(Math.max(...model.layers.map((l) => l.bound)) + 1)) + 2);
    let agree = 0;
    for (let k = 0; k < count; k++) {
      const image = pixels.subarray(k * 784, (k + 1) * 784);
      const out = integerForward(model, image);
      out.preActivations.forEach((a, l) => expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(model.layers[l]!.bound));
      const float = floatForward(plan, weights, Float64Array.from(image, (v) => v / 255)).logits;
      if (float.indexOf(Math.max(...float)) === out.predicted) agree++;
    }
    // 8-bit quantisation of a random network: the predicted class mostly survives.
    expect(agree).toBeGreaterThanOrEqual(count - 4);
  });
});
