import { fraction, tooltipMark } from '../report/chart-parts.js';
import { vegaLite, type ChartDefinition } from '../report/charts.js';

type Rows = readonly Record<string, unknown>[];

/** Display names of the systems, in legend order. */
export const SYSTEM_LABELS: Record<string, string> = {
  'weight-transmission-server-aided': 'weight transmission (server-aided)',
  'weight-transmission-fully-connected': 'weight transmission (fully connected)',
  'centralised-sgd': 'centralised SGD (pooled data)',
  'owner-alone': 'each owner alone (mean)',
};

const label = (rows: Rows): Record<string, unknown>[] => rows.map((r) => ({ ...r, systemLabel: SYSTEM_LABELS[String(r['system'])] ?? r['system'] }));

/** Charts of the `collab` experiment, built from its CSV files only. */
export const collabCharts: readonly ChartDefinition[] = [
  {
    name: 'accuracy',
    inputs: ['accuracy.csv'],
    build: (t) => vegaLite({
      title: 'Test accuracy vs rounds (both weight-transmission topologies compute the same model)',
      data: { values: label((t['accuracy.csv'] as Rows).filter((r) => r['metric'] === 'accuracy' && (r['owner'] === null || r['owner'] === undefined))) },
      facet: { row: { field: 'dataset', type: 'nominal', title: 'Dataset' }, column: { field: 'partition', type: 'nominal', title: 'Partition' } },
      spec: {
        width: 260,
        height: 180,
        mark: tooltipMark('line', { point: true }),
        encoding: {
          x: { field: 'round', type: 'quantitative', title: 'Round', axis: { tickMinStep: 1 } },
          y: fraction('value', 'Accuracy'),
          color: { field: 'systemLabel', type: 'nominal', title: 'System', sort: Object.values(SYSTEM_LABELS), legend: { labelLimit: 400 } },
          shape: { field: 'systemLabel', type: 'nominal', title: 'System', sort: Object.values(SYSTEM_LABELS), legend: { labelLimit: 400 } },
          strokeDash: { field: 'systemLabel', type: 'nominal', title: 'System', sort: Object.values(SYSTEM_LABELS), legend: { labelLimit: 400 } },
        },
      },
    }),
  },
  {
    name: 'traffic',
    inputs: ['traffic.csv'],
    build: (t) => vegaLite({
      title: 'Bytes sent + received per round (training phase, mean over rounds)',
      data: { values: (t['traffic.csv'] as Rows).filter((r) => r['phase'] === 'training') },
      transform: [
        { calculate: 'datum.bytesSent + datum.bytesReceived', as: 'bytes' },
        { aggregate: [{ op: 'mean', field: 'bytes', as: 'bytes' }], groupby: ['dataset', 'partition', 'topology', 'party'] },
        { aggregate: [{ op: 'mean', field: 'bytes', as: 'bytes' }], groupby: ['dataset', 'topology', 'party'] },
      ],
      facet: { row: { field: 'dataset', type: 'nominal', title: 'Dataset' } },
      spec: {
        width: { step: 18 },
        height: 160,
        mark: tooltipMark('bar'),
        encoding: {
          x: { field: 'party', type: 'nominal', title: 'Party', sort: null, axis: { labelAngle: -30 } },
          xOffset: { field: 'topology', type: 'nominal' },
          y: { field: 'bytes', type: 'quantitative', title: 'Bytes per round' },
          color: { field: 'topology', type: 'nominal', title: 'Topology' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    }),
  },
  {
    name: 'crypto_time',
    inputs: ['turns.csv'],
    build: (t) => vegaLite({
      title: 'Mean seconds per owner turn: local training vs AES-256-GCM vs (de)serialisation',
      data: { values: t['turns.csv'] as Rows },
      transform: [
        { calculate: 'datum.encryptSeconds + datum.decryptSeconds', as: 'AES-256-GCM' },
        { calculate: 'datum.serialiseSeconds + datum.loadSeconds', as: 'serialise + load' },
        { calculate: 'datum.trainSeconds', as: 'local training' },
        { fold: ['local training', 'AES-256-GCM', 'serialise + load'], as: ['part', 'seconds'] },
        { aggregate: [{ op: 'mean', field: 'seconds', as: 'seconds' }], groupby: ['dataset', 'topology', 'part'] },
        { filter: 'datum.seconds > 0' },
      ],
      mark: tooltipMark('bar'),
      width: { step: 22 },
      height: 220,
      encoding: {
        x: { field: 'dataset', type: 'nominal', title: 'Dataset', axis: { labelAngle: 0 } },
        xOffset: { field: 'part', type: 'nominal', sort: ['local training', 'AES-256-GCM', 'serialise + load'] },
        y: { field: 'seconds', type: 'quantitative', title: 'Seconds per turn (log)', scale: { type: 'log' }, stack: null },
        color: { field: 'part', type: 'nominal', title: 'Part', sort: ['local training', 'AES-256-GCM', 'serialise + load'] },
        column: { field: 'topology', type: 'nominal', title: 'Topology' },
      },
    }),
  },
  {
    name: 'partition',
    inputs: ['partition.csv'],
    build: (t) => vegaLite({
      title: 'Training images per owner and class',
      data: { values: t['partition.csv'] as Rows },
      facet: { row: { field: 'dataset', type: 'nominal', title: 'Dataset' }, column: { field: 'partition', type: 'nominal', title: 'Partition' } },
      spec: {
        width: 200,
        height: 140,
        mark: tooltipMark('bar'),
        encoding: {
          x: { field: 'owner', type: 'ordinal', title: 'Owner' },
          y: { field: 'images', type: 'quantitative', title: 'Images', stack: 'zero' },
          color: { field: 'class', type: 'nominal', title: 'Class', sort: null, legend: null },
        },
      },
      resolve: { scale: { y: 'independent' } },
    }),
  },
];
