import { ShapeError } from '../../errors.js';

/** Pixel integers are the bytes 0..255; the float model sees byte / 255. */
export const INPUT_SCALE = 255;

/**
 * The LeNet-5 layer plan shared by the TF.js model, the float and integer reference forward
 * passes and the encrypted evaluation. Every layer but the last is followed by the activation
 * (ReLU), which under encryption is the client's round trip.
 *
 * A `conv-pool` layer is a K x K convolution (stride 1, `same` or `valid` padding, bias) followed
 * by 2 x 2 average pooling (stride 2); the pooling comes before the activation, as in LeCun et
 * al.'s LeNet-5 (whose subsampling layers S2 and S4 feed the squashing function), so that the
 * server evaluates the convolution and the pooling together (both linear) and the client sees
 * and re-encrypts the pooled values only (4 times fewer). Integer layers use the pooling SUM
 * (average x 4): the 1/4 is folded into the requantisation scale.
 */
export interface ConvPoolSpec {
  readonly kind: 'conv-pool';
  readonly name: string;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly kernel: number;
  readonly outC: number;
  readonly padding: 'same' | 'valid';
  /** Pooled output size. */
  readonly outH: number;
  readonly outW: number;
}

/** A fully connected layer on the flattened (H, W, C row-major, as TF.js flattens NHWC) input. */
export interface DenseSpec {
  readonly kind: 'dense';
  readonly name: string;
  readonly inputs: number;
  readonly outputs: number;
}

/** One linear layer. */
export type LayerSpec = ConvPoolSpec | DenseSpec;

/** The whole network: input shape and linear layers (ReLU between consecutive layers). */
export interface NetworkPlan {
  readonly input: readonly [number, number, number];
  readonly layers: readonly LayerSpec[];
}

/** Number of inputs of a layer. */
export function layerInputs(spec: LayerSpec): number {
  return spec.kind === 'dense' ? spec.inputs : spec.inH * spec.inW * spec.inC;
}

/** Number of outputs of a layer (after pooling). */
export function layerOutputs(spec: LayerSpec): number {
  return spec.kind === 'dense' ? spec.outputs : spec.outH * spec.outW * spec.outC;
}

/** Weight count of a layer's kernel (HWIO for convolutions, [inputs, outputs] for dense). */
export function kernelSize(spec: LayerSpec): number {
  return spec.kind === 'dense' ? spec.inputs * spec.outputs : spec.kernel * spec.kernel * spec.inC * spec.outC;
}

/**
 * LeNet-5 for H x W x C images: conv 5x5 x6 (same) + pool, conv 5x5 x16 (valid) + pool, dense
 * 120, 84, classes. On 28 x 28 x 1 MNIST: 28x28x6 -> 14x14x6 -> 10x10x16 -> 5x5x16 = 400 -> 120
 * -> 84 -> 10, with 416,520 multiplications per image counting the zero padding (117,600 +
 * 240,000 + 48,000 + 10,080 + 840), 406,656 of them on real inputs (conv1: 107,736).
 */
export function lenetPlan(height: number, width: number, channels: number, classes = 10): NetworkPlan {
  const h1 = height / 2;
  const w1 = width / 2;
  const h2 = (h1 - 4) / 2;
  const w2 = (w1 - 4) / 2;
  if (!Number.isInteger(h2) || !Number.isInteger(w2) || h2 < 1 || w2 < 1) {
    throw new ShapeError('lenetPlan', `LeNet-5 needs image sides that are multiples of 4 and at least 12, got ${height} x ${width}`);
  }
  return {
    input: [height, width, channels],
    layers: [
      { kind: 'conv-pool', name: 'conv1', inH: height, inW: width, inC: channels, kernel: 5, outC: 6, padding: 'same', outH: h1, outW: w1 },
      { kind: 'conv-pool', name: 'conv2', inH: h1, inW: w1, inC: 6, kernel: 5, outC: 16, padding: 'valid', outH: h2, outW: w2 },
      { kind: 'dense', name: 'fc1', inputs: h2 * w2 * 16, outputs: 120 },
      { kind: 'dense', name: 'fc2', inputs: 120, outputs: 84 },
      { kind: 'dense', name: 'fc3', inputs: 84, outputs: classes },
    ],
  };
}

