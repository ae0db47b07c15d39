/**
 * Micro-benchmark of the comparison protocols (a few seconds):
 *   node --import tsx scripts/bench-compare.ts
 * Runs DReLU (and ReLU) on 1e5 elements with both parties in one process (one thread: the
 * time is both parties' work plus the dealer's) under the CryptoDealer and prints elements/s
 * (all of it, and with the time of dealing the keys, measured separately, taken out), rounds,
 * and online/offline bytes per element per party, for the default (l = 64, d = 4, fused last
 * AND) and the alternatives the choice in `drelu.ts` was made from.
 */
import { CryptoDealer } from '../src/mpc-sim/dealer/crypto-dealer.js';
import { FIXED16 } from '../src/mpc-sim/encoding/fixed-point.js';
import { createInProcessSession } from '../src/mpc-sim/parties/in-process.js';
import { SeededRandom, randomTensor } from '../src/mpc-sim/ring/random.js';
import { share } from '../src/mpc-sim/sharing/share.js';
import type { PartyContext } from '../src/mpc-sim/protocols/context.js';
import { drelu, type CompareOptions } from '../src/mpc-sim/protocols/drelu.js';
import { relu } from '../src/mpc-sim/protocols/relu.js';

const n = 100_000;
const random = new SeededRandom('bench-compare', { insecureDeterministic: true });
const x = share(randomTensor(random, [n]), random);

interface Case {
  readonly name: string;
  readonly options: CompareOptions;
  readonly relu?: boolean;
  readonly reps: number;
}

const cases: Case[] = [
  { name: 'drelu  l=64 d=4 fused (default)', options: {}, reps: 5 },
  { name: 'relu   l=64 d=4 fused (default)', options: {}, relu: true, reps: 5 },
  { name: 'drelu  l=64 d=4 separate B2A', options: { fuseLastAnd: false }, reps: 3 },
  { name: 'drelu  l=64 d=1 (bitwise)', options: { chunkBits: 1 }, reps: 3 },
  { name: 'drelu  l=64 d=2', options: { chunkBits: 2 }, reps: 3 },
  { name: 'drelu  l=64 d=8', options: { chunkBits: 8 }, reps: 3 },
  { name: 'drelu  l=33 d=4 (encodable range)', options: { bits: 33 }, reps: 3 },
];

for (const c of cases) {
  const dealer = new CryptoDealer();
  const session = createInProcessSession({ encoding: FIXED16, dealer });
  const step = (ctx: PartyContext): Promise<unknown> => (c.relu ? relu(ctx, x[ctx.party], c.options) : drelu(ctx, x[ctx.party], c.options));
  for (let i = 0; i < 3; i++) await session.run(step); // warm up (compile)
  let ms = 0;
  let cost = (await session.measure(step)).cost;
  for (let i = 0; i < c.reps; i++) {
    const start = performance.now();
    cost = (await session.measure(step)).cost;
    ms += (performance.now() - start) / c.reps;
  }
  // Dealing alone (what the dealer does offline), to separate it from the parties' work.
  const keyOptions = { bits: c.options.bits ?? 64, chunkBits: c.options.chunkBits ?? 4, product: c.relu === true, fuseLastAnd: c.options.fuseLastAnd ?? true };
  dealer.comparisonKey([n], 'bench', keyOptions);
  const dealStart = performance.now();
  for (let i = 0; i < c.reps; i++) dealer.comparisonKey([n], 'bench', keyOptions);
  const dealMs = (performance.now() - dealStart) / c.reps;
  const perEl = (bytes: number) => (bytes / n).toFixed(2);
  console.log(
    `${c.name}: ${(n / (ms / 1e3) / 1e6).toFixed(3)} M el/s (${ms.toFixed(0)} ms; without dealing ` +
      `${(n / (Math.max(ms - dealMs, 1e-3) / 1e3) / 1e6).toFixed(3)} M el/s), ${cost.rounds} rounds, ` +
      `online ${perEl(cost.onlineBytes[0])} B/el/party, offline ${perEl(cost.offlineBytes[0])} B/el/party`,
  );
}
