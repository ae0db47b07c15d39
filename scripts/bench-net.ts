/**
 * Benchmark: private prediction across real processes (S0, S1, dealer over TLS-PSK), measured
 * per query at the client, beside the cost model's estimate (`estimateSeconds`: compute + rounds
 * x (RTT / 2 + processing per round) + busier direction's bytes / bandwidth + processing per byte
 * x bytes), where compute is the same query run in process (`inProcessDeployment`, same party
 * code, dealer inline) and the processing cost is fitted to the loopback runs of this bench.
 *
 *   npm run bench:net [-- --gf 8,32] [--users 1,8,33] [--queries 2] [--protocol v1|v2|v2-d8|v3|v4|v5|v6|v7] [--no-wan]
 *
 * loopback: the three processes on 127.0.0.1. Each loopback cell is compared with the estimate
 * whose processing cost is fitted to the OTHER loopback cells (leave one out, so no cell predicts
 * itself); the WAN cells with the processing cost fitted to all loopback cells (the WAN runs are
 * never fitted to). With a single cell there is nothing to leave out, and its loopback estimate
 * is the network-only one.
 * WAN: the same, but S0 reaches S1 through a forwarder in this process that delays every chunk
 * by RTT / 2 = 20 ms and paces each direction at 100 Mbit/s (a userspace emulation: this
 * machine's kernel has no netem qdisc, "Specified qdisc kind is unknown"; see docs/network.md).
 * Only the S0-S1 link is shaped, as in the cost model; the dealer's bytes are printed separately.
 * Models: seeded untrained reconstructors 32 x 32 x 3 (costs do not depend on weight values).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NETWORK_PROFILES, NO_PROCESSING, estimateSeconds, fitProcessingCost, type CostFigures, type NetworkProfile, type ProcessingCost, type ProcessingSample } from '../src/mpc-sim/accounting/network.js';
import { connectServers } from '../src/mpc-sim/deploy/client.js';
import { inProcessDeployment } from '../src/mpc-sim/deploy/in-process-deployment.js';
import { freePort, spawnParty, type PartyProcess } from '../src/testing/deploy-processes.js';
import { FIXED20 } from '../src/mpc-sim/encoding/fixed-point.js';
import { readReconstructorWeights } from '../src/mpc-sim/private-reconstructor/reconstructor.js';
import { generateKeys } from '../src/mpc-sim/transport/keys.js';
import { buildReconstructor } from '../src/models/rec-adv/architecture.js';
import { PROTOCOL_VERSIONS, type ProtocolVersion } from '../src/mpc-sim/protocols/protocol-version.js';

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const list = (name: string, fallback: number[]): number[] => (flag(name) ?? fallback.join(',')).split(',').map(Number);
const widths = list('--gf', [8, 32]);
const counts = list('--users', [1, 8, 33]);
const queries = Number(flag('--queries') ?? 2);
const protocol = (flag('--protocol') ?? 'v1') as ProtocolVersion;
if (!PROTOCOL_VERSIONS.includes(protocol)) throw new Error(`--protocol: unknown version '${protocol}' (known: ${PROTOCOL_VERSIONS.join(', ')})`);
const protocolArgs = ['--protocol', protocol];
const wan = !process.argv.includes('--no-wan');
const SEED = 'bench-net';
const [LAN, WAN] = NETWORK_PROFILES as [NetworkProfile, NetworkProfile];
/** Loopback as the cost model sees it: no latency, no bandwidth limit (what is left is processing). */
const LOOPBACK: NetworkProfile = { name: 'loopback', bitsPerSecond: Infinity, rttSeconds: 0 };

/** A TCP forwarder to 127.0.0.1:`target` adding `oneWayMs` and pacing each direction at `bitsPerSecond`, in order. */
async function wanForwarder(target: number, oneWayMs: number, bitsPerSecond: number): Promise<net.Server> {
  const direction = (dst: net.Socket): ((chunk: Buffer) => void) => {
    const queue: { chunk: Buffer; release: number }[] = [];
    let busyUntil = 0;
    let timer: NodeJS.Timeout | undefined;
    const pump = (): void => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.release <= now) dst.write(queue.shift()!.chunk);
      if (queue.length > 0) timer = setTimeout(pump, queue[0]!.release - now);
    };
    return (chunk) => {
      const now = performance.now();
      busyUntil = Math.max(now, busyUntil) + (chunk.length * 8 * 1000) / bitsPerSecond;
      queue.push({ chunk, release: busyUntil + oneWayMs });
      if (timer === undefined) timer = setTimeout(pump, busyUntil + oneWayMs - now);
    };
  };
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on('data', direction(outbound));
    outbound.on('data', direction(inbound));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

