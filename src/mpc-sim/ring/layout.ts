import { ShapeError } from '../../errors.js';
import { RingTensor, sizeOf, words, type Shape } from './ring-tensor.js';

/**
 * The same elements with another shape (same size). Shares `data` with `t`; one dimension may be
 * `-1` and is inferred.
 * @throws ShapeError if the sizes differ or `-1` cannot be inferred.
 */
export function reshape(t: RingTensor, shape: Shape): RingTensor {
  const free = shape.indexOf(-1);
  let target = [...shape];
  if (free >= 0) {
    const rest = sizeOf(shape.filter((_, i) => i !== free), 'reshape');
    if (rest === 0 || t.size % rest !== 0 || shape.indexOf(-1, free + 1) >= 0) {
      throw new ShapeError('reshape', `cannot infer -1 in [${shape.join(', ')}] for ${t.size} elements`);
    }
    target = shape.map((d) => (d === -1 ? t.size / rest : d));
  }
  if (sizeOf(target, 'reshape') !== t.size) {
    throw new ShapeError('reshape', `[${t.shape.join(', ')}] has ${t.size} elements, [${target.join(', ')}] needs ${sizeOf(target)}`);
  }
  return new RingTensor(target, t.data);
}

/**
 * Permutes the axes: output axis `i` is input axis `axes[i]` (like numpy `transpose`); without
 * `axes`, reverses them. A matrix transpose is `transpose(t)`.
 * @throws ShapeError if `axes` is not a permutation of the input's axes.
 */
export function transpose(t: RingTensor, axes?: readonly number[]): RingTensor {
  const rank = t.shape.length;
  const perm = axes ?? t.shape.map((_, i) => rank - 1 - i);
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) {
    throw new ShapeError('transpose', `axes [${perm.join(', ')}] are not a permutation of 0..${rank - 1}`);
  }
  const outShape = perm.map((a) => t.shape[a]!);
  const inStrides = strides(t.shape);
  const permStrides = perm.map((a) => inStrides[a]!);
  const out = new RingTensor(outShape);
  const x = words(t.data);
  const z = words(out.data);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.size; o++) {
    z[2 * o] = x[2 * src]!;
    z[2 * o + 1] = x[2 * src + 1]!;
    // Advance the output multi-index (last axis fastest), keeping `src` in step.
    for (let ax = rank - 1; ax >= 0; ax--) {
      index[ax]!++;
      src += permStrides[ax]!;
      if (index[ax]! < outShape[ax]!) break;
      src -= permStrides[ax]! * index[ax]!;
      index[ax] = 0;
    }
  }
  return out;
}

/**
 * Sum modulo 2^64 along `axis`, which is removed from the shape (`keepDims` keeps it as size 1).
 * Negative axes count from the end.
 * @throws ShapeError if `axis` is out of range.
 */
export function sumAxis(t: RingTensor, axis: number, keepDims = false): RingTensor {
  const rank = t.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= rank) {
    throw new ShapeError('sumAxis', `axis ${axis} is out of range for rank ${rank}`);
  }
  const len = t.shape[ax]!;
  const outer = sizeOf(t.shape.slice(0, ax));
  const inner = sizeOf(t.shape.slice(ax + 1));
  const outShape = keepDims ? t.shape.map((d, i) => (i === ax ? 1 : d)) : t.shape.filter((_, i) => i !== ax);
  const out = new RingTensor(outShape);
  const x = t.data;
  const z = out.data;
  for (let o = 0; o < outer; o++) {
    const zo = o * inner;
    for (let r = 0; r < len; r++) {
      const xo = (o * len + r) * inner;
      for (let i = 0; i < inner; i++) z[zo + i] = BigInt.asUintN(64, z[zo + i]! + x[xo + i]!);
    }
  }
  return out;
}

/** Row-major strides (in elements) of `shape`. */
export function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}
