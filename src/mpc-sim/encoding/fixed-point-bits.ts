/*
 * The fixed-point setting's values alone (no ring code), so the command line can offer them
 * without loading the 2PC modules; `fixed-point.ts` re-exports them beside the encodings.
 */

/** The fixed-point setting of configs and the CLI (`fixedPointBits`, `--fixed-point-bits`): f = 16 or 20. */
export type FixedPointBits = 16 | 20;

/** The allowed values of {@link FixedPointBits}, for schemas and option choices. */
export const FIXED_POINT_BITS: readonly FixedPointBits[] = Object.freeze([16, 20] as const);
