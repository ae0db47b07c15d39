/**
 * Benchmark: the cost of one private prediction (2PC, in process) for the reference
 * reconstructor (gf = 32, 32 x 32 x 3) and the CPU-config one (gf = 8) with N = 1, 8 and 33
 * enrolled users: online and offline time per query, online bytes and rounds, dealer bytes,
 * the plaintext (TF.js) time of the same prediction, LAN / WAN estimates (compute + rounds x RTT +
 * bytes / bandwidth) and, for the largest N of each width, the per-layer breakdown.
 * Targets (issue 18; gf = 32, N = 33, 2 cores): online <= 1.5 s, online bytes <= 150 MB, <= 120 rounds.
 * Every protocol version in `--protocol` (default all of them: v1, v2, v2-d8, v3, v4, v5, v6, v7, v8; see `protocols/versions.ts`)
 * runs on the same models and query, so old and new print side by side, with the ratios.
 *
 * Each query is also run with the two servers in two worker threads (`measureThreadedQuery`: same
 * party code, replayed material), printed as "2 threads s" beside the in-process online time; its
 * rounds and bytes must equal the in-process ones (checked, a mismatch fails). "cores" is the
 * process's CPU seconds during the online phase over its wall time: how many cores it kept busy
 * (in process too: the convolutions' products run on the libuv pool, beside the JavaScript thread).
 *
 *   npm run bench:mpc [-- --gf 32,8] [--users 1,8,33] [--protocol v1,v2,v2-d8,v3,v4,v5,v6,v7,v8] [--fixed-point-bits 20] [--no-threads] [--out results/bench] [--profile dir]
 *
 * `--profile dir` profiles each cell's online phase alone (the inspector's sampling profiler, 250 us,
 * started after the offline phase and outside the timing): it writes
 * `dir/online-<protocol>-gf<gf>-n<N>.cpuprofile` (open it in Chrome DevTools or speedscope) and
 * prints, after the table, the functions with the most self time of the online phase. Profiling
 * slows the JavaScript thread: compare the online times of profiled runs with each other only.
 * Every run prints V8's garbage collections inside each online phase (count, milliseconds of
 * pauses; from a PerformanceObserver of V8's gc events).
 *
 * See `measurePrivateQuery` for how offline and online work are separated. Weights are seeded
 * and untrained: costs do not depend on their values.
 */
import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { measureThreadedQuery } from '../src/mpc-sim/deploy/threaded-query.js';
import { measurePrivateQuery, type QueryMeasurement } from '../src/mpc-sim/private-reconstructor/measure-query.js';
import { PROTOCOL_VERSIONS, type ProtocolVersion } from '../src/mpc-sim/protocols/versions.js';
import { ringKernelInfo } from '../src/mpc-sim/ring/native-kernel.js';
import { loadavg } from 'node:os';
import { initTensorflow } from '../src/models/runtime.js';
import { writeCsv } from '../src/report/csv.js';
import type { OnlinePhaseHooks } from '../src/mpc-sim/private-reconstructor/private-predict.js';
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { selfTimes, type CpuProfile } from './lib/cpu-profile.js';
import { preferThroughputGc } from './lib/gc-tuning.mjs';

function listFlag(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const values = (process.argv[i + 1] ?? '').split(',').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`${name} needs a comma-separated list of positive integers`);
  return values;
}
const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};

const widths = listFlag('--gf', [32, 8]);
const counts = listFlag('--users', [1, 8, 33]);
const fixed = Number(flag('--fixed-point-bits') ?? 20);
if (fixed !== 16 && fixed !== 20) throw new Error('--fixed-point-bits must be 16 or 20');
const out = flag('--out');
const threads = !process.argv.includes('--no-threads');
const profileDir = flag('--profile');
const protocols = (flag('--protocol') ?? PROTOCOL_VERSIONS.join(',')).split(',') as ProtocolVersion[];
for (const p of protocols) if (!PROTOCOL_VERSIONS.includes(p)) throw new Error(`--protocol: unknown version '${p}' (known: ${PROTOCOL_VERSIONS.join(', ')})`);

preferThroughputGc(); // as bin/privedge.js does, so the bench measures what the command line runs
const backend = await initTensorflow('wasm');
const kernel = ringKernelInfo();
console.log(`bench:mpc — ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (online times are wall clock: unreliable under load; rounds and bytes are exact)`);
console.log(`ring kernel: ${kernel.kind}${kernel.isa === undefined ? '' : ` (${kernel.isa})`}${kernel.reason === undefined ? '' : ` — ${kernel.reason}`}; plaintext backend: ${backend.name}; fixed point f = ${fixed}`);
console.log('');

