import { ProtocolError } from '../../errors.js';
import type { Share } from '../sharing/share.js';
import { decode, type FixedPointEncoding } from '../encoding/fixed-point.js';
import type { RingTensor } from '../ring/ring-tensor.js';
import { argmin, fineMse, fineMseUnit, mse, MSE_GUARD_BITS, mseSumShift, type ArgminResult } from './argmin.js';
import { argminPairwise } from './argmin-pairwise.js';
import type { PartyContext } from './context.js';
import { DEFAULT_CHUNK_BITS } from './drelu.js';
import { PROTOCOL_VERSIONS, type ProtocolVersion } from './protocol-version.js';

export { PROTOCOL_VERSIONS, type ProtocolVersion } from './protocol-version.js';

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
  /** Truncating openings send only the top bits their receiver reads (`truncate.ts` `openTruncationMask`; v7). */
  readonly compactOpenings: boolean;
  /**
   * What the argmin compares: `mse` (`mse`, at the encoding's f) or `fine-mse` (`fineMse`: 2^8
   * times finer, times n / 2^s, one round fewer; v8).
   */
  readonly dissimilarity: 'mse' | 'fine-mse';
  /** How users are enrolled for this version (`enrolReconstructor`'s options). */
  readonly enrolment: VersionEnrolment;
}

/** The enrolment choices a version makes (passed to `enrolReconstructor`). */
export interface VersionEnrolment {
  /** Fold InstanceNorms into the next conv where it pays (`protocols/norm-conv.ts`; v3 to v5). */
  readonly foldNorms: boolean;
  /** Multiply a folded norm's gamma into the next conv's weights at enrolment (v4). */
  readonly foldGamma: boolean;
  /** Compute a LeakyReLU before a folded norm as 1/alpha times its output, untruncated (v4). */
  readonly leakySlopeIntoNorm: boolean;
  /** A folded norm's scale step reads the sum of squares at full scale, with no rescaling truncation (v4). */
  readonly wideNormGrid: boolean;
  /** The truncation of a conv's or folded norm's output happens in the opening of the activation after it (v5 to v7). */
  readonly fuseTruncations: boolean;
  /** A folded norm's mean is truncated in the round of the conv's opening (v6, v7). */
  readonly meanInOpening: boolean;
}

/**
 * The settings of `version`. The v2 argmin compares at l = 33: differences of two dissimilarities
 * (`mse`: 0 <= M 2^f < 2^32 by its range condition) and of one and an encoded threshold fit.
 * @throws ProtocolError for an unknown version.
 */
export function protocolSettings(version: ProtocolVersion = 'v1'): ProtocolSettings {
  const plain: VersionEnrolment = { foldNorms: false, foldGamma: false, leakySlopeIntoNorm: false, wideNormGrid: false, fuseTruncations: false, meanInOpening: false };
  const folded: VersionEnrolment = { ...plain, foldNorms: true };
  const v4: VersionEnrolment = { ...folded, foldGamma: true, leakySlopeIntoNorm: true, wideNormGrid: true };
  switch (version) {
    case 'v1':
      return { version, argmin: 'tree', argminBits: undefined, argminChunkBits: undefined, norm: 'v1', activationChunkBits: DEFAULT_CHUNK_BITS, tanhSharedOpening: false, compactOpenings: false, dissimilarity: 'mse', enrolment: plain };
    case 'v2':
      return { version, argmin: 'pairwise', argminBits: 33, argminChunkBits: 8, norm: 'v2', activationChunkBits: DEFAULT_CHUNK_BITS, tanhSharedOpening: true, compactOpenings: false, dissimilarity: 'mse', enrolment: plain };
    case 'v2-d8':
      return { version, argmin: 'pairwise', argminBits: 33, argminChunkBits: 8, norm: 'v2', activationChunkBits: 8, tanhSharedOpening: true, compactOpenings: false, dissimilarity: 'mse', enrolment: plain };
    case 'v3':
      return { version, argmin: 'pairwise', argminBits: 33, argminChunkBits: 8, norm: 'v2', activationChunkBits: DEFAULT_CHUNK_BITS, tanhSharedOpening: true, compactOpenings: false, dissimilarity: 'mse', enrolment: folded };
    case 'v4':
      return { version, argmin: 'pairwise', argminBits: 33, argminChunkBits: 8, norm: 'v2', activationChunkBits: 8, tanhSharedOpening: true, compactOpenings: false, dissimilarity: 'mse', enrolment: v4 };
    case 'v5':
      return { version, argmin: 'pairwise', argminBits: 33, argminChunkBits: 8, norm: 'v2', activationChunkBits: 8, tanhSharedOpening: true, compactOpenings: false, dissimilarity: 'mse', enrolment: { ...v4, fuseTruncations: true } };
    case 'v6':
      return { version, argmin: 'pairwise', argminBits: 33, argminChunkBits: 8, norm: 'v2', activationChunkBits: 8, tanhSharedOpening: true, compactOpenings: false, dissimilarity: 'mse', enrolment: { ...v4, fuseTruncations: true, meanInOpening: true } };
    case 'v7':
      return { ...protocolSettings('v6'), version, compactOpenings: true };
    case 'v8':
      return { ...protocolSettings('v7'), version, dissimilarity: 'fine-mse' };
    default:
      throw new ProtocolError('protocol', `unknown protocol version '${String(version)}' (known: ${PROTOCOL_VERSIONS.join(', ')})`);
  }
}

