import { ProtocolError } from '../../errors.js';
import type { Channel } from '../channel/channel.js';
import { RingTensor } from '../ring/ring-tensor.js';
import type { PartyContext } from './context.js';

interface Pending {
  readonly label: string;
  readonly tensors: readonly RingTensor[];
  readonly resolve: (tensors: RingTensor[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Parallel composition: runs independent sub-protocols ("branches") of ONE party concurrently
 * and sends the k-th exchange of every live branch as one round of `ctx.channel`, so the
 * composition costs max (not sum) of the branches' rounds, and the sum of their bytes plus a
 * header of 8 bytes per branch per round (each branch's tensor count, as in `LockstepChannel`).
 * The round's label is the branches' labels joined by ` & ` (branch order).
 *
 * The branches must not depend on each other's results, and both parties must run the same
 * branches in the same order (they do: the same code). Dealer requests keep a deterministic
 * order: a branch's requests happen when it starts or when a merged round resolves (branches
 * resume in branch order); no branch may wait on anything else asynchronous (e.g. the native
 * thread pool), which would make the order of requests depend on timing. Reveals are not
 * allowed inside a branch.
 * @returns the branches' results, in order. If a branch fails, the others are stopped and the
 *   first error is thrown.
 */
export async function parallel<T extends readonly unknown[]>(ctx: PartyContext, branches: { readonly [K in keyof T]: (ctx: PartyContext) => Promise<T[K]> }): Promise<T> {
  const merged = new MergedChannel(ctx.channel, branches.length);
  const runs = branches.map(async (branch, i) => {
    try {
      return await branch({ ...ctx, channel: merged.branch(i) });
    } catch (error) {
      merged.fail(error);
      throw error;
    } finally {
      merged.finish(i);
    }
  });
  const settled = await Promise.allSettled(runs);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** One party's end of the merged rounds of {@link parallel}. */
class MergedChannel {
  readonly #base: Channel;
  readonly #count: number;
  readonly #pending = new Map<number, Pending>();
  readonly #finished = new Set<number>();
  #failure: unknown;

  constructor(base: Channel, count: number) {
    this.#base = base;
    this.#count = count;
  }

  branch(i: number): Channel {
    return {
      party: this.#base.party,
      exchange: (label, tensors, options) => {
        if (this.#failure !== undefined) return Promise.reject(this.#failure);
        if (options?.reveal === true) return Promise.reject(new ProtocolError('parallel', `branch ${i} tried to reveal '${label}' inside a parallel composition`));
        return new Promise<RingTensor[]>((resolve, reject) => {
          this.#pending.set(i, { label, tensors, resolve, reject });
          this.#flushIfReady();
        });
      },
    };
  }

  finish(i: number): void {
    this.#finished.add(i);
    this.#flushIfReady();
  }

  fail(error: unknown): void {
    this.#failure ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  #flushIfReady(): void {
    if (this.#failure !== undefined || this.#pending.size === 0 || this.#pending.size + this.#finished.size < this.#count) return;
    const batch = [...this.#pending.entries()].sort((a, b) => a[0] - b[0]);
    this.#pending.clear();
    const header = new RingTensor([this.#count]);
    const payload: RingTensor[] = [header];
    for (const [i, p] of batch) {
      header.data[i] = BigInt(p.tensors.length);
      payload.push(...p.tensors);
    }
    const label = batch.map(([, p]) => p.label).join(' & ');
    this.#base.exchange(label, payload).then(
      (incoming) => {
        const counts = incoming[0];
        if (counts === undefined || counts.size !== this.#count) {
          this.fail(new ProtocolError('parallel', `the other party's round '${label}' has no header of ${this.#count} branches`));
          for (const [, p] of batch) p.reject(this.#failure);
          return;
        }
        let at = 1;
        const parts: RingTensor[][] = [];
        for (let i = 0; i < this.#count; i++) {
          const n = Number(counts.data[i]);
          parts.push(incoming.slice(at, at + n));
          at += n;
        }
        for (const [i, p] of batch) p.resolve(parts[i]!);
      },
      (error: unknown) => {
        this.fail(error);
        for (const [, p] of batch) p.reject(error);
      },
    );
  }
}
