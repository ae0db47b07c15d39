import type * as tf from '@tensorflow/tfjs';
import { ProtocolError, ShapeError } from '../../errors.js';
import { encode, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { Conv2dQueryMaterial, conv2d, conv2dOnline, enrolConv2d, prepareConv2d, type ConvTruncation, type EnrolledConv2d } from '../protocols/conv2d.js';
import type { PartyContext } from '../protocols/context.js';
import { instanceNorm } from '../protocols/instance-norm.js';
import { instanceNormV2 } from '../protocols/instance-norm-v2.js';
import { enrolGammaFold, enrolMeanInOpening, enrolNormFold, normConv, normConvOutputBits, prepareNormConv, type NormConvMaterial, type NormConvSettings, type NormFold } from '../protocols/norm-conv.js';
import { leakyRelu, leakySlopeFactor, relu, scaledLeakyRelu } from '../protocols/relu.js';
import { tanh } from '../protocols/tanh.js';
import { upsample } from '../protocols/upsample.js';
import { protocolSettings, type ProtocolVersion } from '../protocols/versions.js';
import { convGeometry, type Padding } from '../ring/im2col.js';
import type { RingRandom } from '../ring/random.js';
import { share, type Share } from '../sharing/share.js';

/*
 * The PrivEdge reconstructor (src/models/rec-adv/architecture.ts) as a plain list of steps, and
 * its secure two-party evaluation with the protocols of ../protocols.
 *
 * Flow: the user reads its trained TF.js model ({@link readReconstructorWeights}), encodes and
 * secret-shares the weights ({@link shareReconstructor}, the user's own randomness), and each
 * server enrols its share ({@link enrolReconstructor}: one `enrolConv2d` per conv, a preceding
 * UpSampling2D fused into the conv). A query is then {@link evaluateReconstructor} on a shared
 * image.
 */

/** One step of the plaintext description, in evaluation order. */
export type ReconstructorStep =
  | {
      readonly kind: 'conv';
      /** The TF layer name (used in dealer keys and message tags). */
      readonly name: string;
      readonly stride: number;
      readonly padding: Padding;
      /** Kernel `[kh, kw, cin, cout]`, TF layout, row-major. */
      readonly weights: Float32Array;
      readonly shape: readonly [number, number, number, number];
      /** Bias `[cout]` (zeros if the layer has none). */
      readonly bias: Float32Array;
    }
  | PublicStep
  | { readonly kind: 'norm'; readonly name: string; readonly gamma: number; readonly beta: number; readonly epsilon: number };

/** Steps without secret parameters: the same in plaintext, shared and enrolled form. */
export type PublicStep =
  | { readonly kind: 'lrelu'; readonly name: string; readonly alpha: number; readonly truncateInput?: number }
  | { readonly kind: 'relu'; readonly name: string; readonly truncateInput?: number }
  | { readonly kind: 'upsample'; readonly name: string; readonly factor: number }
  | { readonly kind: 'tanh'; readonly name: string; readonly truncateInput?: number };
// `truncateInput` (enrolled form only, protocol v5): the step before left its output
// untruncated, 2^t times the input, and the activation's comparison opening truncates it by t
// (`CompareOptions.truncate`); see `fuseTruncationsIntoActivations`.

/** The plaintext reconstructor: input image shape (batch 1, NHWC without the batch) and its steps. */
export interface ReconstructorDescription {
  readonly inputShape: readonly [number, number, number];
  readonly steps: readonly ReconstructorStep[];
}

/** One party's share of a step: secret weights become shares, public hyper-parameters stay. */
export type SharedReconstructorStep =
  | { readonly kind: 'conv'; readonly name: string; readonly stride: number; readonly padding: Padding; readonly weights: Share; readonly bias: Share }
  | PublicStep
  | { readonly kind: 'norm'; readonly name: string; readonly gamma: Share; readonly beta: Share; readonly epsilon: number };

/** One party's share of a whole reconstructor. */
export interface SharedReconstructor {
  readonly inputShape: readonly [number, number, number];
  readonly steps: readonly SharedReconstructorStep[];
}

/** One party's enrolled step. */
export type EnrolledStep =
  | { readonly kind: 'conv'; readonly name: string; readonly layer: EnrolledConv2d }
  | PublicStep
  | { readonly kind: 'norm'; readonly name: string; readonly gamma: Share; readonly beta: Share; readonly epsilon: number }
  | {
      /** An InstanceNorm folded into the conv after it (`protocols/norm-conv.ts`); named after the conv. */
      readonly kind: 'normConv';
      readonly name: string;
      readonly norm: {
        readonly name: string;
        /** undefined: multiplied into the conv's weights at enrolment (`enrolGammaFold`, protocol v4). */
        readonly gamma: Share | undefined;
        readonly epsilon: number;
        /** s: the step before hands the norm s times its real input (a `scaledLrelu`); 1 otherwise. */
        readonly inputScale: number;
        /** false: the scale step reads the sum of squares at full scale (`NormConvSettings.rescale`, protocol v4). */
        readonly rescale: boolean;
        /** The mean's truncation rides on the conv's opening (`NormConvSettings.meanInOpening`, protocol v6; the fold then has `onesProduct`). */
        readonly meanInOpening?: boolean;
      };
      readonly layer: EnrolledConv2d;
      readonly fold: NormFold;
      /** The output is left untruncated for the activation after it (`NormConvOptions.deferTruncation`, protocol v5). */
      readonly deferTruncation?: boolean;
    }
  | {
      /** A LeakyReLU computed as `scale` times its output, untruncated (`scaledLeakyRelu`), before a folded norm that divides the scale out (protocol v4). */
      readonly kind: 'scaledLrelu';
      readonly name: string;
      readonly alpha: number;
      /** 1 / alpha, an integer. */
      readonly scale: number;
      readonly truncateInput?: number;
    };

/** One party's enrolled reconstructor, reused for every query. */
export interface EnrolledReconstructor {
  readonly modelId: string;
  readonly inputShape: readonly [number, number, number];
  readonly outputShape: readonly [number, number, number];
  readonly steps: readonly EnrolledStep[];
}

/** Options of {@link enrolReconstructor}. */
export interface EnrolReconstructorOptions {
  /** Truncation of every conv product; default `dealer` (never fails; `local` saves 1 round per conv but fails with probability |z| / 2^64 per output). */
  readonly convTruncation?: ConvTruncation;
  /**
   * Fold an InstanceNorm into the (upsampled) conv right after it where that conv's output has at
   * most four times the norm's elements ({@link foldPays}; `protocols/norm-conv.ts`; protocol v3); default false.
   */
  readonly foldNorms?: boolean;
  /** Multiply each folded norm's gamma into the conv's weights (`enrolGammaFold`; protocol v4); default false. */
  readonly foldGamma?: boolean;
  /**
   * A LeakyReLU right before a folded norm, with 1/alpha an integer s, becomes a `scaledLrelu`
   * (s times its output, no truncation) and the norm takes `inputScale` s (protocol v4); default false.
   */
  readonly leakySlopeIntoNorm?: boolean;
  /** Folded norms read the sum of squares at full scale, with no rescaling truncation (`NormConvSettings.rescale` false; protocol v4); default false. */
  readonly wideNormGrid?: boolean;
  /**
   * A conv (with dealer truncation) or folded norm directly followed by an activation leaves its
   * output untruncated and the activation's comparison opening truncates it
   * ({@link fuseTruncationsIntoActivations}; protocol v5); default false.
   */
  readonly fuseTruncations?: boolean;
  /** Folded norms open their mean's truncation in the round of the conv's opening (`NormConvSettings.meanInOpening`; protocol v6); default false. */
  readonly meanInOpening?: boolean;
}

/**
 * Whether {@link enrolReconstructor} folds a norm of `normSize` elements (n) into a conv of
 * `outputSize` (M N) outputs: when M N <= 4n, where the folded pair costs at most the bytes of
 * the norm and the conv apart (8n + 16 M N against 40n + 8 M N per party) and always 3 rounds
 * fewer. Every norm of the reconstructor qualifies (M N is n / 2 after a strided conv, 2n or 4n
 * after an upsampled one, 3n / 64 at the last conv).
 */
export function foldPays(normSize: number, outputSize: number): boolean {
  return outputSize <= 4 * normSize;
}

type Config = Record<string, unknown>;

function pairOf(layer: string, what: string, v: unknown): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : [];
  if (p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') {
    throw new ProtocolError('readReconstructorWeights', `layer '${layer}': cannot read ${what} ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
}

function activationStep(layer: string, activation: unknown): ReconstructorStep | undefined {
  const a = activation ?? 'linear';
  if (a === 'linear') return undefined;
  if (a === 'relu') return { kind: 'relu', name: `${layer}/relu` };
  if (a === 'tanh') return { kind: 'tanh', name: `${layer}/tanh` };
  throw new ProtocolError('readReconstructorWeights', `layer '${layer}': unsupported activation '${String(a)}' (supported: linear, relu, tanh)`);
}

/**
 * Reads a reconstructor (a chain of InputLayer, Conv2D, LeakyReLU, InstanceNormalization,
 * UpSampling2D and Activation layers; conv activations linear, relu or tanh) into a plain
 * description, in layer order. A conv's activation becomes a separate step after it.
 * @throws ProtocolError naming the layer for an unknown layer class, an unsupported setting
 *   (dilation, channels_first, non-square stride, bilinear upsampling, ...) or a model that is
 *   not a single chain.
 */
export function readReconstructorWeights(model: tf.LayersModel): ReconstructorDescription {
  const what = 'readReconstructorWeights';
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new ProtocolError(what, 'the model must have one input and one output');
  const inShape = model.inputs[0]!.shape;
  if (inShape.length !== 4 || inShape.slice(1).some((d) => typeof d !== 'number')) {
    throw new ProtocolError(what, `the input must be an image [batch, H, W, C], got [${inShape.join(', ')}]`);
  }
  const inputShape = inShape.slice(1) as [number, number, number];
  const steps: ReconstructorStep[] = [];
  let previous: string | undefined;
  for (const layer of model.layers) {
    const name = layer.name;
    const cls = layer.getClassName();
    const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers.map((l) => l.name));
    if (previous === undefined ? inbound.length !== 0 : inbound.length !== 1 || inbound[0] !== previous) {
      throw new ProtocolError(what, `layer '${name}' (${cls}) is not fed by the previous layer only: the model must be a single chain`);
    }
    previous = name;
    const config = layer.getConfig() as Config;
    const weights = layer.getWeights();
    switch (cls) {
      case 'InputLayer':
        break;
      case 'Conv2D': {
        const [sh, sw] = pairOf(name, 'strides', config['strides']);
        const [dh, dw] = pairOf(name, 'dilation_rate', config['dilationRate'] ?? 1);
        const padding = config['padding'];
        if (sh !== sw) throw new ProtocolError(what, `layer '${name}': non-square strides [${sh}, ${sw}] are not supported`);
        if (dh !== 1 || dw !== 1) throw new ProtocolError(what, `layer '${name}': dilated convolutions are not supported`);
        if (padding !== 'same' && padding !== 'valid') throw new ProtocolError(what, `layer '${name}': unsupported padding '${String(padding)}'`);
        if ((config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') throw new ProtocolError(what, `layer '${name}': only channelsLast is supported`);
        const kernel = weights[0];
        if (kernel === undefined || kernel.rank !== 4) throw new ProtocolError(what, `layer '${name}': missing a 4-D kernel`);
        const shape = kernel.shape as [number, number, number, number];
        const bias = weights[1] === undefined ? new Float32Array(shape[3]) : (weights[1].dataSync() as Float32Array).slice();
        if (bias.length !== shape[3]) throw new ProtocolError(what, `layer '${name}': bias has ${bias.length} elements, expected ${shape[3]}`);
        steps.push({ kind: 'conv', name, stride: sh, padding, weights: (kernel.dataSync() as Float32Array).slice(), shape, bias });
        const act = activationStep(name, config['activation']);
        if (act !== undefined) steps.push(act);
        break;
      }
      case 'LeakyReLU': {
        const alpha = config['alpha'];
        if (typeof alpha !== 'number') throw new ProtocolError(what, `layer '${name}': cannot read alpha`);
        steps.push({ kind: 'lrelu', name, alpha });
        break;
      }
      case 'ReLU':
        if (config['maxValue'] != null) throw new ProtocolError(what, `layer '${name}': ReLU with maxValue is not supported`);
        steps.push({ kind: 'relu', name });
        break;
      case 'Activation': {
        const act = activationStep(name, config['activation']);
        if (act !== undefined) steps.push({ ...act, name });
        break;
      }
      case 'InstanceNormalization': {
        const [g, b] = weights;
        const epsilon = config['epsilon'];
        if (g === undefined || b === undefined || g.size !== 1 || b.size !== 1) {
          throw new ProtocolError(what, `layer '${name}': expected scalar gamma and beta ([1] each)`);
        }
        if (typeof epsilon !== 'number') throw new ProtocolError(what, `layer '${name}': cannot read epsilon`);
        steps.push({ kind: 'norm', name, gamma: g.dataSync()[0]!, beta: b.dataSync()[0]!, epsilon });
        break;
      }
      case 'UpSampling2D': {
        const [uh, uw] = pairOf(name, 'size', config['size']);
        if (uh !== uw) throw new ProtocolError(what, `layer '${name}': non-square upsampling [${uh}, ${uw}] is not supported`);
        if ((config['interpolation'] ?? 'nearest') !== 'nearest') throw new ProtocolError(what, `layer '${name}': only nearest upsampling is supported`);
        steps.push({ kind: 'upsample', name, factor: uh });
        break;
      }
      default:
        throw new ProtocolError(what, `layer '${name}' has unsupported class '${cls}' (supported: InputLayer, Conv2D, LeakyReLU, ReLU, Activation, InstanceNormalization, UpSampling2D)`);
    }
  }
  return { inputShape, steps };
}

/**
 * The user's side of enrolment: encodes every secret weight (kernels, biases, gamma, beta) with
 * `encoding` and splits it into two additive shares with the user's randomness `rng`. Returns
 * S0's and S1's shares of the reconstructor (each goes to its server).
 * @throws ProtocolError if a weight is not encodable.
 */
export function shareReconstructor(description: ReconstructorDescription, encoding: FixedPointEncoding, rng: RingRandom): readonly [SharedReconstructor, SharedReconstructor] {
  const s0: SharedReconstructorStep[] = [];
  const s1: SharedReconstructorStep[] = [];
  for (const step of description.steps) {
    if (step.kind === 'conv') {
      const [w0, w1] = share(encode(encoding, step.weights, step.shape), rng);
      const [b0, b1] = share(encode(encoding, step.bias), rng);
      const base = { kind: 'conv', name: step.name, stride: step.stride, padding: step.padding } as const;
      s0.push({ ...base, weights: w0, bias: b0 });
      s1.push({ ...base, weights: w1, bias: b1 });
    } else if (step.kind === 'norm') {
      const [g0, g1] = share(encode(encoding, [step.gamma]), rng);
      const [b0, b1] = share(encode(encoding, [step.beta]), rng);
      const base = { kind: 'norm', name: step.name, epsilon: step.epsilon } as const;
      s0.push({ ...base, gamma: g0, beta: b0 });
      s1.push({ ...base, gamma: g1, beta: b1 });
    } else {
      s0.push(step);
      s1.push(step);
    }
  }
  return [
    { inputShape: description.inputShape, steps: s0 },
    { inputShape: description.inputShape, steps: s1 },
  ];
}

/**
 * One server's enrolment of its share of a reconstructor: one {@link enrolConv2d} per conv
 * (dealer key `${modelId}/${layer name}`, message tag `${modelId}/${layer name}`), with an
 * UpSampling2D directly before a conv fused into it (the query then opens the smaller input);
 * any other upsampling stays a local step. Shapes are tracked from the input.
 *
 * With `options.foldNorms`, a norm followed (after an optional upsampling) by a conv whose output
 * is at most four times the norm's size ({@link foldPays}) becomes one `normConv` step named after
 * the conv, with its fold enrolled (`enrolNormFold`: 2 rounds, 16 M N + 8 bytes per party more).
 *
 * Cost: 1 round per conv, 8 K N bytes online per party per conv (see `enrolConv2d`).
 * @throws ShapeError if a kernel does not fit the tracked input channels; ProtocolError if
 *   `modelId` was enrolled before on this dealer (weight masks are per layer id).
 */
export async function enrolReconstructor(ctx: PartyContext, shared: SharedReconstructor, modelId: string, options: EnrolReconstructorOptions = {}): Promise<EnrolledReconstructor> {
  let [h, w, c] = shared.inputShape;
  const steps: EnrolledStep[] = [];
  let pendingUp: { readonly name: string; readonly factor: number } | undefined;
  let pendingNorm: Extract<SharedReconstructorStep, { kind: 'norm' }> | undefined;
  const flushNorm = (): void => {
    if (pendingNorm === undefined) return;
    const s = pendingNorm;
    steps.push({ kind: 'norm', name: s.name, gamma: s.gamma, beta: s.beta, epsilon: s.epsilon });
    pendingNorm = undefined;
  };
  const flushUp = (): void => {
    flushNorm();
    if (pendingUp === undefined) return;
    steps.push({ kind: 'upsample', ...pendingUp });
    h *= pendingUp.factor;
    w *= pendingUp.factor;
    pendingUp = undefined;
  };
  for (const step of shared.steps) {
    if (step.kind === 'upsample') {
      if (pendingUp !== undefined) flushUp(); // a second upsampling: the first (and a pending norm) stay local steps
      pendingUp = { name: step.name, factor: step.factor };
      continue;
    }
    if (step.kind !== 'conv') {
      flushUp();
      if (step.kind === 'norm' && options.foldNorms === true) pendingNorm = step;
      else if (step.kind === 'norm') steps.push({ kind: 'norm', name: step.name, gamma: step.gamma, beta: step.beta, epsilon: step.epsilon });
      else steps.push(step);
      continue;
    }
    const [kh, kw, cin, cout] = step.weights.shape as [number, number, number, number];
    if (cin !== c) throw new ShapeError(`${modelId}/${step.name}`, `kernel expects ${cin} input channels, the tracked input has ${c}`);
    const up = pendingUp?.factor ?? 1;
    const geometry = convGeometry({ inHeight: h * up, inWidth: w * up, inChannels: c, kernel: [kh, kw], stride: step.stride, padding: step.padding });
    const id = `${modelId}/${step.name}`;
    const norm = pendingNorm !== undefined && foldPays(h * w * c, geometry.rows * cout) ? pendingNorm : undefined;
    if (norm === undefined) flushNorm();
    pendingNorm = undefined;
    const foldGamma = norm !== undefined && options.foldGamma === true;
    const weights = foldGamma ? await enrolGammaFold(ctx, step.weights, norm.gamma, id) : step.weights;
    const layer = await enrolConv2d(ctx, weights, step.bias, { layer: id, geometry, upsample: up, truncation: options.convTruncation ?? 'dealer' }, id);
    if (norm === undefined) steps.push({ kind: 'conv', name: step.name, layer });
    else {
      const meanInOpening = options.meanInOpening === true;
      const plainFold = await enrolNormFold(ctx, layer, norm.beta, id, foldGamma ? step.weights : undefined);
      const fold = meanInOpening ? await enrolMeanInOpening(layer, plainFold) : plainFold;
      steps.push({ kind: 'normConv', name: step.name, norm: { name: norm.name, gamma: foldGamma ? undefined : norm.gamma, epsilon: norm.epsilon, inputScale: 1, rescale: options.wideNormGrid !== true, ...(meanInOpening ? { meanInOpening } : {}) }, layer, fold });
    }
    pendingUp = undefined;
    [h, w, c] = [geometry.outHeight, geometry.outWidth, cout];
  }
  flushUp();
  const scaled = options.leakySlopeIntoNorm === true ? scaleLeakyReluIntoNorms(steps) : steps;
  return { modelId, inputShape: shared.inputShape, outputShape: [h, w, c], steps: options.fuseTruncations === true ? fuseTruncationsIntoActivations(scaled, ctx.encoding) : scaled };
}

/** The activation kinds whose comparison opening can also truncate their input. */
const TRUNCATING_ACTIVATIONS: ReadonlySet<EnrolledStep['kind']> = new Set(['lrelu', 'scaledLrelu', 'relu', 'tanh']);

/**
 * Protocol v5: each conv with dealer truncation, or folded norm, directly followed by an
 * activation leaves its output untruncated (the conv's truncation becomes `none`, the norm gets
 * `deferTruncation`) and the activation takes `truncateInput` t, the bits it would have dropped
 * (f for a conv, `normConvOutputBits` for a folded norm): the truncation's opening and the
 * comparison's become one (`dreluParts` with `truncate`), 1 round and 8 bytes per element per
 * party fewer. Only where the comparison width allows it (l + t <= 62, `comparisonLayout`).
 */
function fuseTruncationsIntoActivations(steps: readonly EnrolledStep[], encoding: FixedPointEncoding): EnrolledStep[] {
  const out = [...steps];
  const bits = activationCompareBits(encoding);
  for (let i = 0; i + 1 < out.length; i++) {
    const a = out[i]!;
    const b = out[i + 1]!;
    if (!TRUNCATING_ACTIVATIONS.has(b.kind)) continue;
    const l = b.kind === 'tanh' ? bits.tanh : bits.relu;
    let t: number;
    if (a.kind === 'conv' && a.layer.truncation === 'dealer') t = encoding.fracBits;
    else if (a.kind === 'normConv' && a.deferTruncation !== true) t = normConvOutputBits(normConvSettings(a));
    else continue;
    if (l + t > 62) continue;
    out[i] = a.kind === 'conv' ? { ...a, layer: { ...a.layer, truncation: 'none' } } : { ...(a as Extract<EnrolledStep, { kind: 'normConv' }>), deferTruncation: true };
    out[i + 1] = { ...(b as Extract<EnrolledStep, { kind: 'lrelu' | 'scaledLrelu' | 'relu' | 'tanh' }>), truncateInput: t };
  }
  return out;
}

/**
 * The factor between a step's output shares and the layer's real values times 2^f: `scale` for a
 * `scaledLrelu`, 2^t for a step whose truncation the next one does (protocol v5: a conv with
 * truncation `none`, 2^f; a folded norm with `deferTruncation`), else 1.
 */
export function stepOutputScale(step: EnrolledStep, encoding: FixedPointEncoding): number {
  if (step.kind === 'scaledLrelu') return step.scale;
  if (step.kind === 'conv' && step.layer.truncation === 'none') return 2 ** encoding.fracBits;
  if (step.kind === 'normConv' && step.deferTruncation === true) return 2 ** normConvOutputBits(normConvSettings(step));
  return 1;
}

/**
 * Each LeakyReLU directly followed by a folded norm, with s = 1/alpha an integer
 * (`leakySlopeFactor`), becomes a `scaledLrelu` of scale s and the norm takes `inputScale` s:
 * InstanceNorm(s y) with epsilon s eps equals InstanceNorm(y) with eps, so the LeakyReLU's
 * truncation is not needed.
 */
function scaleLeakyReluIntoNorms(steps: readonly EnrolledStep[]): EnrolledStep[] {
  const out = [...steps];
  for (let i = 0; i + 1 < out.length; i++) {
    const a = out[i]!;
    const b = out[i + 1]!;
    if (a.kind !== 'lrelu' || b.kind !== 'normConv') continue;
    const scale = leakySlopeFactor(a.alpha);
    if (scale === undefined) continue;
    out[i] = { kind: 'scaledLrelu', name: a.name, alpha: a.alpha, scale };
    out[i + 1] = { ...b, norm: { ...b.norm, inputScale: scale } };
  }
  return out;
}

/** The settings {@link prepareNormConv} needs for a folded step. */
function normConvSettings(step: Extract<EnrolledStep, { kind: 'normConv' }>): NormConvSettings {
  return { gammaFolded: step.norm.gamma === undefined, inputScale: step.norm.inputScale, rescale: step.norm.rescale, meanInOpening: step.norm.meanInOpening === true };
}

/** One step's per-query material: a conv's, or a folded norm's (`protocols/norm-conv.ts`). */
export type QueryMaterial = Conv2dQueryMaterial | NormConvMaterial;

/** Options of {@link evaluateReconstructor}. */
export interface EvaluateOptions {
  /** Prefix of message tags; default the model id, `''` for none. */
  readonly tagPrefix?: string;
  /**
   * Per-query conv material from {@link prepareReconstructor} (the offline phase); without it
   * each conv prepares its material inline (offline work inside the online phase).
   */
  readonly materials?: ReadonlyMap<string, QueryMaterial>;
  /** Called with each step's output (e.g. to reveal it in a debug run); its cost counts. */
  readonly onStep?: (step: EnrolledStep, output: Share) => Promise<void>;
  /** Protocol version (`protocols/versions.ts`); default `v1`. */
  readonly protocol?: ProtocolVersion;
}

/**
 * The offline phase of one query through an enrolled reconstructor: every conv layer's input mask
 * and the local product that depends only on dealer material and masked weights
 * (`prepareConv2d`), keyed by step name. 0 rounds; dealer material as `prepareConv2d` per conv.
 */
export async function prepareReconstructor(ctx: PartyContext, enrolled: EnrolledReconstructor, tagPrefix: string = enrolled.modelId): Promise<Map<string, QueryMaterial>> {
  const out = new Map<string, QueryMaterial>();
  for (const step of enrolled.steps) {
    const tag = tagPrefix === '' ? step.name : `${tagPrefix}/${step.name}`;
    if (step.kind === 'conv') out.set(step.name, await prepareConv2d(ctx, step.layer, tag));
    else if (step.kind === 'normConv') out.set(step.name, await prepareNormConv(ctx, step.layer, tag, normConvSettings(step)));
  }
  return out;
}

/**
 * The sequence of step kinds and names of an enrolled reconstructor: models with equal
 * signatures make the same exchanges and can be evaluated in lockstep.
 */
export function reconstructorSignature(enrolled: EnrolledReconstructor): string {
  const mark = (s: EnrolledStep): string => {
    if ('truncateInput' in s && s.truncateInput !== undefined) return `@t${s.truncateInput}`;
    return s.kind === 'normConv' && s.norm.meanInOpening === true ? '@mean' : '';
  };
  return enrolled.steps.map((s) => `${s.kind}:${s.name}${mark(s)}`).join(',');
}

/** The `truncate` option of an activation step's comparison (protocol v5's `truncateInput`). */
function truncating(step: { readonly truncateInput?: number }): { readonly truncate?: number } {
  return step.truncateInput === undefined ? {} : { truncate: step.truncateInput };
}

/**
 * Comparison widths l (see `CompareOptions.bits`) of the activations, from the encoding: with
 * e = 63 - f - g, every encodable activation x has |x 2^f| < 2^e, so (Leaky)ReLU compares
 * exactly with l = e + 1 (32 for both presets), and tanh, which compares x - t_k for thresholds
 * |t_k| < 8, with l = e + 2 (33). Both take 8 chunks of 4 bits instead of 16 at l = 64: one
 * round less per activation, 10.9 instead of 14.6 online bytes and about half the material and
 * compute per compared element. A value outside the encodable range (which the next product
 * could not hold either) gets a wrong sign; fidelity runs count such failures.
 */
export function activationCompareBits(encoding: FixedPointEncoding): { readonly relu: number; readonly tanh: number } {
  const e = 63 - encoding.fracBits - encoding.guardBits;
  return { relu: Math.min(64, e + 1), tanh: Math.min(64, e + 2) };
}

/**
 * One query through an enrolled reconstructor: shares of the reconstruction of the shared
 * image `x` (`[H, W, C]` or `[1, H, W, C]`, fixed point), of the same rank as `x`. Runs the
 * steps in order: `conv2d` (offline material fetched per query), `leakyRelu`, `relu`,
 * `instanceNorm`, local `upsample`, `tanh`. Message tags are `${tagPrefix}/${step name}` (prefix
 * default the model id; an empty prefix gives the bare step name, as lockstep lanes need).
 * @throws ShapeError if `x` is not the enrolled input shape.
 */
export async function evaluateReconstructor(ctx: PartyContext, enrolled: EnrolledReconstructor, x: Share, options: EvaluateOptions = {}): Promise<Share> {
  let y = x;
  const prefix = options.tagPrefix ?? enrolled.modelId;
  const bits = activationCompareBits(ctx.encoding);
  const settings = protocolSettings(options.protocol);
  const chunkBits = settings.activationChunkBits;
  const compact = settings.compactOpenings ? { compactOpening: true } : {};
  const norm = settings.norm === 'v2' ? instanceNormV2 : instanceNorm;
  for (const step of enrolled.steps) {
    const tag = prefix === '' ? step.name : `${prefix}/${step.name}`;
    switch (step.kind) {
      case 'conv': {
        const material = options.materials?.get(step.name);
        if (material !== undefined && !(material instanceof Conv2dQueryMaterial)) throw new ProtocolError(tag, `the material of '${step.name}' was prepared for a folded norm, the enrolled step is a plain conv`);
        y = material === undefined ? await conv2d(ctx, step.layer, y, tag) : await conv2dOnline(ctx, step.layer, material, y, tag);
        break;
      }
      case 'lrelu':
        y = (await leakyRelu(ctx, y, { alpha: step.alpha, tag, bits: bits.relu, chunkBits, ...truncating(step), ...compact })).y;
        break;
      case 'scaledLrelu':
        y = (await scaledLeakyRelu(ctx, y, { scale: step.scale, tag, bits: bits.relu, chunkBits, ...truncating(step), ...compact })).y;
        break;
      case 'relu':
        y = (await relu(ctx, y, { tag, bits: bits.relu, chunkBits, ...truncating(step), ...compact })).y;
        break;
      case 'norm':
        y = await norm(ctx, y, step.gamma, step.beta, { epsilon: step.epsilon, tag });
        break;
      case 'normConv': {
        const material = options.materials?.get(step.name) ?? (await prepareNormConv(ctx, step.layer, tag, normConvSettings(step)));
        if (material instanceof Conv2dQueryMaterial) throw new ProtocolError(tag, `the material of '${step.name}' was prepared for a plain conv, the enrolled step is a folded norm`);
        y = await normConv(ctx, y, step.norm.gamma, step.layer, step.fold, material, { epsilon: step.norm.epsilon, inputScale: step.norm.inputScale, rescale: step.norm.rescale, tag, deferTruncation: step.deferTruncation === true, meanInOpening: step.norm.meanInOpening === true, compactOpenings: settings.compactOpenings });
        break;
      }
      case 'upsample':
        y = upsample(ctx, y, step.factor);
        break;
      case 'tanh':
        y = await tanh(ctx, y, { tag, bits: bits.tanh, chunkBits, sharedOpening: settings.tanhSharedOpening, ...truncating(step), ...compact });
        break;
    }
    if (options.onStep !== undefined) await options.onStep(step, y);
  }
  return y;
}