/**
 * The argmin of `version` over the shared dissimilarities `values` ([Q, N], each of
 * {@link versionDissimilarity} over images of `imageSize` elements), with the optional threshold
 * bit: `argmin` (tree) for v1, `argminPairwise` at the version's widths otherwise. `threshold` is
 * the MSE threshold encoded at the encoding's f, as clients send it; it is brought to the
 * dissimilarities' scale here ({@link dissimilarityThreshold}). Reveals only the indices (and the
 * bits).
 */
export function versionArgmin(ctx: PartyContext, values: Share, version: ProtocolVersion, imageSize: number, threshold?: bigint): Promise<ArgminResult> {
  const settings = protocolSettings(version);
  const options = {
    ...(threshold === undefined ? {} : { threshold: dissimilarityThreshold(version, imageSize, threshold) }),
    ...(settings.argminBits === undefined ? {} : { bits: settings.argminBits }),
    ...(settings.argminChunkBits === undefined ? {} : { chunkBits: settings.argminChunkBits }),
  };
  return settings.argmin === 'pairwise' ? argminPairwise(ctx, values, options) : argmin(ctx, values, options);
}

/**
 * The dissimilarity of `version` between the shared query `x` and one shared reconstruction, as a
 * shared scalar [1] the argmin compares: `mse` (3 rounds, at the encoding's f) or, for v8,
 * `fineMse` (2 rounds, 2^8 times finer, times n / 2^s). {@link decodeDissimilarities} and
 * {@link dissimilarityThreshold} read and compare it as an MSE.
 * @throws ProtocolError if `fine-mse` is asked at more than 21 fractional bits (its range
 *   condition for a comparison at l = 33).
 */
export function versionDissimilarity(ctx: PartyContext, x: Share, reconstruction: Share, version: ProtocolVersion = 'v1', tag = 'mse'): Promise<Share> {
  if (protocolSettings(version).dissimilarity === 'mse') return mse(ctx, x, reconstruction, tag);
  assertFineMseFits(ctx.encoding.fracBits, version);
  return fineMse(ctx, x, reconstruction, tag);
}

/** Largest f at which `fineMse` values (below 2^(f + G + 2) for MSEs up to 4) fit the argmin's l = 33. */
const FINE_MSE_MAX_FRAC_BITS = 29 - MSE_GUARD_BITS;

function assertFineMseFits(fracBits: number, version: ProtocolVersion): void {
  if (fracBits > FINE_MSE_MAX_FRAC_BITS) {
    throw new ProtocolError('protocol', `${version} compares MSEs at f + ${MSE_GUARD_BITS} fractional bits within 33-bit comparisons, so it needs f <= ${FINE_MSE_MAX_FRAC_BITS} (the encoding has f = ${fracBits}); use v7`);
  }
}

/**
 * The revealed dissimilarities `values` of `version` (one per user, each over an image of n
 * elements) as mean squared errors: `mse` values are decoded at the encoding's f, `fineMse`
 * values multiplied by `fineMseUnit`.
 */
export function decodeDissimilarities(version: ProtocolVersion, encoding: FixedPointEncoding, n: number, values: RingTensor): number[] {
  const decoded = Array.from(decode(encoding, values));
  if (protocolSettings(version).dissimilarity === 'mse') return decoded;
  const unit = fineMseUnit(encoding.fracBits, n) * 2 ** encoding.fracBits;
  return decoded.map((v) => v * unit);
}

/**
 * A threshold on the MSE, encoded at f (as clients send it), on the scale of `version`'s
 * dissimilarity over n elements: unchanged for `mse`; round(t 2^G n / 2^s) for `fineMse`
 * (exact but for that rounding, a relative 2^-(f+G) of the threshold's unit).
 */
export function dissimilarityThreshold(version: ProtocolVersion, n: number, encodedThreshold: bigint): bigint {
  if (protocolSettings(version).dissimilarity === 'mse') return encodedThreshold;
  const s = BigInt(mseSumShift(n));
  const scaled = encodedThreshold * BigInt(n) << BigInt(MSE_GUARD_BITS);
  return s === 0n ? scaled : (scaled + (1n << (s - 1n))) >> s;
}
