import { layerInputs, layerOutputs, type LayerSpec } from '../models/lenet/network.js';
import type { QuantisedModel, Requant } from './quantise.js';

/** What the server holds: the integer layers (weights and biases). Never any key material. */
export interface ServerModel {
  readonly layers: readonly { readonly spec: LayerSpec; readonly weights: Int32Array; readonly bias: Float64Array }[];
}

/** One layer as the client sees it: sizes, the bound its decrypted values must respect, the requantisation. */
export interface ClientLayerView {
  readonly name: string;
  readonly inputs: number;
  readonly outputs: number;
  readonly bound: number;
  readonly requant: Requant | null;
}

/**
 * What the server tells the client about the model: input size, per-layer output sizes, static
 * bounds (for overflow checks) and requantisation constants (multiplier, shift, clamp). Not the
 * weights.
 */
export interface ClientModelView {
  readonly inputSize: number;
  readonly slotBits: number;
  readonly layers: readonly ClientLayerView[];
}

/** The server's part of a quantised model. */
export function serverModel(model: QuantisedModel): ServerModel {
  return { layers: model.layers.map((l) => ({ spec: l.spec, weights: l.weights, bias: l.bias })) };
}

/** The client's view of a quantised model. */
export function clientView(model: QuantisedModel): ClientModelView {
  const [h, w, c] = model.plan.input;
  return {
    inputSize: h * w * c,
    slotBits: model.slotBits,
    layers: model.layers.map((l) => ({ name: l.spec.name, inputs: layerInputs(l.spec), outputs: layerOutputs(l.spec), bound: l.bound, requant: l.requant })),
  };
}

/** Output channel of output index `j` (conv: HWC order, so j mod channels; dense: j). */
export function biasIndex(spec: LayerSpec, j: number): number {
  return spec.kind === 'dense' ? j : j % spec.outC;
}
