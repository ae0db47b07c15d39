/**
 * Benchmark: training speed of the reference RAN (32 x 32 x 3, gf 32, df 64) at batch 64 on a tfjs
 * backend, against the identical network in PyTorch (scripts/bench_train_torch.py, 1 and 2
 * threads) measured in the same run, and the throughput of 2 concurrent users (worker_threads)
 * over 1. Target: tfjs <= 1.5 x PyTorch (1 thread) per step.
 *
 * On wasm, tfjs runs twice in the same process: with the native training kernels
 * (native/train-kernel, when built) and with the wasm backend's own kernels (XNNPACK and the
 * project's TypeScript gradients: the fallback), and both are printed beside PyTorch, in wall time
 * and in process CPU time (CPU time is the fairer figure on a machine shared with other jobs).
 *
 *   npm run bench:train [-- --backend cpu|wasm|tensorflow] [--repeats 5] [--warmup 2]
 *                       [--parallel-iterations 3] [--no-torch] [--no-parallel] [--no-profile]
 *
 * Steps timed (median of `--repeats` (default 3; at least 5 for the two fast ones) after `--warmup`
 * (default 2) untimed runs, each awaited to completion):
 * - reconstructor step: one Adam step of R on 0.999 MSE(R(x), x) + 0.001 MSE(D(R(x)), 1)
 *   (forward R, forward D on R(x), backward through D into R, Adam on R's variables only);
 * - discriminator step: one Adam step of D on MSE(D(x), 1);
 * - combined iteration: `ranTrainStep` (D on real, D on R(x), then the R step). Its batch
 *   argument is the half batch of the authors' code; here it is given all 64 images, so each of
 *   its three steps runs on 64 images;
 * - inference: `R.predict` on 64 images, divided by 64.
 * Then the per-kernel time of one combined iteration (tf.profile; `--no-profile` skips it), and
 * the throughput of 2 worker_threads training concurrently over 1 (`--no-parallel` skips it).
 * PyTorch runs as `python3 scripts/bench_train_torch.py --json` (`$PYTHON` to use another
 * interpreter); without PyTorch the tfjs numbers are still printed.
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { RequestedBackend } from '../src/models/backend.js';
import { ranTrainStep } from '../src/models/rec-adv/train-step.js';
import { initTensorflow } from '../src/models/runtime.js';
import { trainKernelInfo, trainKernelLabel } from '../src/models/train-kernel/native-addon.js';
import { registerNativeTrainingKernels, unregisterNativeTrainingKernels } from '../src/models/train-kernel/register.js';
import { startModuleWorker } from '../src/util/module-worker.js';
import { makeBatch, makePair, SETTINGS, SHAPE, type WorkerInput, type WorkerMessage } from './bench-train-worker.js';

// ---------------------------------------------------------------- arguments
function flagValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function intFlag(name: string, fallback: number, min = 1): number {
  const raw = flagValue(name);
  const v = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} takes a whole number >= ${min}`);
  return v;
}
const backendArg = flagValue('--backend') ?? 'wasm';
if (!['cpu', 'wasm', 'tensorflow'].includes(backendArg)) throw new Error('--backend takes cpu, wasm or tensorflow');
const requested = backendArg as RequestedBackend;
const BATCH = 64;
const warmup = intFlag('--warmup', 2, 0);
const repeats = intFlag('--repeats', 3);
/** The fast measurements (discriminator step, inference) get at least this many timed runs. */
const FAST_REPEATS = Math.max(repeats, 5);
const parallelIterations = intFlag('--parallel-iterations', 3);
const withTorch = !process.argv.includes('--no-torch');
const withParallel = !process.argv.includes('--no-parallel');
const withProfile = !process.argv.includes('--no-profile');

/** Reference figures measured earlier on a similar 2-core machine, PyTorch with 1 thread. */
const REFERENCE = { reconstructorStepMs: 980, discriminatorStepMs: 560, combinedStepMs: 1180, inferenceMsPerImage: 9.3 } as const;
const TARGET_RATIO = 1.5;

