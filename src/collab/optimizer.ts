import * as tf from '@tensorflow/tfjs';
import { ProtocolError } from '../errors.js';
import type { NamedArray, OptimizerKind, OptimizerState } from './serialise.js';

/** Optimizer settings. */
export interface OptimizerSpec {
  readonly kind: OptimizerKind;
  readonly learningRate: number;
  /** Adam only (defaults 0.9, 0.999, 1e-7 as tfjs and Keras). */
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/** A trainable variable under a stable name (the name that travels in the payload). */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
}

/**
 * Plain SGD (`w -= lr * g`) or Adam, with its whole state explicit so that it can be serialised,
 * encrypted and passed to the next owner, and restored there exactly. Adam (Kingma and Ba, as in
 * tfjs): `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`, `w -= lr (m / (1 - b1^t)) /
 * (sqrt(v / (1 - b2^t)) + eps)` with t the step count, which travels with the moments.
 */
export class StatefulOptimizer {
  private readonly spec: Required<OptimizerSpec>;
  private readonly variables: readonly NamedVariable[];
  private steps: number;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(spec: OptimizerSpec, variables: readonly NamedVariable[], state?: OptimizerState) {
    this.spec = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, ...spec };
    this.variables = variables;
    this.steps = state?.step ?? 0;
    if (state && state.kind !== spec.kind) throw new ProtocolError('optimizer', `state of ${state.kind} given to ${spec.kind}`);
    const n = variables.length;
    if (spec.kind === 'adam') {
      if (state && state.slots.length !== 2 * n) throw new ProtocolError('optimizer', `Adam needs ${2 * n} slots, got ${state.slots.length}`);
      const slot = (i: number, offset: number) => {
        const s = state?.slots[offset + i];
        const shape = variables[i]!.variable.shape;
        return tf.variable(s ? tf.tensor(s.values, shape, 'float32') : tf.zeros(shape), false);
      };
      this.m = variables.map((_, i) => slot(i, 0));
      this.v = variables.map((_, i) => slot(i, n));
    } else {
      this.m = [];
      this.v = [];
    }
  }

  /** Steps taken so far. */
  get step(): number {
    return this.steps;
  }

  /** Applies one update from gradients keyed by the tf variable names. */
  apply(grads: tf.NamedTensorMap): void {
    this.steps += 1;
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon } = this.spec;
    const c1 = 1 / (1 - b1 ** this.steps);
    const c2 = 1 / (1 - b2 ** this.steps);
    tf.tidy(() => {
      this.variables.forEach(({ name, variable }, i) => {
        const g = grads[variable.name];
        if (!g) throw new ProtocolError('optimizer', `no gradient for ${name}`);
        if (this.spec.kind === 'sgd') {
          variable.assign(tf.sub(variable, tf.mul(g, lr)));
          return;
        }
        const m = this.m[i]!;
        const v = this.v[i]!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const update = tf.div(tf.mul(m, c1), tf.add(tf.sqrt(tf.mul(v, c2)), epsilon));
        variable.assign(tf.sub(variable, tf.mul(update, lr)));
      });
    });
  }

  /** The state to pass on (copies of the slots). */
  state(): OptimizerState {
    const slots: NamedArray[] = [];
    const push = (list: tf.Variable[], suffix: string) =>
      list.forEach((t, i) => slots.push({ name: `${this.variables[i]!.name}/${suffix}`, shape: t.shape, values: (t.dataSync() as Float32Array).slice() }));
    push(this.m, 'm');
    push(this.v, 'v');
    return { kind: this.spec.kind, step: this.steps, slots };
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
