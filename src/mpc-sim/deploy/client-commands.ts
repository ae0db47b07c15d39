import { ProtocolError, UsageError } from '../../errors.js';
import { fixedPoint } from '../encoding/fixed-point.js';
import { connectServers, type QueryResult } from './client.js';
import { queryAndRecord } from './record-query.js';
import { parseAddress } from './serve.js';

/** Connection options shared by `privedge enrol` and `privedge query`. */
export interface ClientCommandOptions {
  /** `host:port,host:port` of S0 and S1. */
  readonly servers: string;
  readonly keys: string;
  readonly timeoutMs: number;
  readonly fracBits: number;
}

function connect(o: ClientCommandOptions) {
  const parts = o.servers.split(',');
  if (parts.length !== 2) throw new UsageError(`--servers must be two host:port, S0's then S1's, comma-separated; got ${JSON.stringify(o.servers)}`);
  const servers = [parseAddress('servers', parts[0]), parseAddress('servers', parts[1])] as const;
  return connectServers({ keysDir: o.keys, servers, timeoutMs: o.timeoutMs, jobTimeoutMs: 60 * o.timeoutMs }, fixedPoint({ fracBits: o.fracBits }));
}

/**
 * `privedge enrol`: loads a user's trained reconstructor (a model folder written by `privedge
 * train`), shares its weights with fresh randomness and enrols them at both servers.
 * @returns the servers' model ids after enrolment.
 */
export async function enrolModel(o: ClientCommandOptions & { readonly model: string; readonly user: string }): Promise<string[]> {
  const tf = await import('@tensorflow/tfjs');
  await import('../../models/rec-adv/architecture.js'); // registers the custom layers
  const { loadModel } = await import('../../models/io.js');
  const { readReconstructorWeights } = await import('../private-reconstructor/reconstructor.js');
  await tf.setBackend('cpu');
  const model = await loadModel(o.model);
  const description = readReconstructorWeights(model);
  model.dispose();
  const servers = await connect(o);
  try {
    return (await servers.enrol(description, o.user)).modelIds;
  } finally {
    servers.close();
  }
}

/**
 * `privedge query`: decodes an image file at the servers' input size, scales it to [-1, 1] as in
 * training, runs one private query and (only on success) adds a row to `out`.
 */
export async function queryImage(o: ClientCommandOptions & { readonly image: string; readonly out?: string; readonly threshold?: number }): Promise<QueryResult> {
  const { decodeImageFile } = await import('../../datasets/decode/image.js');
  const { toUnitRange } = await import('../../datasets/tensors.js');
  const servers = await connect(o);
  try {
    const [info] = await servers.info();
    if (info.inputShape === null) throw new ProtocolError('query', 'the servers have no enrolled users: run "privedge enrol" first');
    const [height, width, channels] = info.inputShape;
    if (channels !== 1 && channels !== 3) throw new ProtocolError('query', `the enrolled models take ${channels} channels`);
    const pixels = await decodeImageFile(o.image, { width, height, channels, fit: 'fill', kernel: 'lanczos3' });
    const x = Float32Array.from(pixels, toUnitRange);
    return await queryAndRecord(servers, x, info.inputShape, o.image, o.out, o.threshold === undefined ? {} : { threshold: o.threshold });
  } finally {
    servers.close();
  }
}