type StepName = keyof typeof REFERENCE;
type StepTimes = Record<StepName, number>;

// ---------------------------------------------------------------- timing
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median wall ms, every run's wall ms, and the median CPU ms of this process (all its threads). */
async function timeMs(run: () => Promise<void>, reps = repeats): Promise<{ median: number; runs: number[]; cpu: number }> {
  for (let i = 0; i < warmup; i++) await run();
  const runs: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    runs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { median: median(runs), runs, cpu: median(cpu) };
}

const mse = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.squaredDifference(a, b));

// ---------------------------------------------------------------- tfjs
interface TfjsResult {
  readonly backend: string;
  /** Convolution kernels: `native-avx2`, `wasm (...)`, or the backend name. */
  readonly kernels: string;
  readonly times: StepTimes;
  /** Median process CPU time per step (ms; inference in ms/image). */
  readonly cpu: StepTimes;
  readonly runs: Record<StepName, number[]>;
  readonly params: { reconstructor: number; discriminator: number };
  readonly leakedTensors: number;
  readonly profile?: ProfileSummary;
}

/** The tfjs measurements with the native training kernels (`native`) or the wasm backend's own (`wasm`). */
async function benchTfjs(kernels: 'native' | 'wasm', profileIt: boolean): Promise<TfjsResult> {
  const choice = await initTensorflow(requested);
  if (choice.name === 'wasm') {
    if (kernels === 'wasm') unregisterNativeTrainingKernels();
    else registerNativeTrainingKernels();
  }
  const label = choice.name !== 'wasm' ? choice.name : kernels === 'native' ? trainKernelLabel() : 'wasm (XNNPACK + TypeScript gradients)';
  const pair = makePair(1);
  const { reconstructor: R, discriminator: D } = pair;
  const x = makeBatch(BATCH, 1);
  const rVars = R.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = D.trainableWeights.map((w) => w.read() as tf.Variable);

  const rStep = async (): Promise<void> => {
    const loss = pair.optimizerR.minimize(() => tf.tidy(() => {
      const rec = R.apply(x) as tf.Tensor;
      const validity = D.apply(rec) as tf.Tensor;
      return tf.add(tf.mul(SETTINGS.reconstructionWeight, mse(rec, x)), tf.mul(SETTINGS.adversarialWeight, mse(validity, tf.onesLike(validity)))) as tf.Scalar;
    }), true, rVars)!;
    await loss.data();
    loss.dispose();
  };
  const dStep = async (): Promise<void> => {
    const loss = pair.optimizerD.minimize(() => tf.tidy(() => {
      const out = D.apply(x) as tf.Tensor;
      return mse(out, tf.onesLike(out));
    }), true, dVars)!;
    await loss.data();
    loss.dispose();
  };
  const combined = async (): Promise<void> => {
    await ranTrainStep(pair, x, SETTINGS);
  };
  const infer = async (): Promise<void> => {
    const y = R.predict(x, { batchSize: BATCH }) as tf.Tensor;
    await y.data();
    y.dispose();
  };

  // Optimiser slots are created on the first step: run each once before counting tensors.
  await rStep();
  await dStep();
  const tensorsBefore = tf.memory().numTensors;
  const r = await timeMs(rStep);
  const d = await timeMs(dStep, FAST_REPEATS);
  const c = await timeMs(combined);
  const i = await timeMs(infer, FAST_REPEATS);
  const leakedTensors = tf.memory().numTensors - tensorsBefore;

  let profile: ProfileSummary | undefined;
  if (profileIt) profile = await profileCombined(combined);
  const count = (m: tf.LayersModel): number => m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  x.dispose();
  R.dispose();
  D.dispose();
  return {
    backend: choice.name,
    kernels: label,
    times: { reconstructorStepMs: r.median, discriminatorStepMs: d.median, combinedStepMs: c.median, inferenceMsPerImage: i.median / BATCH },
    cpu: { reconstructorStepMs: r.cpu, discriminatorStepMs: d.cpu, combinedStepMs: c.cpu, inferenceMsPerImage: i.cpu / BATCH },
    runs: { reconstructorStepMs: r.runs, discriminatorStepMs: d.runs, combinedStepMs: c.runs, inferenceMsPerImage: i.runs.map((v) => v / BATCH) },
    params: { reconstructor: count(R), discriminator: count(D) },
    leakedTensors,
    ...(profile === undefined ? {} : { profile }),
  };
}

