/*
 * The protocol versions' names alone (no protocol code), so the command line can offer them
 * without loading the 2PC modules; `versions.ts` re-exports them beside what each selects.
 */

/**
 * Which private-prediction protocol a query runs (issue 18 keeps the old one selectable so that
 * `bench:mpc` can print old and new side by side):
 * - `v1`: the tree argmin (6 ceil(log2 N) + 1 rounds), `instanceNorm` (15 or 16 rounds),
 *   4-bit comparison chunks everywhere;
 * - `v2`: `argminPairwise` (6 rounds, comparisons at l = 33, d = 8), `instanceNormV2` (11 or 12
 *   rounds), tanh with one opening for its 21 thresholds (160 fewer online bytes per element);
 *   activations as v1 (same dealer material per element);
 * - `v2-d8`: v2 with 8-bit comparison chunks for the activations and tanh too: one round fewer
 *   per activation and for tanh, fewer online bytes, about twice the comparison material;
 * - `v3`: v2 with each InstanceNorm folded into the conv after it where that conv's output is
 *   at most four times the norm's size (`protocols/norm-conv.ts`: the conv's input opening serves the
 *   sum of squares, the product by the scale moves after the conv; decided at enrolment);
 * - `v4`: v3 with 8-bit comparison chunks for the activations and tanh (as v2-d8), each folded
 *   norm's gamma multiplied into the next conv's weights at enrolment (no product by gamma per
 *   query), and each LeakyReLU before a folded norm computed as x + (1/alpha - 1) ReLU(x), that
 *   is 1/alpha times its output, with no truncation (the norm divides the factor out);
 * - `v5`: v4 with each conv's and folded norm's output truncation done by the opening of the
 *   activation after it (one masked opening serves the truncation and the comparison): 1 round
 *   and 8 bytes per output element per party fewer for each of the 11 convs;
 * - `v6`: v5 with each folded norm's mean truncated in the round of the conv's opening (which
 *   opens the uncentred input; the mean is subtracted after it with dealt products): 1 round
 *   fewer per norm;
 * - `v7`: v6 with every truncating opening carrying only the bits its receiver reads (the top
 *   64 - t of each masked word, packed): the same rounds and material, fewer online bytes, each
 *   truncation floor + {-1, 0, 1, 2} units instead of floor + {0, 1} (unbiased either way);
 * - `v8`: v7 with the argmin over each user's MSE at 256 times its resolution, times a factor
 *   common to all users (`fineMse`: the sum of squares, never divided by n): 1 round fewer, and
 *   two dissimilarities closer than one unit of the encoding no longer tie (ties go to the lower
 *   index).
 */
export type ProtocolVersion = 'v1' | 'v2' | 'v2-d8' | 'v3' | 'v4' | 'v5' | 'v6' | 'v7' | 'v8';

/** All versions, oldest first. */
export const PROTOCOL_VERSIONS: readonly ProtocolVersion[] = ['v1', 'v2', 'v2-d8', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'];