interface Deployment {
  readonly servers: readonly [string, number][];
  readonly parties: PartyProcess[];
  readonly forwarder: net.Server | undefined;
}

async function startDeployment(dir: string, network: 'loopback' | 'wan'): Promise<Deployment> {
  const keys = join(dir, 'keys');
  const common = ['--keys', keys, '--timeout', '120000', '--retry', '60000'];
  const parties: PartyProcess[] = [];
  const run = async (args: string[], ready: RegExp): Promise<void> => {
    const p = spawnParty([...common, ...args]);
    parties.push(p);
    await p.waitFor(ready, 120_000);
  };
  const [d, s0, s1] = [await freePort(), await freePort(), await freePort()];
  const forwarder = network === 'wan' ? await wanForwarder(s1, (WAN.rttSeconds * 1000) / 2, WAN.bitsPerSecond) : undefined;
  const peer = forwarder === undefined ? s1 : (forwarder.address() as net.AddressInfo).port;
  await run(['--role', 'dealer', '--state', join(dir, 'dealer'), '--listen', `127.0.0.1:${d}`, '--insecure-seed', SEED], /^dealer: ready/);
  await run(['--role', 's1', '--state', join(dir, 's1'), '--listen', `127.0.0.1:${s1}`, '--dealer', `127.0.0.1:${d}`, ...protocolArgs], /^s1: ready/);
  await run(['--role', 's0', '--state', join(dir, 's0'), '--listen', `127.0.0.1:${s0}`, '--dealer', `127.0.0.1:${d}`, '--peer', `127.0.0.1:${peer}`, ...protocolArgs], /^s0: ready/);
  return { servers: [['127.0.0.1', s0], ['127.0.0.1', s1]], parties, forwarder };
}

async function stop(d: Deployment): Promise<void> {
  for (const p of d.parties) p.child.kill('SIGTERM');
  await Promise.all(d.parties.map((p) => p.exited));
  d.forwarder?.close();
}

function image(): Float32Array {
  return Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37) * 0.8);
}

