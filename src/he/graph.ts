import type { ConvPoolSpec, LayerSpec } from '../models/lenet/network.js';

/**
 * A convolution followed by 2 x 2 sum pooling is one stride-2 convolution with a (K+1) x (K+1)
 * kernel: W'[a][b] = sum over u, v in {0, 1} of W[a - u][b - v]. The server evaluates this
 * folded form: each input enters at most 3 x 3 pooled windows instead of 5 x 5 convolution
 * positions, so MNIST LeNet-5's two convolutions take 42,336 + 86,400 products instead of
 * 117,600 + 240,000, with an identical integer result (both are the same sum; the folded weights
 * are up to 4 times larger). Returns HWIO with side K + 1.
 */
export function foldedKernel(spec: ConvPoolSpec, kernel: ArrayLike<number>): Float64Array {
  const K = spec.kernel;
  const F = K + 1;
  const io = spec.inC * spec.outC;
  const out = new Float64Array(F * F * io);
  for (let a = 0; a < F; a++) {
    for (let b = 0; b < F; b++) {
      for (let u = 0; u < 2; u++) {
        for (let v = 0; v < 2; v++) {
          const dy = a - u;
          const dx = b - v;
          if (dy < 0 || dy >= K || dx < 0 || dx >= K) continue;
          const src = (dy * K + dx) * io;
          const dst = (a * F + b) * io;
          for (let k = 0; k < io; k++) out[dst + k] = out[dst + k]! + kernel[src + k]!;
        }
      }
    }
  }
  return out;
}

/**
 * A layer as a bipartite graph from inputs to outputs with integer weights (zeros dropped), in
 * input-major order: the pairs of input i are `start[i]` .. `start[i + 1]`, sorted by |weight|
 * so that the powers c_i^|w| can be built in one increasing chain.
 */
export interface LayerGraph {
  readonly inputs: number;
  readonly outputs: number;
  readonly start: Int32Array;
  readonly output: Int32Array;
  readonly weight: Int32Array;
  /** Number of pairs (ciphertext-by-weight products). */
  readonly products: number;
  /** Sum over inputs of the number of distinct |weight| values (chain steps). */
  readonly distinct: number;
}

/** The graph of a quantised layer (conv-pool layers folded, see {@link foldedKernel}). */
export function layerGraph(spec: LayerSpec, weights: ArrayLike<number>): LayerGraph {
  const lists: { o: number; w: number }[][] = [];
  let outputs: number;
  if (spec.kind === 'dense') {
    outputs = spec.outputs;
    for (let i = 0; i < spec.inputs; i++) {
      const list: { o: number; w: number }[] = [];
      for (let j = 0; j < spec.outputs; j++) {
        const w = weights[i * spec.outputs + j]!;
        if (w !== 0) list.push({ o: j, w });
      }
      lists.push(list);
    }
  } else {
    outputs = spec.outH * spec.outW * spec.outC;
    const F = spec.kernel + 1;
    const pad = spec.padding === 'same' ? (spec.kernel - 1) >> 1 : 0;
    const folded = foldedKernel(spec, weights);
    for (let iy = 0; iy < spec.inH; iy++) {
      for (let ix = 0; ix < spec.inW; ix++) {
        for (let ci = 0; ci < spec.inC; ci++) {
          const list: { o: number; w: number }[] = [];
          for (let py = 0; py < spec.outH; py++) {
            const a = iy + pad - 2 * py;
            if (a < 0 || a >= F) continue;
            for (let px = 0; px < spec.outW; px++) {
              const b = ix + pad - 2 * px;
              if (b < 0 || b >= F) continue;
              const k = ((a * F + b) * spec.inC + ci) * spec.outC;
              for (let co = 0; co < spec.outC; co++) {
                const w = folded[k + co]!;
                if (w !== 0) list.push({ o: (py * spec.outW + px) * spec.outC + co, w });
              }
            }
          }
          lists.push(list);
        }
      }
    }
  }
  const products = lists.reduce((s, l) => s + l.length, 0);
  const start = new Int32Array(lists.length + 1);
  const output = new Int32Array(products);
  const weight = new Int32Array(products);
  let k = 0;
  let distinct = 0;
  lists.forEach((list, i) => {
    list.sort((x, y) => Math.abs(x.w) - Math.abs(y.w) || x.o - y.o);
    start[i] = k;
    let last = 0;
    for (const { o, w } of list) {
      if (Math.abs(w) !== last) distinct++;
      last = Math.abs(w);
      output[k] = o;
      weight[k++] = w;
    }
  });
  start[lists.length] = k;
  return { inputs: lists.length, outputs, start, output, weight, products, distinct };
}

/**
 * Splits the inputs [0, inputs) into `parts` contiguous ranges of about equal work (products plus
 * chain steps), for the worker pool.
 */
export function splitInputs(graph: LayerGraph, parts: number): [number, number][] {
  const cost = (i: number) => graph.start[i + 1]! - graph.start[i]! + 8;
  const total = Array.from({ length: graph.inputs }, (_, i) => cost(i)).reduce((a, b) => a + b, 0);
  const ranges: [number, number][] = [];
  let from = 0;
  let acc = 0;
  for (let i = 0; i < graph.inputs; i++) {
    acc += cost(i);
    if (ranges.length < parts - 1 && acc >= (total * (ranges.length + 1)) / parts) {
      ranges.push([from, i + 1]);
      from = i + 1;
    }
  }
  ranges.push([from, graph.inputs]);
  return ranges.filter(([a, b]) => b > a);
}
