import { ProtocolError } from '../errors.js';
import { argmax, linearSum } from '../models/lenet/network.js';
import { requantise, type QuantisedModel } from './quantise.js';

/** What the integer model computes for one image. */
export interface IntegerOutput {
  /** Integer logits. */
  readonly logits: Float64Array;
  /** Integer pre-activations of each hidden layer (what the client decrypts in the protocol). */
  readonly preActivations: readonly Float64Array[];
  readonly predicted: number;
}

/**
 * The quantised model evaluated in the clear with exact integer arithmetic (float64 holding
 * integers below 2^53; each accumulator is checked against its layer's static bound). The
 * encrypted protocol must reproduce these logits exactly.
 */
export function integerForward(model: QuantisedModel, pixels: ArrayLike<number>): IntegerOutput {
  let x: ArrayLike<number> = pixels;
  const preActivations: Float64Array[] = [];
  let logits: Float64Array = new Float64Array(0);
  for (const layer of model.layers) {
    const y = linearSum(layer.spec, x, layer.weights);
    const channels = layer.bias.length;
    for (let i = 0; i < y.length; i++) {
      y[i] = y[i]! + layer.bias[i % channels]!;
      if (Math.abs(y[i]!) > layer.bound) throw new ProtocolError(layer.spec.name, `overflow: reference accumulator ${y[i]} exceeds the static bound ${layer.bound}`);
    }
    if (layer.requant) {
      preActivations.push(y);
      const next = new Float64Array(y.length);
      for (let i = 0; i < y.length; i++) next[i] = requantise(y[i]!, layer.requant);
      x = next;
    } else {
      logits = y;
    }
  }
  return { logits, preActivations, predicted: argmax(logits) };
}

/** Integer-model predictions of `count` images stored back to back (bytes, H x W x C each). */
export function integerPredictions(model: QuantisedModel, pixels: Uint8Array, count: number): Int32Array {
  const [h, w, c] = model.plan.input;
  const size = h * w * c;
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) out[k] = integerForward(model, pixels.subarray(k * size, (k + 1) * size)).predicted;
  return out;
}
