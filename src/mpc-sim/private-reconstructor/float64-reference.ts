import { ShapeError } from '../../errors.js';
import { axisPadding } from '../ring/im2col.js';
import type { ReconstructorDescription, ReconstructorStep } from './reconstructor.js';

/*
 * The reconstructor in double precision: the reference a private prediction is compared with when
 * two users' dissimilarities are closer than TF.js's own float32 rounding (about 1e-7 to 1.5e-6 in
 * the MSE on the letters models, as the InstanceNorms amplify it). It reads the same plaintext
 * description the user shares ({@link ReconstructorDescription}), so it is the exact real-valued
 * function the 2PC protocols approximate, up to double rounding (about 1e-16 relative).
 */

type Conv = Extract<ReconstructorStep, { kind: 'conv' }>;
type Norm = Extract<ReconstructorStep, { kind: 'norm' }>;
type Hwc = readonly [number, number, number];

/**
 * The reconstruction of `image` (`[H, W, C]` of the description's input shape, row-major NHWC
 * without the batch) in float64: every step as the TF.js layers define it (`same` padding as
 * TensorFlow pads, InstanceNorm as `(x - mean) / (std + epsilon) gamma + beta` over the whole
 * sample, nearest upsampling).
 * @throws ShapeError if the image's size differs from the input shape's.
 */
export function reconstructFloat64(description: ReconstructorDescription, image: ArrayLike<number>): Float64Array {
  const [h, w, c] = description.inputShape;
  if (image.length !== h * w * c) throw new ShapeError('reconstructFloat64', `image has ${image.length} values, the input shape [${h}, ${w}, ${c}] needs ${h * w * c}`);
  let x: Float64Array = Float64Array.from(image);
  let shape: Hwc = description.inputShape;
  for (const step of description.steps) {
    switch (step.kind) {
      case 'conv':
        [x, shape] = conv2d(x, shape, step);
        break;
      case 'lrelu':
        x = x.map((v) => (v >= 0 ? v : step.alpha * v));
        break;
      case 'relu':
        x = x.map((v) => (v > 0 ? v : 0));
        break;
      case 'tanh':
        x = x.map(Math.tanh);
        break;
      case 'norm':
        x = instanceNorm(x, step);
        break;
      case 'upsample':
        [x, shape] = upsample(x, shape, step.factor);
        break;
    }
  }
  return x;
}

/** mean((image - reconstruction)^2) of {@link reconstructFloat64}, summed in float64. */
export function mseFloat64(description: ReconstructorDescription, image: ArrayLike<number>): number {
  const r = reconstructFloat64(description, image);
  let sum = 0;
  for (let i = 0; i < r.length; i++) sum += (image[i]! - r[i]!) ** 2;
  return sum / r.length;
}

function conv2d(x: Float64Array, [h, w, c]: Hwc, step: Conv): [Float64Array, Hwc] {
  const [kh, kw, cin, cout] = step.shape;
  if (cin !== c) throw new ShapeError(step.name, `kernel expects ${cin} input channels, the input has ${c}`);
  const s = step.stride;
  const { out: oh, before: top } = axisPadding(h, kh, s, step.padding);
  const { out: ow, before: left } = axisPadding(w, kw, s, step.padding);
  const weights = Float64Array.from(step.weights);
  const y = new Float64Array(oh * ow * cout);
  const acc = new Float64Array(cout);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      for (let o = 0; o < cout; o++) acc[o] = step.bias[o]!;
      for (let a = 0; a < kh; a++) {
        const ii = i * s + a - top;
        if (ii < 0 || ii >= h) continue;
        for (let b = 0; b < kw; b++) {
          const jj = j * s + b - left;
          if (jj < 0 || jj >= w) continue;
          const xBase = (ii * w + jj) * c;
          const wBase = (a * kw + b) * cin * cout;
          for (let q = 0; q < cin; q++) {
            const v = x[xBase + q]!;
            const wRow = wBase + q * cout;
            for (let o = 0; o < cout; o++) acc[o]! += v * weights[wRow + o]!;
          }
        }
      }
      y.set(acc, (i * ow + j) * cout);
    }
  }
  return [y, [oh, ow, cout]];
}

function instanceNorm(x: Float64Array, step: Norm): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i]! - mean) ** 2;
  variance /= n;
  const scale = step.gamma / (Math.sqrt(variance) + step.epsilon);
  return x.map((v) => (v - mean) * scale + step.beta);
}

function upsample(x: Float64Array, [h, w, c]: Hwc, f: number): [Float64Array, Hwc] {
  const y = new Float64Array(h * f * w * f * c);
  for (let i = 0; i < h * f; i++) {
    for (let j = 0; j < w * f; j++) {
      const from = (Math.floor(i / f) * w + Math.floor(j / f)) * c;
      y.set(x.subarray(from, from + c), (i * w * f + j) * c);
    }
  }
  return [y, [h * f, w * f, c]];
}
