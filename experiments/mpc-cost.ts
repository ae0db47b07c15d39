import { tooltipMark } from '../src/report/chart-parts.js';
import { measurePrivateQuery, type QueryMeasurement } from '../src/mpc-sim/private-reconstructor/measure-query.js';
import { ringKernelInfo } from '../src/mpc-sim/ring/native-kernel.js';
import type { TopLevelSpec } from 'vega-lite';
import { vegaLite, type ChartDefinition } from '../src/report/charts.js';
import type { Row } from '../src/report/csv.js';
import { defineExperiment } from '../src/runner/experiment.js';
import { mpcCostOptions } from './options/mpc-cost.js';

const METRICS = ['onlineSeconds', 'offlineSeconds', 'plaintextSeconds', 'lanSeconds', 'wanSeconds', 'onlineMB', 'offlineMB', 'rounds'] as const;

function lineChart(title: string, metrics: readonly string[], yTitle: string, log: boolean): ChartDefinition['build'] {
  return (t): TopLevelSpec => vegaLite({
    title,
    data: { values: (t['mpc_cost.csv'] ?? []).filter((r) => metrics.includes(String(r['metric']))) as Record<string, unknown>[] },
    mark: tooltipMark('line', { point: true }),
    width: 360,
    height: 220,
    encoding: {
      x: { field: 'users', type: 'quantitative', title: 'Enrolled users N', scale: { type: 'log', base: 2 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, ...(log ? { scale: { type: 'log' } } : {}) },
      color: { field: 'metric', type: 'nominal', title: 'Measure' },
      strokeDash: { field: 'gf', type: 'nominal', title: 'gf' },
    },
  });
}

/**
 * `mpc-cost`: the cost of one private prediction as a function of the number of enrolled users N
 * and of the reconstructor width gf, at the config's image size: online and offline time, online
 * and dealer bytes, rounds, the plaintext (TF.js) time of the same prediction, and LAN / WAN
 * estimates (compute + rounds x RTT / 2 + bytes / bandwidth, `estimateSeconds`). Reconstructors are seeded and
 * untrained (costs do not depend on the weights' values); each configuration is measured by
 * `measurePrivateQuery` (a recording pass generates the dealer material, the measured pass
 * replays it). Writes `mpc_cost.csv` (long: gf, users, metric, value) and
 * `mpc_cost_layers.csv` (per layer, for every configuration).
 */
export const mpcCost = defineExperiment({
  ...mpcCostOptions,
  charts: [
    { name: 'mpc_time', inputs: ['mpc_cost.csv'], build: lineChart('Private prediction: time per query', ['onlineSeconds', 'offlineSeconds', 'plaintextSeconds', 'lanSeconds', 'wanSeconds'], 'Seconds (log)', true) },
    { name: 'mpc_bytes', inputs: ['mpc_cost.csv'], build: lineChart('Private prediction: communication per query', ['onlineMB', 'offlineMB'], 'MB, both servers (log)', true) },
    { name: 'mpc_rounds', inputs: ['mpc_cost.csv'], build: lineChart('Private prediction: rounds per query', ['rounds'], 'Rounds', false) },
  ],
  async run(ctx, options) {
    const data = await ctx.dataset();
    await ctx.tensorflow();
    const all = data.partition.users.length;
    const counts = [...new Set(options.users.map((u) => (u === 'all' ? all : u)))].sort((a, b) => a - b);
    const widths = options.gf ?? [ctx.config.training.gf];
    const { width, height, channels } = data.config.image;
    const kernel = ringKernelInfo();
    ctx.record('ringKernel', kernel);
    const rows: Row[] = [];
    const layerRows: Row[] = [];
    const task = ctx.reporter.task(`mpc-cost: ${widths.length} widths x ${counts.length} user counts`, widths.length * counts.length);
    for (const gf of widths) {
      for (const users of counts) {
        const m: QueryMeasurement = await measurePrivateQuery({
          shape: [height, width, channels],
          gf,
          users,
          fixedPointBits: options.fixedPointBits,
          seed: ctx.rng.child(`mpc-cost:${gf}:${users}`).nextUint32() % 1_000_000,
        });
        const values: Record<(typeof METRICS)[number], number> = {
          onlineSeconds: m.onlineSeconds,
          offlineSeconds: m.offlineSeconds,
          plaintextSeconds: m.plaintextSeconds,
          lanSeconds: m.estimates['LAN']!,
          wanSeconds: m.estimates['WAN']!,
          onlineMB: (m.onlineBytes[0] + m.onlineBytes[1]) / 1e6,
          offlineMB: (m.offlineBytes[0] + m.offlineBytes[1]) / 1e6,
          rounds: m.rounds,
        };
        for (const metric of METRICS) rows.push({ gf, users, parameters: m.parameters, metric, value: values[metric] });
        for (const l of m.layers) {
          layerRows.push({ gf, users, layer: l.layer, rounds: l.rounds, onlineBytes: l.onlineBytes[0] + l.onlineBytes[1], offlineBytes: l.offlineBytes[0] + l.offlineBytes[1], seconds: l.seconds });
        }
        ctx.record(`gf${gf}_users${users}`, { ...values, enrolSeconds: m.enrolSeconds, enrolMB: m.enrolBytes / 1e6, parameters: m.parameters });
        task.tick();
      }
    }
    task.done();
    await ctx.writeCsv('mpc_cost.csv', rows, ['gf', 'users', 'parameters', 'metric', 'value']);
    await ctx.writeCsv('mpc_cost_layers.csv', layerRows, ['gf', 'users', 'layer', 'rounds', 'onlineBytes', 'offlineBytes', 'seconds']);
  },
});