const MB = 1e6;
const header = ['protocol', 'gf', 'N', 'params', 'online s', 'cores', ...(threads ? ['2 threads s', 'cores'] : []), 'offline s', 'rounds', 'online MB', 'offline MB', 'plaintext ms', 'LAN s', 'WAN s', 'agree'];
console.log(header.join('\t'));
const rows: QueryMeasurement[] = [];
const profiles: { label: string; summary: () => string[] }[] = [];
if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });
// V8's garbage collections of the whole run, in one list; each cell reads those of its online phase
const collections: Collection[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) collections.push({ start: e.startTime, duration: e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });
for (const gf of widths) {
  for (const users of counts) {
   for (const protocol of protocols) {
    // A full collection before each measurement (the script runs with --expose-gc): without it
    // the cells measured later in one process ran up to 1.4x slower than the same cell measured
    // first (2026-12-04: v3 6.85 s first, 8.89 s after v1), from the earlier cells' garbage.
    (globalThis as { gc?: () => void }).gc?.();
    const profiler = onlineProfiler(collections, profileDir === undefined ? undefined : join(profileDir, `online-${protocol}-gf${gf}-n${users}.cpuprofile`));
    profiles.push({ label: `${protocol} gf ${gf} N ${users}`, summary: profiler.summary });
    const m = await measurePrivateQuery({ shape: [32, 32, 3], gf, users, fixedPointBits: fixed, seed: 7, protocol, ...(threads ? { alternative: measureThreadedQuery } : {}), onlinePhase: profiler.hooks });
    rows.push(m);
    const alt = m.alternative;
    if (alt !== undefined && (alt.cost.rounds !== m.rounds || alt.cost.onlineBytes[0] !== m.onlineBytes[0] || alt.cost.onlineBytes[1] !== m.onlineBytes[1])) {
      throw new Error(`${protocol} gf ${gf} N ${users}: two threads counted ${alt.cost.rounds} rounds, ${alt.cost.onlineBytes.join(' + ')} bytes; in process ${m.rounds}, ${m.onlineBytes.join(' + ')}`);
    }
    const bytes = m.onlineBytes[0] + m.onlineBytes[1];
    console.log(
      [
        protocol,
        gf,
        users,
        m.parameters,
        m.onlineSeconds.toFixed(2),
        (m.onlineCpuSeconds / m.onlineSeconds).toFixed(2),
        ...(alt === undefined ? [] : [alt.onlineSeconds.toFixed(2), (alt.onlineCpuSeconds / alt.onlineSeconds).toFixed(2)]),
        m.offlineSeconds.toFixed(2),
        m.rounds,
        (bytes / MB).toFixed(1),
        ((m.offlineBytes[0] + m.offlineBytes[1]) / MB).toFixed(1),
        (m.plaintextSeconds * 1000).toFixed(1),
        m.estimates['LAN']!.toFixed(2),
        m.estimates['WAN']!.toFixed(2),
        m.agrees && (alt === undefined || alt.index === m.plaintextIndex) ? 'yes' : 'no',
      ].join('\t'),
    );
   }
  }
}

const base = protocols[0]!;
if (protocols.length > 1) {
  console.log('');
  console.log(`ratios to ${base} (same gf and N): rounds, online bytes, dealer bytes, online time`);
  for (const r of rows) {
    if (r.protocol === base) continue;
    const b = rows.find((x) => x.protocol === base && x.gf === r.gf && x.users === r.users)!;
    const ratio = (a: number, c: number): string => (a / c).toFixed(3);
    const sum = (p: readonly [number, number]): number => p[0] + p[1];
    console.log(`  ${r.protocol} gf ${r.gf} N ${r.users}: rounds ${r.rounds}/${b.rounds} = ${ratio(r.rounds, b.rounds)}, online MB ${ratio(sum(r.onlineBytes), sum(b.onlineBytes))}, dealer MB ${ratio(sum(r.offlineBytes), sum(b.offlineBytes))}, online s ${ratio(r.onlineSeconds, b.onlineSeconds)}`);
  }
}

console.log('');
for (const gf of widths) {
 for (const protocol of protocols) {
  const largest = rows.filter((r) => r.gf === gf && r.protocol === protocol).sort((a, b) => b.users - a.users)[0]!;
  console.log(`per-layer breakdown, ${protocol}, gf = ${gf}, N = ${largest.users} (online MB both parties, rounds, compute s, dealer MB):`);
  for (const l of largest.layers) {
    console.log(`  ${l.layer.padEnd(22)} ${((l.onlineBytes[0] + l.onlineBytes[1]) / MB).toFixed(2).padStart(9)} MB ${String(l.rounds).padStart(4)} rounds ${l.seconds.toFixed(3).padStart(8)} s ${((l.offlineBytes[0] + l.offlineBytes[1]) / MB).toFixed(1).padStart(9)} MB`);
  }
 }
}