/** Multiply-adds x 2 of a convolution kernel call, from its filter and its (output or dy) shape. */
function convFlops(k: Awaited<ReturnType<typeof tf.profile>>['kernels'][number]): number {
  const prod = (s: readonly number[] | undefined): number => (s ?? []).reduce((a, b) => a * b, 1);
  const kh = (f: readonly number[] | undefined): number => (f ? f[0]! * f[1]! * f[2]! : 0);
  if (k.name === 'Conv2D' || k.name === 'FusedConv2D') return 2 * prod(k.outputShapes[0]) * kh(k.inputShapes[1]);
  if (k.name === 'Conv2DBackpropInput') return 2 * prod(k.inputShapes[0]) * kh(k.inputShapes[1]);
  if (k.name === 'Conv2DBackpropFilter') return 2 * prod(k.inputShapes[1]) * kh(k.outputShapes[0]);
  return 0;
}

interface ProfileSummary {
  readonly text: string;
  /** Convolution FLOPs of one combined iteration. */
  readonly convFlops: number;
  /** Per convolution kernel and shapes: kernel ms and FLOPs in one combined iteration. */
  readonly convLayers: Map<string, { ms: number; flops: number; calls: number }>;
}

/**
 * Kernel time of one combined iteration, by kernel group, kernel and kernel + input shapes.
 * Op-level wrappers (`*__op`, e.g. the custom-gradient `fusedConv2d__op`) are left out: they
 * contain kernels that are counted themselves.
 */
async function profileCombined(combined: () => Promise<void>): Promise<ProfileSummary> {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await combined();
  });
  const wall = performance.now() - t0;
  type Acc = { ms: number; calls: number; flops: number };
  const add = (map: Map<string, Acc>, key: string, ms: number, flops: number): void => {
    const e = map.get(key) ?? { ms: 0, calls: 0, flops: 0 };
    e.ms += ms;
    e.calls += 1;
    e.flops += flops;
    map.set(key, e);
  };
  const byGroup = new Map<string, Acc>();
  const byName = new Map<string, Acc>();
  const byShape = new Map<string, Acc>();
  let total = 0;
  let flopsTotal = 0;
  const kernels = info.kernels.filter((k) => !k.name.endsWith('__op'));
  for (const k of kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const flops = convFlops(k);
    total += ms;
    flopsTotal += flops;
    const group = k.name === 'Conv2D' || k.name === 'FusedConv2D' ? 'conv forward' : k.name === 'Conv2DBackpropInput' ? 'conv dX' : k.name === 'Conv2DBackpropFilter' ? 'conv dW' : 'everything else';
    add(byGroup, group, ms, flops);
    add(byName, k.name, ms, flops);
    add(byShape, `${k.name} ${k.inputShapes.map((s) => `[${(s ?? []).join(',')}]`).join(' ')}`, ms, flops);
  }
  const lines = [
    `profile of one combined iteration (tf.profile): kernels ${total.toFixed(0)} ms of ${wall.toFixed(0)} ms wall (the rest: JS, tape, memory), ${kernels.length} kernel calls, ${(flopsTotal / 1e9).toFixed(1)} GFLOP in convolutions`,
  ];
  const top = (title: string, map: Map<string, Acc>, n: number): void => {
    lines.push(title);
    for (const [key, e] of [...map].sort((a, b) => b[1].ms - a[1].ms).slice(0, n)) {
      const rate = e.flops > 0 ? `${(e.flops / 1e9 / (e.ms / 1000)).toFixed(1).padStart(6)} GFLOP/s` : ' '.repeat(14);
      lines.push(`  ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  x${String(e.calls).padEnd(4)} ${rate}  ${key}`);
    }
  };
  top(' by group:', byGroup, 4);
  top(' by kernel:', byName, 12);
  top(' by kernel and input shapes (top 16):', byShape, 16);
  const convLayers = new Map([...byShape].filter(([, e]) => e.flops > 0));
  return { text: lines.join('\n'), convFlops: flopsTotal, convLayers };
}

