import { ProtocolError } from '../../errors.js';
import { DEFAULT_CHUNK_BITS } from './drelu.js';

/**
 * Which private-prediction protocol a query runs (issue 18 keeps the old one selectable so that
 * `bench:mpc` can print old and new side by side):
 * - `v1`: the tree argmin (6 ceil(log2 N) + 1 rounds), `instanceNorm` (15 or 16 rounds),
 *   4-bit comparison chunks everywhere;
 * - `v2`: `argminPairwise` (6 rounds, comparisons at l = 33, d = 8), `instanceNormV2` (11 or 12
 *   rounds), tanh with one opening for its 21 thresholds (160 fewer online bytes per element);
 *   activations as v1 (same dealer material per element);
 * - `v2-d8`: v2 with 8-bit comparison chunks for the activations and tanh too: one round fewer
 *   per activation and for tanh, fewer online bytes, about twice the comparison material.
 */
export type ProtocolVersion = 'v1' | 'v2' | 'v2-d8';

/** All versions, oldest first. */
export const PROTOCOL_VERSIONS: readonly ProtocolVersion[] = ['v1', 'v2', 'v2-d8'];

/** What a {@link ProtocolVersion} selects. */
export interface ProtocolSettings {
  readonly version: ProtocolVersion;
  /** `tree` (`argmin`) or `pairwise` (`argminPairwise`). */
  readonly argmin: 'tree' | 'pairwise';
  /** Comparison width and chunk width of the argmin's comparisons (undefined: the protocol's defaults). */
  readonly argminBits: number | undefined;
  readonly argminChunkBits: number | undefined;
  /** `v1` (`instanceNorm`) or `v2` (`instanceNormV2`). */
  readonly norm: 'v1' | 'v2';
  /** Chunk width d of the (Leaky)ReLU and tanh comparisons. */
  readonly activationChunkBits: number;
  /** tanh opens its input once for its 21 thresholds (`dreluSharedMask`). */
  readonly tanhSharedOpening: boolean;
}

/**
 * The settings of `version`. The v2 argmin compares at l = 33: differences of two dissimilarities
 * (`mse`: 0 <= M 2^f < 2^32 by its range condition) and of one and an encoded threshold fit.
 * @throws ProtocolError for an unknown version.
 */
export function protocolSettings(version: ProtocolVersion = 'v1'): ProtocolSettings {
  switch (version) {
    case 'v1':
      return { version, argmin: 'tree', argminBits: undefined, argminChunkBits: undefined, norm: 'v1', activationChunkBits: DEFAULT_CHUNK_BITS, tanhSharedOpening: false };
    case 'v2':
      return { version, argmin: 'pairwise', argminBits: 33, argminChunkBits: 8, norm: 'v2', activationChunkBits: DEFAULT_CHUNK_BITS, tanhSharedOpening: true };
    case 'v2-d8':
      return { version, argmin: 'pairwise', argminBits: 33, argminChunkBits: 8, norm: 'v2', activationChunkBits: 8, tanhSharedOpening: true };
    default:
      throw new ProtocolError('protocol', `unknown protocol version '${String(version)}' (known: ${PROTOCOL_VERSIONS.join(', ')})`);
  }
}