for (const target of rows.filter((r) => r.gf === 32 && r.users === 33)) {
  const bytes = (target.onlineBytes[0] + target.onlineBytes[1]) / MB;
  console.log('');
  console.log(`targets (${target.protocol}, gf 32, N 33): online ${target.onlineSeconds.toFixed(2)} s (<= 1.5: ${target.onlineSeconds <= 1.5 ? 'met' : 'missed'}), ` +
    `${bytes.toFixed(1)} MB (<= 150: ${bytes <= 150 ? 'met' : 'missed'}), ${target.rounds} rounds (<= 120: ${target.rounds <= 120 ? 'met' : 'missed'})`);
}
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

if (out !== undefined) {
  await mkdir(out, { recursive: true });
  await writeCsv(
    join(out, 'mpc_cost.csv'),
    rows.map((r) => ({
      protocol: r.protocol, gf: r.gf, users: r.users, parameters: r.parameters, onlineSeconds: r.onlineSeconds, offlineSeconds: r.offlineSeconds, rounds: r.rounds,
      onlineBytes: r.onlineBytes[0] + r.onlineBytes[1], offlineBytes: r.offlineBytes[0] + r.offlineBytes[1], plaintextSeconds: r.plaintextSeconds,
      lanSeconds: r.estimates['LAN']!, wanSeconds: r.estimates['WAN']!, enrolSeconds: r.enrolSeconds, enrolBytes: r.enrolBytes,
    })),
  );
  await writeCsv(
    join(out, 'mpc_cost_layers.csv'),
    rows.flatMap((r) => r.layers.map((l) => ({ protocol: r.protocol, gf: r.gf, users: r.users, layer: l.layer, rounds: l.rounds, onlineBytes: l.onlineBytes[0] + l.onlineBytes[1], offlineBytes: l.offlineBytes[0] + l.offlineBytes[1], seconds: l.seconds }))),
  );
  console.log(`wrote ${join(out, 'mpc_cost.csv')} and mpc_cost_layers.csv`);
}

await new Promise((resolve) => setTimeout(resolve, 0)); // the observer's entries arrive in a later task
gcObserver.disconnect();
console.log('');
console.log(
  profileDir === undefined
    ? 'garbage collection in the online phase (V8 pauses of the JavaScript thread; --profile dir adds a CPU profile):'
    : `online-phase profiles in ${profileDir} (self time of the JavaScript thread; native calls appear as "(anonymous)" or their N-API wrapper):`,
);
for (const p of profiles) {
  const [gc, ...top] = p.summary();
  console.log(`  ${p.label}: ${gc}`);
  for (const line of top) console.log(`    ${line}`);
}

/** One garbage collection V8 reported: start (performance.now() time) and pause, in ms. */
interface Collection {
  readonly start: number;
  readonly duration: number;
}

/**
 * Hooks around one online phase: they note its time window, so that `summary` gives the
 * collections of `collections` inside it (count, milliseconds of pauses), and with a `file` they
 * write a CPU profile (inspector sampling profiler) there; `summary` then also lists the 12
 * functions with the most self time.
 */
function onlineProfiler(collections: readonly Collection[], file: string | undefined): { hooks: OnlinePhaseHooks; summary: () => string[] } {
  const session = new Session();
  let window: [number, number] = [0, 0];
  let top: string[] = [];
  const hooks: OnlinePhaseHooks = {
    start: async () => {
      if (file !== undefined) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 250 });
        await session.post('Profiler.start');
      }
      window = [performance.now(), Infinity];
    },
    stop: async () => {
      window = [window[0], performance.now()];
      if (file === undefined) return;
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(file, JSON.stringify(profile));
      top = selfTimes(profile as unknown as CpuProfile)
        .slice(0, 12)
        .map((t) => `${t.ms.toFixed(0).padStart(6)} ms  ${t.name}`);
    },
  };
  const summary = (): string[] => {
    const inside = collections.filter((c) => c.start >= window[0] && c.start <= window[1]);
    const ms = inside.reduce((sum, c) => sum + c.duration, 0);
    return [`${inside.length} collections, ${ms.toFixed(0)} ms of pauses`, ...top];
  };
  return { hooks, summary };
}
