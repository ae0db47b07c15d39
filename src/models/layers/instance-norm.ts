import * as tf from '@tensorflow/tfjs';

/** Arguments of {@link InstanceNorm}. */
export interface InstanceNormArgs {
  /** Added to the standard deviation (not the variance), as in keras-contrib. Default 1e-3. */
  epsilon?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * keras-contrib's `InstanceNormalization()` with its default `axis=None`, as the PrivEdge code uses
 * it: for each sample, the mean and the (biased) standard deviation over ALL of H, W and C, then
 * `y = (x - mean) / (std + epsilon) * gamma + beta` with ONE scalar gamma and ONE scalar beta.
 * (A per-channel version would normalise a 1 x 1 x C bottleneck to a constant.)
 */
export class InstanceNorm extends tf.layers.Layer {
  /** Serialisation name; matches the Keras class so saved configs read naturally. */
  static className = 'InstanceNormalization';
  private readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(args: InstanceNormArgs = {}) {
    super({ ...(args.name ? { name: args.name } : {}), ...(args.trainable === undefined ? {} : { trainable: args.trainable }) });
    this.epsilon = args.epsilon ?? 1e-3;
  }

  override build(): void {
    this.gamma = this.addWeight('gamma', [1], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [1], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
      const { mean, variance } = tf.moments(x, axes, true);
      const std = tf.sqrt(variance);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.add(std, this.epsilon)), this.gamma.read()), this.beta.read());
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(InstanceNorm);
