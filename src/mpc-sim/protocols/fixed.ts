import type { Share } from '../sharing/share.js';
import type { PartyContext } from './context.js';
import { matmul } from './matmul.js';
import { mul } from './mul.js';
import { truncate, truncateWithDealer } from './truncate.js';

/** Which truncation follows a fixed-point product. */
export type TruncationMode = 'local' | 'dealer';

/**
 * Fixed-point elementwise product: {@link mul} (scale 2^2f) then truncation by f.
 * Result: within 1 ulp (2^-f) of the exact product of the encoded operands.
 *
 * Cost: `mul` plus, for `dealer`, `truncateWithDealer`: 1 round and 16n bytes per party online
 * with local truncation (24n offline), 2 rounds and 24n bytes per party with dealer truncation
 * (48n offline).
 */
export async function mulFixed(ctx: PartyContext, x: Share, y: Share, mode: TruncationMode = 'local', tag = 'mulFixed'): Promise<Share> {
  const z = await mul(ctx, x, y, `${tag}/mul`);
  return mode === 'local' ? truncate(ctx, z) : truncateWithDealer(ctx, z, ctx.encoding.fracBits, `${tag}/truncate`);
}

/**
 * Fixed-point matrix product: {@link matmul} then one truncation of each output.
 * Result: within 1 ulp of the exact product of the encoded operands.
 *
 * Cost: `matmul` (1 round, 8(mk + kn) bytes per party online, 8(mk + kn + mn) offline) plus,
 * for `dealer`, 1 round, 8mn bytes per party online and 24mn bytes per party offline.
 */
export async function matmulFixed(ctx: PartyContext, x: Share, y: Share, mode: TruncationMode = 'local', tag = 'matmulFixed'): Promise<Share> {
  const z = await matmul(ctx, x, y, `${tag}/matmul`);
  return mode === 'local' ? truncate(ctx, z) : truncateWithDealer(ctx, z, ctx.encoding.fracBits, `${tag}/truncate`);
}
