/**
 * Benchmark: the cost of one private prediction (2PC, in process) for the reference
 * reconstructor (gf = 32, 32 x 32 x 3) and the CPU-config one (gf = 8) with N = 1, 8 and 33
 * enrolled users: online and offline time per query, online bytes and rounds, dealer bytes,
 * the plaintext (TF.js) time of the same prediction, LAN / WAN estimates (compute + rounds x RTT +
 * bytes / bandwidth) and, for the largest N of each width, the per-layer breakdown.
 * Targets (gf = 32, N = 33, 2 cores): online <= 2 s, online bytes <= 150 MB, <= 250 rounds.
 *
 *   npm run bench:mpc [-- --gf 32,8] [--users 1,8,33] [--fixed-point-bits 20] [--out results/bench]
 *
 * See `measurePrivateQuery` for how offline and online work are separated. Weights are seeded
 * and untrained: costs do not depend on their values.
 */
import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { measurePrivateQuery, type QueryMeasurement } from '../src/mpc-sim/private-reconstructor/measure-query.js';
import { ringKernelInfo } from '../src/mpc-sim/ring/native-kernel.js';
import { initTensorflow } from '../src/models/runtime.js';
import { writeCsv } from '../src/report/csv.js';

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

const backend = await initTensorflow('wasm');
const kernel = ringKernelInfo();
console.log(`bench:mpc — ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
console.log(`ring kernel: ${kernel.kind}${kernel.isa === undefined ? '' : ` (${kernel.isa})`}${kernel.reason === undefined ? '' : ` — ${kernel.reason}`}; plaintext backend: ${backend.name}; fixed point f = ${fixed}`);
console.log('');

const MB = 1e6;
const header = ['gf', 'N', 'params', 'online s', 'offline s', 'rounds', 'online MB', 'offline MB', 'plaintext ms', 'LAN s', 'WAN s', 'agree'];
console.log(header.join('\t'));
const rows: QueryMeasurement[] = [];
for (const gf of widths) {
  for (const users of counts) {
    const m = await measurePrivateQuery({ shape: [32, 32, 3], gf, users, fixedPointBits: fixed, seed: 7 });
    rows.push(m);
    const bytes = m.onlineBytes[0] + m.onlineBytes[1];
    console.log(
      [
        gf,
        users,
        m.parameters,
        m.onlineSeconds.toFixed(2),
        m.offlineSeconds.toFixed(2),
        m.rounds,
        (bytes / MB).toFixed(1),
        ((m.offlineBytes[0] + m.offlineBytes[1]) / MB).toFixed(1),
        (m.plaintextSeconds * 1000).toFixed(1),
        m.estimates['LAN']!.toFixed(2),
        m.estimates['WAN']!.toFixed(2),
        m.agrees ? 'yes' : 'no',
      ].join('\t'),
    );
  }
}

console.log('');
for (const gf of widths) {
  const largest = rows.filter((r) => r.gf === gf).sort((a, b) => b.users - a.users)[0]!;
  console.log(`per-layer breakdown, gf = ${gf}, N = ${largest.users} (online MB both parties, rounds, compute s, dealer MB):`);
  for (const l of largest.layers) {
    console.log(`  ${l.layer.padEnd(22)} ${((l.onlineBytes[0] + l.onlineBytes[1]) / MB).toFixed(2).padStart(9)} MB ${String(l.rounds).padStart(4)} rounds ${l.seconds.toFixed(3).padStart(8)} s ${((l.offlineBytes[0] + l.offlineBytes[1]) / MB).toFixed(1).padStart(9)} MB`);
  }
}

const target = rows.find((r) => r.gf === 32 && r.users === 33);
if (target !== undefined) {
  const bytes = (target.onlineBytes[0] + target.onlineBytes[1]) / MB;
  console.log('');
  console.log(`targets (gf 32, N 33): online ${target.onlineSeconds.toFixed(2)} s (<= 2: ${target.onlineSeconds <= 2 ? 'met' : 'missed'}), ` +
    `${bytes.toFixed(1)} MB (<= 150: ${bytes <= 150 ? 'met' : 'missed'}), ${target.rounds} rounds (<= 250: ${target.rounds <= 250 ? 'met' : 'missed'})`);
}

if (out !== undefined) {
  await mkdir(out, { recursive: true });
  await writeCsv(
    join(out, 'mpc_cost.csv'),
    rows.map((r) => ({
      gf: r.gf, users: r.users, parameters: r.parameters, onlineSeconds: r.onlineSeconds, offlineSeconds: r.offlineSeconds, rounds: r.rounds,
      onlineBytes: r.onlineBytes[0] + r.onlineBytes[1], offlineBytes: r.offlineBytes[0] + r.offlineBytes[1], plaintextSeconds: r.plaintextSeconds,
      lanSeconds: r.estimates['LAN']!, wanSeconds: r.estimates['WAN']!, enrolSeconds: r.enrolSeconds, enrolBytes: r.enrolBytes,
    })),
  );
  await writeCsv(
    join(out, 'mpc_cost_layers.csv'),
    rows.flatMap((r) => r.layers.map((l) => ({ gf: r.gf, users: r.users, layer: l.layer, rounds: l.rounds, onlineBytes: l.onlineBytes[0] + l.onlineBytes[1], offlineBytes: l.offlineBytes[0] + l.offlineBytes[1], seconds: l.seconds }))),
  );
  console.log(`wrote ${join(out, 'mpc_cost.csv')} and mpc_cost_layers.csv`);
}
