/**
 * Times the wasm training kernels on the reconstructor's conv layers:
 *
 *   node --import tsx scripts/bench-wasm-kernels.ts [--batch 64] [--no-original]
 *
 * Per layer (kernel 4, 'same'): forward conv2d with the filter's packed XNNPACK operator cached
 * (inference) and with a new filter tensor (training: the weights change every step, so the
 * filter is repacked), the new dW and dX kernels, and the wasm backend's original scalar-loop
 * dX kernel (with the largest relative difference between both dX results as a check).
 * Times are medians in ms; wasm runs single-threaded in Node.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { originalWasmConv2DBackpropInput, registerWasmTrainingKernels } from '../src/models/wasm-kernels/register.js';
import type { BackendWasm } from '../src/models/wasm-kernels/wasm-backend-util.js';

interface Layer {
  readonly name: string;
  /** Input height = width. */
  readonly size: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;
}

const LAYERS: readonly Layer[] = [
  { name: 'down1', size: 32, inChannels: 3, outChannels: 32, stride: 2 },
  { name: 'down2', size: 16, inChannels: 32, outChannels: 64, stride: 2 },
  { name: 'down3', size: 8, inChannels: 64, outChannels: 128, stride: 2 },
  { name: 'down4', size: 4, inChannels: 128, outChannels: 128, stride: 2 },
  { name: 'down5', size: 2, inChannels: 128, outChannels: 256, stride: 2 },
  { name: 'up1', size: 2, inChannels: 256, outChannels: 256, stride: 1 },
  { name: 'up2', size: 4, inChannels: 256, outChannels: 256, stride: 1 },
  { name: 'up3', size: 8, inChannels: 256, outChannels: 256, stride: 1 },
  { name: 'up4', size: 16, inChannels: 256, outChannels: 128, stride: 1 },
  { name: 'up5', size: 32, inChannels: 128, outChannels: 64, stride: 1 },
  { name: 'out', size: 32, inChannels: 64, outChannels: 3, stride: 1 },
];
const KERNEL = 4;

/** Median wall time of `run` in ms, after one warm-up call; at least `minReps` runs and ~`minMs`. */
function timeMs(run: () => void, minReps = 3, minMs = 300): number {
  run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || (performance.now() - start < minMs && times.length < 50)) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  }
  return worst / (scale || 1);
}

async function main(): Promise<void> {
  const batch = argValue('--batch', 64);
  const withOriginal = !process.argv.includes('--no-original');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend is not available');
  // The original kernel is kept (and was set up) by registering after the backend initialised.
  registerWasmTrainingKernels();
  const backend = tf.backend() as BackendWasm;
  const original = originalWasmConv2DBackpropInput();

  const header = ['layer', 'x → y', 'GFLOP', 'fwd', 'fwd new W', 'dW', 'dX', 'dX orig', 'orig/new', 'Δ dX'];
  const rows: string[][] = [];
  const totals = { fwd: 0, fwdNew: 0, dw: 0, dx: 0, orig: 0 };
  for (const layer of LAYERS) {
    const { size, inChannels: ci, outChannels: co, stride } = layer;
    const out = Math.ceil(size / stride);
    const inputShape: [number, number, number, number] = [batch, size, size, ci];
    const filterShape: [number, number, number, number] = [KERNEL, KERNEL, ci, co];
    const x = tf.randomNormal(inputShape) as tf.Tensor4D;
    const filter = tf.randomNormal(filterShape, 0, 0.05) as tf.Tensor4D;
    const dy = tf.randomNormal([batch, out, out, co]) as tf.Tensor4D;
    const filterValues = filter.dataSync();
    const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC' } as const;

    const fwd = timeMs(() => tf.conv2d(x, filter, stride, 'same').dispose());
    const fwdNew = timeMs(() => {
      // A new filter tensor (a new data id) is what a training step sees.
      const fresh = tf.tensor4d(filterValues, filterShape);
      tf.conv2d(x, fresh, stride, 'same').dispose();
      fresh.dispose();
    });
    const dw = timeMs(() => (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape }) as tf.Tensor).dispose());
    const dx = timeMs(() => tf.conv2dTranspose(dy, filter, inputShape, stride, 'same').dispose());

    let orig = NaN;
    let diff = NaN;
    if (withOriginal && original) {
      const run = (): tf.TensorInfo => original.kernelFunc({ inputs: { dy, filter }, backend, attrs: { ...attrs, inputShape } }) as tf.TensorInfo;
      const t0 = performance.now();
      const info = run();
      orig = performance.now() - t0;
      const ours = tf.conv2dTranspose(dy, filter, inputShape, stride, 'same');
      diff = maxRelDiff(ours.dataSync(), backend.readSync(info.dataId) as Float32Array);
      ours.dispose();
      backend.disposeData(info.dataId);
      if (orig < 200) orig = timeMs(() => backend.disposeData(run().dataId), 1, 200);
    }
    tf.dispose([x, filter, dy]);

    const gflop = (2 * batch * out * out * KERNEL * KERNEL * ci * co) / 1e9;
    totals.fwd += fwd;
    totals.fwdNew += fwdNew;
    totals.dw += dw;
    totals.dx += dx;
    totals.orig += orig;
    rows.push([
      layer.name,
      `${size}x${size}x${ci} → ${out}x${out}x${co} s${stride}`,
      gflop.toFixed(2),
      fwd.toFixed(1),
      fwdNew.toFixed(1),
      dw.toFixed(1),
      dx.toFixed(1),
      Number.isNaN(orig) ? '-' : orig.toFixed(1),
      Number.isNaN(orig) ? '-' : `${(orig / dx).toFixed(1)}x`,
      Number.isNaN(diff) ? '-' : diff.toExponential(1),
    ]);
  }
  const f = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(1));
  rows.push(['total', '', '', f(totals.fwd), f(totals.fwdNew), f(totals.dw), f(totals.dx), f(totals.orig), Number.isNaN(totals.orig) ? '-' : `${(totals.orig / totals.dx).toFixed(1)}x`, '']);

  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`\nwasm backend, batch ${batch}, kernel ${KERNEL}x${KERNEL} 'same', median ms (tfjs ${tf.version_core})`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

await main();
