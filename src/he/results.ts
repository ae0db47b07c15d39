import { join } from 'node:path';
import { readCsv, type Row } from '../report/csv.js';
import { layerGraph } from './graph.js';
import { layerInputs, layerOutputs, textbookProducts } from '../models/lenet/network.js';
import { perImageCost, type EncryptedInferenceResult } from './protocol.js';
import type { QuantisedModel } from './quantise.js';

/** Long-format cost rows (`implementation, keyBits, images, slots, workers, metric, value, unit`) of a run. */
export function costRows(result: EncryptedInferenceResult, keyBits: number, workers: number): Row[] {
  const c = perImageCost(result);
  const base = { implementation: result.implementation, keyBits, images: c.images, slots: result.layout.slots, workers };
  const metrics: [string, number, string][] = [
    ['secondsPerImage', c.totalSeconds, 's'],
    ['onlineSecondsPerImage', c.onlineSeconds, 's'],
    ['offlineSecondsPerImage', c.offlineSeconds, 's'],
    ['clientOnlineSecondsPerImage', c.clientSeconds, 's'],
    ['serverSecondsPerImage', c.serverSeconds, 's'],
    ['bytesClientToServerPerImage', c.bytesClientToServer, 'B'],
    ['bytesServerToClientPerImage', c.bytesServerToClient, 'B'],
    ['roundTrips', c.roundTripsPerBatch, 'count'],
    ['activationRoundTrips', Math.max(0, c.roundTripsPerBatch - 1), 'count'],
    ['setupSeconds', result.setupSeconds, 's'],
  ];
  return metrics.map(([metric, value, unit]) => ({ ...base, metric, value, unit }));
}

/**
 * Per-layer rows: inputs and outputs, textbook products per image, the optimised server's folded
 * products and chain steps per batch (one set of ciphertexts, any number of images), the static
 * bound and the optimised server's mean seconds per batch.
 */
export function layerRows(model: QuantisedModel, optimised: EncryptedInferenceResult | undefined): Row[] {
  return model.layers.map((q, l) => {
    const g = layerGraph(q.spec, q.weights);
    const seconds = optimised ? optimised.batches.reduce((a, b) => a + b.serverLayerSeconds[l]!, 0) / Math.max(1, optimised.batches.length) : null;
    return {
      layer: q.spec.name,
      inputs: layerInputs(q.spec),
      outputs: layerOutputs(q.spec),
      textbookProductsPerImage: textbookProducts(q.spec),
      foldedProductsPerBatch: g.products,
      chainStepsPerBatch: g.distinct,
      bound: q.bound,
      boundBits: Math.ceil(Math.log2(q.bound + 1)),
      serverSecondsPerBatch: seconds,
    };
  });
}

/**
 * Rows of PrivEdge's private prediction from a completed identification run folder (its
 * `private_predictions.csv`, written by `privedge predict-private`, and `metrics.csv`), for the
 * cross-system comparison. Missing files give no rows and a note.
 */
export async function privedgeRows(runDir: string): Promise<{ rows: Row[]; note?: string }> {
  const rows: Row[] = [];
  try {
    const metrics = await readCsv(join(runDir, 'metrics.csv'));
    const acc = metrics.find((r) => r['system'] === 'privedge' && r['metric'] === 'accuracy');
    const test = metrics.filter((r) => r['system'] === 'privedge' && r['metric'] === 'support').reduce((a, r) => a + Number(r['value']), 0);
    if (acc) rows.push({ system: 'privedge-plaintext', protocol: 'plaintext reconstructors', testImages: test, accuracy: Number(acc['value']), secondsPerImage: null, bytesPerImage: null, roundTrips: null, source: runDir });
  } catch {
    return { rows, note: `no metrics.csv in ${runDir}` };
  }
  try {
    const queries = await readCsv(join(runDir, 'private_predictions.csv'));
    const n = queries.length;
    if (n > 0) {
      const mean = (k: string) => queries.reduce((a, r) => a + Number(r[k]), 0) / n;
      const correct = queries.filter((r) => String(r['privatePredicted']) === String(r['trueUser'])).length;
      rows.push({ system: 'privedge-2pc', protocol: 'two-server secret sharing', testImages: n, accuracy: correct / n, secondsPerImage: mean('onlineSeconds') + mean('offlineSeconds'), bytesPerImage: mean('onlineBytes'), roundTrips: mean('rounds'), source: runDir });
    }
  } catch {
    return { rows, note: `no private_predictions.csv in ${runDir} (run privedge predict-private --run ${runDir})` };
  }
  return { rows };
}
