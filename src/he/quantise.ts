import { ProtocolError } from '../errors.js';
import { bitLength } from './bigint-math.js';
import { foldedKernel } from './graph.js';
import { INPUT_SCALE, floatForward, layerOutputs, type FloatWeights, type LayerSpec, type NetworkPlan } from '../models/lenet/network.js';

/** Quantisation settings. */
export interface QuantOptions {
  /** Signed weight bits per layer: weights become integers in [-(2^(b-1) - 1), 2^(b-1) - 1]. */
  readonly weightBits: number;
  /** Unsigned activation bits: activations become integers in [0, 2^b - 1]. */
  readonly activationBits: number;
}

/**
 * Integer requantisation after a hidden layer, applied by the client in the clear:
 * y = clamp(floor((acc * multiplier + 2^(shift - 1)) / 2^shift), 0, max), i.e. ReLU, rescaling by
 * multiplier / 2^shift (rounded half up) and saturation. Exact in float64 because
 * |acc| * multiplier + 2^(shift - 1) < 2^53 for every |acc| within the layer's bound.
 */
export interface Requant {
  readonly multiplier: number;
  readonly shift: number;
  readonly max: number;
}

/** One quantised layer. */
export interface QuantLayer {
  readonly spec: LayerSpec;
  /** Integer kernel, same layout as the float one. */
  readonly weights: Int32Array;
  /** Integer bias per output channel (conv) or unit (dense), at the accumulator scale. */
  readonly bias: Float64Array;
  /** Float weight w is represented by round(w * weightScale). */
  readonly weightScale: number;
  /** Scale of the integer inputs (float = integer / inputScale) and their maximum. */
  readonly inputScale: number;
  readonly inputMax: number;
  /** Scale of the integer accumulator: inputScale * weightScale * (4 for the pooling sum, else 1). */
  readonly accScale: number;
  /** Static bound: every output satisfies |acc| <= bound for any input in [0, inputMax]. */
  readonly bound: number;
  /** Requantisation to the next layer's input (null for the logits). */
  readonly requant: Requant | null;
}

/** The integer LeNet: what the encrypted and the reference evaluations compute, exactly. */
export interface QuantisedModel {
  readonly plan: NetworkPlan;
  readonly options: QuantOptions;
  readonly layers: readonly QuantLayer[];
  /**
   * Bits of one packing slot: bitLength(largest bound) + 1 sign bit + 1 guard bit. Any value the
   * protocol decrypts is within its layer's bound, so it fits a slot with one bit to spare.
   */
  readonly slotBits: number;
}

const INPUT_MAX = 255;
const EXACT = 2 ** 53;

/** Applies a requantisation (see {@link Requant}). */
export function requantise(acc: number, r: Requant): number {
  const y = Math.floor((acc * r.multiplier + 2 ** (r.shift - 1)) / 2 ** r.shift);
  return y < 0 ? 0 : y > r.max ? r.max : y;
}

/** Multiplier and shift for the real factor `factor`, exact for |acc| <= bound. */
function requantFor(factor: number, bound: number, max: number, layer: string): Requant {
  for (let shift = 52; shift >= 1; shift--) {
    const multiplier = Math.round(factor * 2 ** shift);
    if (multiplier * bound + 2 ** (shift - 1) < EXACT) {
      if (multiplier < 1) break;
      return { multiplier, shift, max };
    }
  }
  throw new ProtocolError(layer, `cannot requantise exactly (factor ${factor}, bound ${bound})`);
}

/** Largest |value| of an array (0 if empty). */
function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

/** The static bound of a layer's outputs: max_j sum_i |W_ij| inputMax + |B_j| (folded kernel for conv). */
export function layerBound(spec: LayerSpec, weights: ArrayLike<number>, bias: ArrayLike<number>, inputMax: number): number {
  const channels = spec.kind === 'dense' ? spec.outputs : spec.outC;
  const kernel = spec.kind === 'dense' ? weights : foldedKernel(spec, weights);
  const sums = new Float64Array(channels);
  for (let k = 0; k < kernel.length; k++) sums[k % channels] = sums[k % channels]! + Math.abs(kernel[k]!);
  let bound = 0;
  for (let c = 0; c < channels; c++) bound = Math.max(bound, sums[c]! * inputMax + Math.abs(bias[c]!));
  return bound;
}

