import * as tf from '@tensorflow/tfjs';

/** Arguments of {@link SeededDropout}. */
export interface SeededDropoutArgs {
  /** Fraction of units dropped in training, in [0, 1). */
  rate: number;
  /** Seed of the first training call's mask; each later call uses the next integer. Unset: unseeded. */
  seed?: number;
  name?: string;
}

/**
 * Inverted dropout whose masks are reproducible: training call k draws its mask with seed
 * `seed + k`, so the same seed and the same sequence of batches give the same training run.
 * (`tf.layers.dropout({ seed })` reuses ONE seed on every call, i.e. the same mask on every
 * batch, and without a seed it draws from tfjs's unseeded generator.) Identity at inference.
 * The call counter is state of the layer object and is not serialised.
 */
export class SeededDropout extends tf.layers.Layer {
  /** Serialisation name. */
  static className = 'SeededDropout';
  private readonly rate: number;
  private readonly seed: number | undefined;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args.name ? { name: args.name } : {});
    if (!(args.rate >= 0 && args.rate < 1)) throw new RangeError(`SeededDropout: rate ${args.rate} outside [0, 1)`);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs['training'] || this.rate === 0) return tf.clone(x);
    const seed = this.seed === undefined ? undefined : this.seed + this.calls++;
    return tf.dropout(x, this.rate, undefined, seed);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}
tf.serialization.registerClass(SeededDropout);