// ---------------------------------------------------------------- PyTorch
interface TorchResult {
  readonly threads: number;
  readonly reconstructorStepMs: number;
  readonly discriminatorStepMs: number;
  readonly combinedStepMs: number;
  readonly inferenceMsPerImage: number;
  readonly params: { reconstructor: number; discriminator: number };
  /** Median process CPU ms per step (inference per image). */
  readonly cpuMs?: StepTimes;
  readonly runs?: { reconstructorStepMs?: number[]; discriminatorStepMs?: number[]; combinedStepMs?: number[]; inferenceBatchMs?: number[] };
}
interface TorchReport {
  readonly torch: string;
  readonly python: string;
  readonly mkldnn: boolean;
  readonly results: TorchResult[];
  /** The python that ran it. */
  readonly interpreter?: string;
}

/** Runs the PyTorch twin with one interpreter; resolves with its report or why it is unavailable. */
function runTorchWith(python: string): Promise<TorchReport | { unavailable: string }> {
  const script = new URL('./bench_train_torch.py', import.meta.url).pathname;
  const args = [script, '--json', '--batch', String(BATCH), '--warmup', String(warmup), '--repeats', String(repeats), '--threads', '1,2'];
  return new Promise((resolve) => {
    execFile(python, args, { maxBuffer: 1 << 20, timeout: 15 * 60_000 }, (error, stdout, stderr) => {
      const text = stdout.trim();
      try {
        const parsed = JSON.parse(text.split('\n').pop() ?? '') as TorchReport | { error: string };
        if ('error' in parsed) return resolve({ unavailable: parsed.error });
        if (!error) return resolve({ ...parsed, interpreter: python });
      } catch {
        // fall through
      }
      const reason = error ? `${python}: ${error.message.split('\n')[0]}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}` : `${python}: unparsable output: ${text.slice(0, 200)}`;
      resolve({ unavailable: reason });
    });
  });
}

/**
 * `python3 scripts/bench_train_torch.py --json`; when that python3 cannot import torch (e.g. a
 * pyenv or venv python3 first on PATH), Debian's /usr/bin/python3, where python3-torch installs.
 * `$PYTHON`, when set, is the only interpreter tried.
 */
async function runTorch(): Promise<TorchReport | { unavailable: string }> {
  const candidates = process.env['PYTHON'] ? [process.env['PYTHON']] : ['python3', '/usr/bin/python3'];
  const reasons: string[] = [];
  for (const python of candidates) {
    const result = await runTorchWith(python);
    if (!('unavailable' in result)) return result;
    reasons.push(result.unavailable);
    if (!/not importable|ENOENT/.test(result.unavailable)) break; // it ran and failed: do not hide that
  }
  return { unavailable: reasons.join('; ') };
}

// ---------------------------------------------------------------- 2 users vs 1
interface ParallelResult {
  readonly workers: number;
  readonly wallMs: number;
  readonly iterations: number;
  readonly perWorkerMs: number[];
  readonly itersPerSecond: number;
}

