import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RunError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * Saves a layers model in the TF.js format (`model.json` + `weights.bin`) into `dir`, atomically
 * per file (weights first, so a `model.json` always has its weights). No tfjs-node needed.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData;
      const bytes = weights === undefined ? new Uint8Array() : new Uint8Array(Array.isArray(weights) ? await new Blob(weights).arrayBuffer() : weights);
      await writeFileAtomic(join(dir, 'weights.bin'), bytes);
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes.byteLength } };
    }),
  );
}

/** Loads a model saved by {@link saveModel} (custom layers must be registered). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  } catch (error) {
    throw new RunError(join(dir, 'model.json'), `cannot read model: ${(error as Error).message}`);
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))));
  const data = Buffer.concat(buffers);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) }));
}
