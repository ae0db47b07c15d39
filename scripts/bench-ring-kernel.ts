/**
 * Benchmark of the Z_2^64 matrix-product kernels on conv-layer shapes (about 20 s):
 *   node scripts/build-ring-kernel.mjs && node --import tsx scripts/bench-ring-kernel.ts
 * Prints GMAC/s (multiply-accumulates modulo 2^64 per second) for the TypeScript kernel, the
 * native kernel on each code path this CPU runs, one `matmulAsync`, and two concurrent
 * `matmulAsync` calls (total rate; they run on two libuv pool threads, so on a machine with two
 * idle cores it is about twice the one-call rate; "cores busy" shows whether they ran at once).
 */
import { matmulTs } from '../src/mpc-sim/ring/matmul-ts.js';
import { loadRingKernel, matmulAsync, matmulNative } from '../src/mpc-sim/ring/native-kernel.js';
import { SeededRandom, randomTensor } from '../src/mpc-sim/ring/random.js';

const SHAPES: [number, number, number][] = [
  [1024, 2048, 64], // conv 3x3, 228 -> 64 channels on a 32x32 map, as a product
  [256, 4096, 256],
  [64, 576, 1024],
];
const MIN_MS = 800;

/**
 * Mean milliseconds per call of `run` over at least MIN_MS, after one warm-up call, and the
 * process's CPU time over wall time (about 2 when two pool threads really run at once).
 */
async function timeIt(run: () => unknown): Promise<{ ms: number; cores: number }> {
  await run();
  let reps = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  do {
    await run();
    reps++;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_MS);
  const used = process.cpuUsage(cpu);
  return { ms: elapsed / reps, cores: (used.user + used.system) / 1e3 / elapsed };
}

const info = loadRingKernel();
console.log(
  info.kind === 'native'
    ? `native ring kernel: default ${info.isa}, supported ${info.supportedIsas?.join(', ')}`
    : `native ring kernel not used: ${info.reason}`,
);
const random = new SeededRandom('bench-ring-kernel', { insecureDeterministic: true });
for (const [m, k, n] of SHAPES) {
  const a = randomTensor(random, [m, k]);
  const b = randomTensor(random, [k, n]);
  const macs = m * k * n;
  const row = (name: string, { ms, cores }: { ms: number; cores: number }, calls = 1) => {
    const gmacs = ((calls * macs) / (ms * 1e6)).toFixed(2).padStart(6);
    console.log(`  ${name.padEnd(18)} ${ms.toFixed(2).padStart(8)} ms  ${gmacs} GMAC/s  (${cores.toFixed(1)} cores busy)`);
  };
  console.log(`matmul [${m}x${k}] @ [${k}x${n}]`);
  row('typescript', await timeIt(() => matmulTs(a, b)));
  if (info.kind !== 'native') continue;
  for (const isa of info.supportedIsas ?? []) row(`native ${isa}`, await timeIt(() => matmulNative(a, b, isa)));
  row('async x1', await timeIt(() => matmulAsync(a, b)));
  row('async x2 (total)', await timeIt(() => Promise.all([matmulAsync(a, b), matmulAsync(a, b)])), 2);
}
