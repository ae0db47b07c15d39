import { sumWords } from '../ring/elementwise.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { Share } from '../sharing/share.js';
import type { PartyContext } from './context.js';
import { mul } from './mul.js';
import { truncateWithDealer } from './truncate.js';

/*
 * Small local helpers on flat shares used by the normalisation, tanh and argmin protocols:
 * concatenation, slicing, summing and broadcasting are linear (0 rounds, 0 bytes); mulTrunc is
 * a Beaver product followed by a dealer truncation.
 */

/** Share of the concatenation of the flattened inputs (shape [total]). 0 rounds, 0 bytes. */
export function concatShares(...xs: Share[]): Share {
  const total = xs.reduce((n, x) => n + x.size, 0);
  const data = new BigUint64Array(total);
  let at = 0;
  for (const x of xs) {
    data.set(x.ring.data, at);
    at += x.size;
  }
  return new Share(xs[0]!.party, new RingTensor([total], data));
}

/** Share of elements [start, end) of the flattened input (shape [end - start]). 0 rounds, 0 bytes. */
export function sliceShare(x: Share, start: number, end: number): Share {
  return new Share(x.party, new RingTensor([end - start], x.ring.data.slice(start, end)));
}

/** Share of the sum of all elements (shape [1]). 0 rounds, 0 bytes. */
export function sumShare(x: Share): Share {
  return new Share(x.party, new RingTensor([1], BigUint64Array.of(sumWords(x.ring))));
}

/** Share of a one-element share repeated `n` times (shape [n]). 0 rounds, 0 bytes. */
export function broadcastShare(x: Share, n: number): Share {
  return new Share(x.party, new RingTensor([n], new BigUint64Array(n).fill(x.ring.data[0]!)));
}

/**
 * Beaver product then dealer truncation by `bits`: shares of floor(x y / 2^bits) (+ 1 ulp at most).
 * Cost: 2 rounds; online 24n bytes per party; offline 48n bytes per party (n = x.size).
 */
export async function mulTrunc(ctx: PartyContext, x: Share, y: Share, bits: number, tag: string): Promise<Share> {
  return truncateWithDealer(ctx, await mul(ctx, x, y, `${tag}/mul`), bits, `${tag}/truncate`);
}