/** Ciphertext-by-weight products of one image in the unfolded (textbook) evaluation, zero padding skipped. */
export function textbookProducts(spec: LayerSpec): number {
  if (spec.kind === 'dense') return spec.inputs * spec.outputs;
  const pad = spec.padding === 'same' ? (spec.kernel - 1) >> 1 : 0;
  const convH = spec.outH * 2;
  const convW = spec.outW * 2;
  const valid = (size: number, conv: number) => {
    let count = 0;
    for (let o = 0; o < conv; o++) for (let k = 0; k < spec.kernel; k++) if (o + k - pad >= 0 && o + k - pad < size) count++;
    return count;
  };
  return valid(spec.inH, convH) * valid(spec.inW, convW) * spec.inC * spec.outC;
}

/**
 * The pooled SUM of a convolution without bias: out[py, px, co] = sum over the 2 x 2 window of
 * conv(input, kernel) (kernel HWIO). Exact for integer inputs and weights while every partial sum
 * stays below 2^53 (the quantiser checks the bound).
 */
export function convPoolSum(spec: ConvPoolSpec, input: ArrayLike<number>, kernel: ArrayLike<number>): Float64Array {
  const { inH, inW, inC, kernel: K, outC, outH, outW } = spec;
  const pad = spec.padding === 'same' ? (K - 1) >> 1 : 0;
  const out = new Float64Array(outH * outW * outC);
  const acc = new Float64Array(outC);
  for (let y = 0; y < outH * 2; y++) {
    for (let x = 0; x < outW * 2; x++) {
      acc.fill(0);
      for (let dy = 0; dy < K; dy++) {
        const iy = y + dy - pad;
        if (iy < 0 || iy >= inH) continue;
        for (let dx = 0; dx < K; dx++) {
          const ix = x + dx - pad;
          if (ix < 0 || ix >= inW) continue;
          const inBase = (iy * inW + ix) * inC;
          const kBase = (dy * K + dx) * inC * outC;
          for (let ci = 0; ci < inC; ci++) {
            const v = input[inBase + ci]!;
            if (v === 0) continue;
            const kRow = kBase + ci * outC;
            for (let co = 0; co < outC; co++) acc[co] = acc[co]! + v * kernel[kRow + co]!;
          }
        }
      }
      const o = ((y >> 1) * outW + (x >> 1)) * outC;
      for (let co = 0; co < outC; co++) out[o + co] = out[o + co]! + acc[co]!;
    }
  }
  return out;
}

/** Dense product without bias: out[j] = sum_i input[i] weights[i, j]. */
export function denseSum(spec: DenseSpec, input: ArrayLike<number>, weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(spec.outputs);
  for (let i = 0; i < spec.inputs; i++) {
    const v = input[i]!;
    if (v === 0) continue;
    const row = i * spec.outputs;
    for (let j = 0; j < spec.outputs; j++) out[j] = out[j]! + v * weights[row + j]!;
  }
  return out;
}

/** The layer's linear part without bias (convolution + pooling sum, or dense). */
export function linearSum(spec: LayerSpec, input: ArrayLike<number>, weights: ArrayLike<number>): Float64Array {
  return spec.kind === 'dense' ? denseSum(spec, input, weights) : convPoolSum(spec, input, weights);
}

/** Float weights of every layer (kernel HWIO or [inputs, outputs], bias per output channel/unit). */
export interface FloatWeights {
  readonly layers: readonly { readonly kernel: Float32Array; readonly bias: Float32Array }[];
}

/**
 * The float LeNet forward pass in plain JavaScript (the TF.js model's semantics: average pooling
 * = sum / 4, bias, ReLU between layers). Returns the logits and each hidden layer's activations
 * (after ReLU), which calibrate the activation scales.
 */
export function floatForward(plan: NetworkPlan, weights: FloatWeights, image: ArrayLike<number>): { logits: Float64Array; activations: Float64Array[] } {
  let x: ArrayLike<number> = image;
  const activations: Float64Array[] = [];
  plan.layers.forEach((spec, l) => {
    const { kernel, bias } = weights.layers[l]!;
    const y = linearSum(spec, x, kernel);
    const pool = spec.kind === 'dense' ? 1 : 4;
    const channels = bias.length;
    for (let i = 0; i < y.length; i++) y[i] = y[i]! / pool + bias[i % channels]!;
    if (l < plan.layers.length - 1) {
      for (let i = 0; i < y.length; i++) if (y[i]! < 0) y[i] = 0;
      activations.push(y);
    }
    x = y;
  });
  return { logits: x as Float64Array, activations };
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
