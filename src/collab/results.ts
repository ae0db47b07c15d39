import type { Row } from '../report/csv.js';
import type { CollabData } from './data.js';
import type { ConditionResult } from './condition.js';
import { classCounts, classDistance } from './partition.js';
import type { Party } from './transport.js';

/** Columns of the result files, in order. */
export const COLUMNS = {
  accuracy: ['dataset', 'partition', 'system', 'owner', 'round', 'metric', 'value'],
  partition: ['dataset', 'partition', 'owner', 'class', 'images'],
  partitionSummary: ['dataset', 'partition', 'owner', 'images', 'classesHeld', 'largestClassShare', 'classDistance'],
  turns: ['dataset', 'partition', 'topology', 'round', 'position', 'owner', 'steps', 'loss', 'trainSeconds', 'decryptSeconds', 'loadSeconds', 'serialiseSeconds', 'encryptSeconds', 'messageBytes', 'payloadBytes'],
  traffic: ['dataset', 'partition', 'topology', 'phase', 'round', 'party', 'bytesSent', 'bytesReceived', 'messagesSent', 'messagesReceived'],
  costs: ['dataset', 'partition', 'system', 'metric', 'value', 'unit'],
  predictions: ['dataset', 'partition', 'system', 'image', 'trueLabel', 'predicted'],
  equivalence: ['dataset', 'partition', 'optimizer', 'steps', 'maxAbsDifference', 'tolerance', 'holds'],
} as const;

/** Where a condition's rows belong. */
export interface ConditionKey {
  readonly dataset: string;
  readonly partition: string;
}

const partyName = (p: Party): string => (p === 'server' ? 'server' : `owner ${p}`);

/** Accuracy and macro precision / recall per system, owner and round (long format). */
export function accuracyRows(key: ConditionKey, r: ConditionResult): Row[] {
  return r.curves.flatMap((c) =>
    (['accuracy', 'macroPrecision', 'macroRecall'] as const).map((metric) => ({ ...key, system: c.system, owner: c.owner, round: c.round, metric, value: c[metric] })),
  );
}

/** Images per owner and class, and per-owner summaries (classes held, largest class share, total-variation distance from the pooled class mix). */
export function partitionRows(key: ConditionKey, r: ConditionResult, data: CollabData): { counts: Row[]; summary: Row[] } {
  const counts = classCounts(r.parts, data.train.labels, data.classes.length);
  const distance = classDistance(counts);
  return {
    counts: counts.flatMap((row, owner) => row.map((images, c) => ({ ...key, owner, class: data.classes[c]!, images }))),
    summary: counts.map((row, owner) => {
      const images = row.reduce((a, b) => a + b, 0);
      return { ...key, owner, images, classesHeld: row.filter((n) => n > 0).length, largestClassShare: Math.max(...row) / images, classDistance: distance[owner]! };
    }),
  };
}

/** One row per weight-transmission turn. */
export function turnRows(key: ConditionKey, r: ConditionResult): Row[] {
  return r.transmissions.flatMap(({ topology, turns }) =>
    turns.map((t) => ({
      ...key,
      topology,
      round: t.round,
      position: t.position,
      owner: t.owner,
      steps: t.steps,
      loss: t.loss,
      trainSeconds: t.trainSeconds,
      decryptSeconds: t.decryptSeconds,
      loadSeconds: t.loadSeconds,
      serialiseSeconds: t.serialiseSeconds,
      encryptSeconds: t.encryptSeconds,
      messageBytes: t.messageBytes,
      payloadBytes: t.payloadBytes,
    })),
  );
}

/** Bytes and messages per party, round and phase (every owner and, server-aided, the server; zeros included). */
export function trafficRows(key: ConditionKey, r: ConditionResult, owners: number, rounds: number): Row[] {
  const rows: Row[] = [];
  for (const { topology, ledger } of r.transmissions) {
    const parties: Party[] = [...Array.from({ length: owners }, (_, k) => k), ...(topology === 'server-aided' ? (['server'] as const) : [])];
    for (const phase of ['training', 'final'] as const) {
      const roundList = phase === 'training' ? Array.from({ length: rounds }, (_, i) => i + 1) : [rounds];
      for (const round of roundList) for (const party of parties) rows.push({ ...key, topology, phase, round, party: partyName(party), ...ledger.totals(party, { round, phase }) });
    }
  }
  return rows;
}

/**
 * Summary costs per system: training seconds; for weight transmission also the AES-GCM and
 * (de)serialisation seconds, the message size, mean bytes sent plus received per owner per round
 * and by the server per round (training phase), the final distribution's bytes and every byte
 * sent; prediction seconds per image (local plaintext model) for all.
 */
export function costRows(key: ConditionKey, r: ConditionResult, owners: number, rounds: number): Row[] {
  const rows: Row[] = [];
  const add = (system: string, metric: string, value: number, unit: string) => rows.push({ ...key, system, metric, value, unit });
  for (const [system, seconds] of r.trainSeconds) add(system, 'trainSeconds', seconds, 's');
  for (const { topology, turns, ledger } of r.transmissions) {
    const system = `weight-transmission-${topology}`;
    const sum = (f: (t: (typeof turns)[number]) => number) => turns.reduce((a, t) => a + f(t), 0);
    add(system, 'localTrainingSeconds', sum((t) => t.trainSeconds), 's');
    add(system, 'aesGcmSeconds', sum((t) => t.encryptSeconds + t.decryptSeconds), 's');
    add(system, 'serialiseSeconds', sum((t) => t.serialiseSeconds + t.loadSeconds), 's');
    add(system, 'messageBytes', Math.max(...turns.map((t) => t.messageBytes)), 'B');
    let ownerBytes = 0;
    for (let k = 0; k < owners; k++) {
      const t = ledger.totals(k, { phase: 'training' });
      ownerBytes += t.bytesSent + t.bytesReceived;
    }
    add(system, 'bytesPerOwnerPerRound', ownerBytes / owners / rounds, 'B');
    const server = ledger.totals('server', { phase: 'training' });
    add(system, 'serverBytesPerRound', (server.bytesSent + server.bytesReceived) / rounds, 'B');
    add(system, 'finalDistributionBytes', ledger.transfers.filter((t) => t.phase === 'final').reduce((a, t) => a + t.bytes, 0), 'B');
    add(system, 'totalBytesSent', ledger.totalBytes(), 'B');
  }
  for (const system of new Set(r.curves.map((c) => c.system))) add(system, 'predictSecondsPerImage', r.predictSecondsPerImage, 's');
  add('model', 'parameters', r.parameters, 'count');
  return rows;
}

/** Final-round predictions per system (owner-alone per owner: `owner-alone:<k>`) as class names. */
export function predictionRows(key: ConditionKey, r: ConditionResult, data: CollabData): Row[] {
  const rows: Row[] = [];
  for (const [system, predicted] of r.predictions) {
    predicted.forEach((p, i) => rows.push({ ...key, system, image: data.test.ids[i]!, trueLabel: data.classes[data.test.labels[i]!]!, predicted: data.classes[p]! }));
  }
  return rows;
}