async function runWorkers(n: number): Promise<ParallelResult> {
  const workers = Array.from({ length: n }, (_, k) => {
    const input: WorkerInput = { backend: requested, batch: BATCH, warmup: 1, iterations: parallelIterations, seed: 100 + k };
    return startModuleWorker(new URL('./bench-train-worker.ts', import.meta.url), { role: 'bench-train', input });
  });
  const next = (w: Worker): Promise<WorkerMessage> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: WorkerMessage): void => {
        w.off('error', reject);
        if (m.type === 'error') reject(new Error(`worker failed: ${m.message}`));
        else resolve(m);
      };
      w.once('message', onMessage);
      w.once('error', reject);
    });
  try {
    await Promise.all(workers.map(next)); // ready: initialised, built and warmed up
    const done = workers.map(next);
    const t0 = performance.now();
    for (const w of workers) w.postMessage('go');
    const results = await Promise.all(done);
    const wallMs = performance.now() - t0;
    const perWorkerMs = results.map((m) => (m.type === 'done' ? m.ms : NaN));
    const iterations = n * parallelIterations;
    return { workers: n, wallMs, iterations, perWorkerMs, itersPerSecond: iterations / (wallMs / 1000) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------- report
const STEPS: readonly { key: StepName; label: string; unit: string }[] = [
  { key: 'reconstructorStepMs', label: 'reconstructor step', unit: 'ms' },
  { key: 'discriminatorStepMs', label: 'discriminator step', unit: 'ms' },
  { key: 'combinedStepMs', label: 'combined iteration (64 images)', unit: 'ms' },
  { key: 'inferenceMsPerImage', label: 'inference (batch 64)', unit: 'ms/image' },
];
const fmt = (v: number | undefined, unit: string): string => (v === undefined || Number.isNaN(v) ? '-' : unit === 'ms/image' ? `${v.toFixed(2)} ms/img` : `${v.toFixed(0)} ms`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const cpu = cpus();
  const versions = tf.version as Record<string, string>;
  const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');
  console.log(`machine: ${cpu.length} x ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform}/${process.arch}; load average at start ${load()} (other jobs skew the times)`);
  console.log(`versions: node ${process.version}, tfjs ${versions['tfjs'] ?? '?'} (core ${versions['tfjs-core'] ?? '?'}, layers ${versions['tfjs-layers'] ?? '?'})`);
  console.log(`model: RAN ${SHAPE.height}x${SHAPE.width}x${SHAPE.channels}, gf ${SHAPE.gf}, df ${SHAPE.df}; batch ${BATCH}; median of ${repeats} timed runs (${FAST_REPEATS} for D step and inference) after ${warmup} warm-up runs`);

  const tfjs = await benchTfjs('native', withProfile);
  const nativeAvailable = tfjs.backend === 'wasm' && trainKernelInfo().kind === 'native';
  // The wasm backend's own kernels (the fallback), measured in the same process for the ratio.
  const fallback = nativeAvailable ? await benchTfjs('wasm', withProfile) : undefined;
  if (tfjs.backend === 'wasm') {
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { version_wasm?: string };
    console.log(`tfjs backend: wasm ${wasm.version_wasm ?? '?'} (single-threaded in Node); convolution kernels: ${tfjs.kernels}${fallback ? ` and, for comparison, ${fallback.kernels}` : ''}`);
  } else {
    console.log(`tfjs backend: ${tfjs.backend}`);
  }
  console.log(`tfjs params: reconstructor ${tfjs.params.reconstructor.toLocaleString('en-US')}, discriminator ${tfjs.params.discriminator.toLocaleString('en-US')}; tensors leaked during timing: ${tfjs.leakedTensors}${fallback ? ` (fallback run: ${fallback.leakedTensors})` : ''}`);

  let torch: TorchReport | undefined;
  if (withTorch) {
    const t = await runTorch();
    if ('unavailable' in t) {
      console.log(`PyTorch: unavailable (${t.unavailable}).`);
      console.log('  Install it with: apt-get install -y python3-torch   (Debian), or: pip install torch; then re-run.');
    } else {
      torch = t;
      const p = t.results[0]?.params;
      console.log(`PyTorch: ${t.torch} (${t.interpreter ?? 'python3'} ${t.python}, mkldnn ${t.mkldnn ? 'on' : 'off'}), threads ${t.results.map((r) => r.threads).join(' and ')}${p ? `; params: reconstructor ${p.reconstructor.toLocaleString('en-US')}, discriminator ${p.discriminator.toLocaleString('en-US')}` : ''}`);
      if (p && (p.reconstructor !== tfjs.params.reconstructor || p.discriminator !== tfjs.params.discriminator)) console.log('  WARNING: parameter counts differ from the tfjs models');
    }
  } else {
    console.log('PyTorch: skipped (--no-torch)');
  }

  const t1 = torch?.results.find((r) => r.threads === 1);
  const t2 = torch?.results.find((r) => r.threads === 2);
  const ratio = (a: number | undefined, b: number | undefined, target = true): string => {
    if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)) return '-';
    const r = a / b;
    return `${r.toFixed(2)}x${target ? (r <= TARGET_RATIO ? ' ok' : ' OVER') : ''}`;
  };
  const ours = fallback ? 'native' : `tfjs ${tfjs.backend}`;
  const wallRows = STEPS.map(({ key, label, unit }) => [
    label,
    fmt(tfjs.times[key], unit),
    ...(fallback ? [fmt(fallback.times[key], unit)] : []),
    fmt(t1?.[key], unit),
    fmt(t2?.[key], unit),
    ratio(tfjs.times[key], t1?.[key]),
    ...(fallback ? [ratio(fallback.times[key], t1?.[key]), ratio(fallback.times[key], tfjs.times[key], false)] : []),
  ]);
  console.log('');
  console.log('wall time (median):');
  console.log(table([`step (batch ${BATCH})`, ours, ...(fallback ? ['wasm fallback'] : []), 'PyTorch 1 thr', 'PyTorch 2 thr', `${ours}/PyTorch 1 thr (target <= ${TARGET_RATIO})`, ...(fallback ? ['wasm/PyTorch 1 thr', 'native speed-up over wasm'] : [])], wallRows));
  const c1 = t1?.cpuMs;
  const cpuRows = STEPS.map(({ key, label, unit }) => [
    label,
    fmt(tfjs.cpu[key], unit),
    ...(fallback ? [fmt(fallback.cpu[key], unit)] : []),
    fmt(c1?.[key], unit),
    ratio(tfjs.cpu[key], c1?.[key]),
    ...(fallback ? [ratio(fallback.cpu[key], c1?.[key]), ratio(fallback.cpu[key], tfjs.cpu[key], false)] : []),
  ]);
  console.log('');
  console.log('process CPU time (median; all threads of the process, so PyTorch 1 thread only):');
  console.log(table([`step (batch ${BATCH})`, ours, ...(fallback ? ['wasm fallback'] : []), 'PyTorch 1 thr', `${ours}/PyTorch 1 thr (target <= ${TARGET_RATIO})`, ...(fallback ? ['wasm/PyTorch 1 thr', 'native speed-up over wasm'] : [])], cpuRows));
  console.log('combined iteration = ranTrainStep given a 64-image tensor (its batch argument is the half batch of the authors\' code): D step on 64 real, D step on 64 reconstructions, R step on 64.');
  console.log(`reference PyTorch 1 thread measured earlier on a similar 2-core machine: ${STEPS.map(({ key, label, unit }) => `${label.split(' ')[0]} ${fmt(REFERENCE[key], unit)}`).join(', ')}`);
  for (const r of [tfjs, fallback]) {
    if (r) console.log(`tfjs ${r.kernels} runs (ms; inference in ms/image): ${STEPS.map(({ key, label }) => `${label.split(' ')[0]} ${r.runs[key].map((v) => v.toFixed(key === 'inferenceMsPerImage' ? 2 : 0)).join('/')}`).join('; ')}`);
  }
  if (t1 || t2) {
    for (const t of [t1, t2]) {
      if (!t?.runs) continue;
      const r = t.runs;
      const j = (xs: number[] | undefined, d = 0): string => (xs ?? []).map((v) => v.toFixed(d)).join('/');
      console.log(`PyTorch ${t.threads} thr runs (ms; inference in ms/image): reconstructor ${j(r.reconstructorStepMs)}; discriminator ${j(r.discriminatorStepMs)}; combined ${j(r.combinedStepMs)}; inference ${j(r.inferenceBatchMs?.map((v) => v / BATCH), 2)}`);
    }
  }
  for (const r of [tfjs, fallback]) {
    if (!r?.profile) continue;
    console.log(`\n${r.kernels}: ${r.profile.text}`);
    const gflop = r.profile.convFlops / 1e9;
    const rate = (ms: number | undefined): string => (ms ? `${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s` : '-');
    console.log(`convolution throughput over the whole combined iteration (wall): tfjs ${r.kernels} ${rate(r.times.combinedStepMs)}, PyTorch 1 thread ${rate(t1?.combinedStepMs)}, 2 threads ${rate(t2?.combinedStepMs)}`);
  }
  if (tfjs.profile) {
    const layers = [...tfjs.profile.convLayers].sort((a, b) => b[1].flops - a[1].flops);
    const gf = (e: { ms: number; flops: number } | undefined): string => (e && e.ms > 0 ? `${(e.flops / 1e9 / (e.ms / 1000)).toFixed(1)}` : '-');
    console.log('\nGFLOP/s per convolution kernel and shapes in one combined iteration (kernel wall time from tf.profile):');
    console.log(
      table(
        ['kernel and input shapes', 'calls', 'GFLOP', `${tfjs.kernels} ms`, 'GFLOP/s', ...(fallback ? ['wasm ms', 'wasm GFLOP/s'] : [])],
        layers.map(([key, e]) => {
          const w = fallback?.profile?.convLayers.get(key);
          return [key, String(e.calls), (e.flops / 1e9).toFixed(2), e.ms.toFixed(1), gf(e), ...(fallback ? [w ? w.ms.toFixed(1) : '-', gf(w)] : [])];
        }),
      ),
    );
  }

  if (withParallel) {
    console.log('');
    console.log(`2 users vs 1: worker_threads each running initTensorflow('${requested}') with its own models, ${parallelIterations} combined iterations (64 images) each after 1 warm-up iteration`);
    // 1, 2, then 1 worker again: the single-worker throughput is the better of its two runs, so
    // a disturbance by another job during one of them does not inflate the speed-up.
    const oneA = await runWorkers(1);
    const two = await runWorkers(2);
    const oneB = await runWorkers(1);
    const one = oneA.itersPerSecond >= oneB.itersPerSecond ? oneA : oneB;
    const speedup = two.itersPerSecond / one.itersPerSecond;
    for (const [label, r] of [['1 worker  (run 1)', oneA], ['2 workers', two], ['1 worker  (run 2)', oneB]] as const) {
      console.log(`  ${label}: ${r.iterations} iterations in ${(r.wallMs / 1000).toFixed(2)} s = ${r.itersPerSecond.toFixed(3)} it/s (${(r.wallMs / parallelIterations).toFixed(0)} ms per iteration per worker; per-worker s: ${r.perWorkerMs.map((m) => (m / 1000).toFixed(2)).join(', ')})`);
    }
    console.log(`  throughput speed-up of 2 users over 1: ${speedup.toFixed(2)}x (2 workers' it/s over the faster 1-worker run; ideal ${Math.min(2, cpu.length)}x on ${cpu.length} cores)`);
  }
  console.log(`\ntotal benchmark time ${((performance.now() - started) / 1000).toFixed(0)} s; load average at end ${load()}`);
}

try {
  await main();
} catch (error) {
  console.error(`bench:train failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
