import { measureThreadedQuery } from '../src/mpc-sim/deploy/threaded-query.js';
import { measurePrivateQuery } from '../src/mpc-sim/private-reconstructor/measure-query.js';
import { layerCosts } from '../src/mpc-sim/accounting/layers.js';
import { initTensorflow } from '../src/models/runtime.js';
await initTensorflow('wasm');
const gf = Number(process.argv[2] ?? 32), users = Number(process.argv[3] ?? 33);
const cpu0 = process.cpuUsage();
let cpuAlt: NodeJS.CpuUsage | undefined;
const m = await measurePrivateQuery({ shape: [32, 32, 3], gf, users, fixedPointBits: 20, seed: 7, protocol: 'v3', alternative: async (s) => {
  const c = process.cpuUsage();
  const r = await measureThreadedQuery(s);
  cpuAlt = process.cpuUsage(c);
  console.log('party seconds', r.partySeconds, 'offline', r.offlineSeconds, 'online', r.onlineSeconds);
  const lc = layerCosts(r.cost, s.users[0]![0].steps.map((x) => x.name));
  for (const l of lc) console.log('T', l.layer.padEnd(22), l.seconds.toFixed(3));
  return r;
}});
console.log('in-process online', m.onlineSeconds, 'cpu during threaded (incl. recording pass) user+sys s', (cpuAlt!.user + cpuAlt!.system) / 1e6);
for (const l of m.layers) console.log('P', l.layer.padEnd(22), l.seconds.toFixed(3));