/**
 * Quantises float LeNet weights: per-layer symmetric weight scales (largest |w| -> 2^(b-1) - 1),
 * activation scales calibrated as the largest ReLU output of each hidden layer over the
 * calibration images (float forward pass; the largest maps to 2^b - 1, larger later values
 * saturate), biases at the accumulator scale, static bounds, requantisation constants and the
 * slot width. `calibration` holds whole images of bytes (H x W x C each).
 */
export function quantiseModel(plan: NetworkPlan, weights: FloatWeights, calibration: Uint8Array, options: QuantOptions): QuantisedModel {
  const { weightBits, activationBits } = options;
  if (!Number.isInteger(weightBits) || weightBits < 2 || weightBits > 16) throw new RangeError(`weightBits must be an integer in 2..16, got ${weightBits}`);
  if (!Number.isInteger(activationBits) || activationBits < 1 || activationBits > 16) throw new RangeError(`activationBits must be an integer in 1..16, got ${activationBits}`);
  const size = plan.input[0] * plan.input[1] * plan.input[2];
  const images = calibration.length / size;
  const maxAct = new Float64Array(plan.layers.length - 1);
  const x = new Float64Array(size);
  for (let k = 0; k < images; k++) {
    for (let i = 0; i < size; i++) x[i] = calibration[k * size + i]! / INPUT_SCALE;
    floatForward(plan, weights, x).activations.forEach((a, l) => (maxAct[l] = Math.max(maxAct[l]!, maxAbs(a))));
  }
  const actMax = 2 ** activationBits - 1;
  const wMax = 2 ** (weightBits - 1) - 1;
  let inputScale = INPUT_SCALE;
  let inputMax = INPUT_MAX;
  const layers: QuantLayer[] = [];
  plan.layers.forEach((spec, l) => {
    const { kernel, bias } = weights.layers[l]!;
    const largest = maxAbs(kernel);
    const weightScale = largest > 0 ? wMax / largest : 1;
    const qWeights = Int32Array.from(kernel, (w) => Math.round(w * weightScale));
    const accScale = inputScale * weightScale * (spec.kind === 'dense' ? 1 : 4);
    const qBias = Float64Array.from(bias, (b) => Math.round(b * accScale));
    const bound = layerBound(spec, qWeights, qBias, inputMax);
    if (bound >= 2 ** 52) throw new ProtocolError(spec.name, `overflow: the layer's bound ${bound} exceeds 2^52 (reduce weightBits or activationBits)`);
    const last = l === plan.layers.length - 1;
    const outputScale = last ? null : maxAct[l]! > 0 ? actMax / maxAct[l]! : 1;
    const requant = outputScale === null ? null : requantFor(outputScale / accScale, bound, actMax, spec.name);
    layers.push({ spec, weights: qWeights, bias: qBias, weightScale, inputScale, inputMax, accScale, bound, requant });
    if (outputScale !== null) {
      inputScale = outputScale;
      inputMax = actMax;
    }
  });
  const largest = Math.max(INPUT_MAX, actMax, ...layers.map((q) => q.bound));
  return { plan, options, layers, slotBits: bitLength(BigInt(Math.ceil(largest))) + 2 };
}

/** Outputs per layer and the model's total ciphertext counts per batch (inputs, activations, logits). */
export function modelCounts(model: QuantisedModel): { inputs: number; hidden: number; logits: number } {
  const [h, w, c] = model.plan.input;
  const outs = model.layers.map((q) => layerOutputs(q.spec));
  return { inputs: h * w * c, hidden: outs.slice(0, -1).reduce((a, b) => a + b, 0), logits: outs[outs.length - 1]! };
}
