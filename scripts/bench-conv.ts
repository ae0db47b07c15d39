/**
 * Benchmark of the enrolled-weights convolution (a few seconds):
 *   node --import tsx scripts/bench-conv.ts
 * Runs the two largest layers of the reference reconstructor (gf = 32 on 32 x 32 x 3), both
 * `UpSampling2D(2) -> Conv2D(k4, s1, same)`: up3 8x8x256 -> 16x16x256 -> 16x16x128 and
 * up4 16x16x128 -> 32x32x128 -> 32x32x64, with both parties in one process (one thread: a
 * phase's time is both parties' work, plus the dealer's offline) under the CryptoDealer, local
 * truncation. For each mask placement it prints the enrolment, the offline phase and the online
 * phase of one query: time, rounds and bytes per party, and the online rate in GMAC/s
 * (M K N multiply-accumulates of the layer per second of online time; each party does M K N, so
 * on two machines the per-party rate is twice that).
 */
import type { MaskPlacement } from '../src/mpc-sim/dealer/conv-material.js';
import { CryptoDealer } from '../src/mpc-sim/dealer/crypto-dealer.js';
import { FIXED16 } from '../src/mpc-sim/encoding/fixed-point.js';
import { createInProcessSession } from '../src/mpc-sim/parties/in-process.js';
import { convGeometry } from '../src/mpc-sim/ring/im2col.js';
import { SeededRandom, randomTensor } from '../src/mpc-sim/ring/random.js';
import { share } from '../src/mpc-sim/sharing/share.js';
import { conv2dOnline, conv2dSizes, enrolConv2d, prepareConv2d } from '../src/mpc-sim/protocols/conv2d.js';

const random = new SeededRandom('bench-conv', { insecureDeterministic: true });
const REPS = 2;

const layers = [
  { name: 'up3 8x8x256 -up2-> 16x16x256 -> 16x16x128', h: 8, w: 8, c: 256, n: 128 },
  { name: 'up4 16x16x128 -up2-> 32x32x128 -> 32x32x64', h: 16, w: 16, c: 128, n: 64 },
];

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

for (const layer of layers) {
  const geometry = convGeometry({ inHeight: 2 * layer.h, inWidth: 2 * layer.w, inChannels: layer.c, kernel: 4 });
  // Values do not matter for time or bytes: uniform ring words.
  const weights = share(randomTensor(random, [4, 4, layer.c, layer.n]), random);
  const bias = share(randomTensor(random, [layer.n]), random);
  const x = share(randomTensor(random, [layer.h, layer.w, layer.c]), random);
  for (const mask of ['input', 'patches'] as MaskPlacement[]) {
    const session = createInProcessSession({ encoding: FIXED16, dealer: new CryptoDealer() });
    let start = performance.now();
    const enrol = await session.measure((ctx) =>
      enrolConv2d(ctx, weights[ctx.party], bias[ctx.party], { layer: layer.name, geometry, upsample: 2, mask }),
    );
    const enrolMs = performance.now() - start;
    const enrolled = enrol.results;
    const { m, k, n } = conv2dSizes(enrolled[0]);
    const macs = m * k * n;
    let offMs = 0;
    let onMs = 0;
    let off = enrol.cost;
    let on = enrol.cost;
    for (let rep = 0; rep <= REPS; rep++) {
      start = performance.now();
      const prep = await session.measure((ctx) => prepareConv2d(ctx, enrolled[ctx.party]));
      const t1 = performance.now();
      const query = await session.measure((ctx) => conv2dOnline(ctx, enrolled[ctx.party], prep.results[ctx.party], x[ctx.party]));
      const t2 = performance.now();
      if (rep === 0) continue; // warm-up (compile)
      offMs += (t1 - start) / REPS;
      onMs += (t2 - t1) / REPS;
      off = prep.cost;
      on = query.cost;
    }
    console.log(`${layer.name}, ${mask} mask: M=${m} K=${k} N=${n}, ${(macs / 1e6).toFixed(0)} M MAC`);
    console.log(
      `  enrolment (once):  ${enrolMs.toFixed(0)} ms, ${enrol.cost.rounds} round, online ${mb(enrol.cost.onlineBytes[0])}/party, dealer ${mb(enrol.cost.offlineBytes[0])}/party`,
    );
    console.log(`  offline per query: ${offMs.toFixed(0)} ms, ${off.rounds} rounds, dealer ${mb(off.offlineBytes[0])}/party (3 M K N products incl. the dealer's)`);
    console.log(
      `  online per query:  ${onMs.toFixed(0)} ms, ${on.rounds} round, ${mb(on.onlineBytes[0])}/party; ` +
        `${(macs / (onMs * 1e6)).toFixed(2)} GMAC/s (layer), ${((2 * macs) / (onMs * 1e6)).toFixed(2)} GMAC/s (both parties' products)`,
    );
  }
}
