/**
 * Micro-benchmark of the Z_2^64 kernels (a few seconds):
 *   node --import tsx scripts/bench-ring.ts
 * Prints the matmul rate in GMAC/s (multiply-accumulates modulo 2^64 per second) for the shapes
 * of a conv layer lowered to a matrix product (with whichever kernel `matmul` dispatches to:
 * native if built, see `scripts/bench-ring-kernel.ts` for every kernel side by side), and
 * elementwise rates in M elements/s.
 */
import { add, mul } from '../src/mpc-sim/ring/elementwise.js';
import { matmul, ringKernelInfo } from '../src/mpc-sim/ring/matmul.js';
import { SeededRandom, randomTensor } from '../src/mpc-sim/ring/random.js';
import type { RingTensor } from '../src/mpc-sim/ring/ring-tensor.js';

const random = new SeededRandom('bench-ring', { insecureDeterministic: true });

function timeIt(run: () => RingTensor, minMs: number): number {
  run(); // warm up (compile)
  let reps = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    run();
    reps++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return elapsed / reps;
}

const kernel = ringKernelInfo();
console.log(`matmul kernel: ${kernel.kind}${kernel.isa ? ` (${kernel.isa})` : ''}${kernel.reason ? ` (${kernel.reason})` : ''}`);
for (const [m, k, n] of [
  [256, 1024, 64],
  [64, 576, 1024],
] as const) {
  const a = randomTensor(random, [m, k]);
  const b = randomTensor(random, [k, n]);
  const ms = timeIt(() => matmul(a, b), 1000);
  const gmac = (m * k * n) / (ms * 1e6);
  console.log(`matmul [${m}x${k}] @ [${k}x${n}]: ${ms.toFixed(1)} ms, ${gmac.toFixed(2)} GMAC/s`);
}

const size = 1 << 20;
const x = randomTensor(random, [size]);
const y = randomTensor(random, [size]);
for (const [name, op] of [
  ['add', add],
  ['mul', mul],
] as const) {
  const ms = timeIt(() => op(x, y), 500);
  console.log(`${name} of ${size} elements: ${ms.toFixed(2)} ms, ${(size / (ms * 1e3)).toFixed(0)} M elements/s`);
}