await tf.setBackend('cpu');
process.on('SIGINT', () => process.exit(130));
console.log(`bench:net — ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${new Date().toISOString()}, protocol ${protocol}`);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${queries} measured queries per cell after one warm-up; WAN ${wan ? 'emulated (userspace forwarder, 20 ms each way, 100 Mbit/s each way)' : 'skipped (--no-wan)'}`);
console.log('measuring (one row per cell; the estimates follow once every loopback cell is in)');
interface Cell {
  readonly gf: number;
  readonly n: number;
  readonly figures: CostFigures;
  readonly loopback: number;
  readonly wan: number | undefined;
  readonly load: number;
}
const cells: Cell[] = [];
for (const gf of widths) {
  for (const n of counts) {
    const descriptions = Array.from({ length: n }, (_, u) => readReconstructorWeights(buildReconstructor({ height: 32, width: 32, channels: 3, gf, df: gf }, 7000 + u * 17)));
    const x = image();
    // In process: the compute term of the estimate.
    const local = inProcessDeployment(FIXED20, { seed: SEED, insecureDeterministic: true }, protocol);
    for (const [u, d] of descriptions.entries()) await local.enrol(d, `user-${u}`);
    await local.query(x, 'warm');
    let inProcess = Infinity;
    for (let q = 0; q < queries; q++) {
      const t = performance.now();
      await local.query(x, `m${q}`);
      inProcess = Math.min(inProcess, (performance.now() - t) / 1000);
    }
    const measured: Record<string, number> = {};
    let cost = { rounds: 0, bytes: [0, 0] as readonly [number, number], dealer: 0 };
    for (const network of wan ? (['loopback', 'wan'] as const) : (['loopback'] as const)) {
      const dir = mkdtempSync(join(tmpdir(), 'privedge-bench-net-'));
      generateKeys(join(dir, 'keys'));
      const d = await startDeployment(dir, network);
      try {
        const servers = await connectServers({ keysDir: join(dir, 'keys'), servers: d.servers.map(([host, port]) => ({ host, port })) as never, timeoutMs: 120_000, jobTimeoutMs: 3_600_000 }, FIXED20);
        for (const [u, desc] of descriptions.entries()) await servers.enrol(desc, `user-${u}`);
        await servers.query(x, [32, 32, 3]);
        let best = Infinity;
        for (let q = 0; q < queries; q++) {
          const r = await servers.query(x, [32, 32, 3]);
          best = Math.min(best, r.seconds);
          cost = { rounds: r.rounds, bytes: r.onlineBytes, dealer: r.offlineBytes[0] + r.offlineBytes[1] };
        }
        measured[network] = best;
        servers.close();
      } finally {
        await stop(d);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const cell: Cell = { gf, n, figures: { computeSeconds: inProcess, rounds: cost.rounds, bytes: cost.bytes, dealerBytes: cost.dealer }, loopback: measured.loopback!, wan: measured.wan, load: loadavg()[0]! };
    cells.push(cell);
    console.log(`  gf ${gf}, N ${n}: in process ${inProcess.toFixed(2)} s, loopback ${cell.loopback.toFixed(2)} s${cell.wan === undefined ? '' : `, WAN ${cell.wan.toFixed(2)} s`} (load ${cell.load.toFixed(1)})`);
  }
}

const sample = (c: Cell): ProcessingSample => ({
  rounds: c.figures.rounds,
  processedBytes: c.figures.bytes[0] + c.figures.bytes[1] + (c.figures.dealerBytes ?? 0),
  excessSeconds: c.loopback - estimateSeconds(c.figures, LOOPBACK),
});
const all = fitProcessingCost(cells.map(sample));
const leaveOut = (k: number): ProcessingCost => (cells.length > 1 ? fitProcessingCost(cells.filter((_, j) => j !== k).map(sample)) : NO_PROCESSING);
const off = (est: number, measured: number): string => `${est >= measured ? '+' : ''}${(((est - measured) / measured) * 100).toFixed(0)} %`;
console.log(`processing cost fitted to all ${cells.length} loopback cell(s): ${(all.secondsPerRound * 1e3).toFixed(3)} ms per round, ${(all.secondsPerByte * 1e9).toFixed(2)} ms per MB (= ${(1 / Math.max(all.secondsPerByte, 1e-30) / 1e6).toFixed(0)} MB/s through TLS, framing and copies)`);
console.log(['gf', 'N', 'rounds', 'online MB/dir', 'dealer MB', 'in-process s', 'loopback s', 'loopback est s (LOO)', 'off', 'LAN est s', 'WAN s', 'WAN est s', 'off', 'WAN est s (no processing)', 'off', 'load'].join('\t'));
let worst = 0;
for (const [k, c] of cells.entries()) {
  const loopEst = estimateSeconds(c.figures, LOOPBACK, leaveOut(k));
  const wanEst = estimateSeconds(c.figures, WAN, all);
  const wanBare = estimateSeconds(c.figures, WAN);
  worst = Math.max(worst, Math.abs(loopEst - c.loopback) / c.loopback, c.wan === undefined ? 0 : Math.abs(wanEst - c.wan) / c.wan);
  console.log(
    [
      c.gf, c.n, c.figures.rounds, (Math.max(...c.figures.bytes) / 1e6).toFixed(1), ((c.figures.dealerBytes ?? 0) / 1e6).toFixed(1), c.figures.computeSeconds.toFixed(2),
      c.loopback.toFixed(2), loopEst.toFixed(2), off(loopEst, c.loopback), estimateSeconds(c.figures, LAN, all).toFixed(2),
      c.wan?.toFixed(2) ?? '', wanEst.toFixed(2), c.wan === undefined ? '' : off(wanEst, c.wan), wanBare.toFixed(2), c.wan === undefined ? '' : off(wanBare, c.wan), c.load.toFixed(1),
    ].join('\t'),
  );
}
console.log(`largest estimate error: ${(worst * 100).toFixed(0)} % (target: within 25 % in every cell)`);
