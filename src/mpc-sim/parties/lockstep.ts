import { LockstepChannel } from '../channel/lockstep.js';
import { connectDealer } from '../dealer/connect.js';
import { PARTIES, type PartyId } from '../party.js';
import type { PartyContext } from '../protocols/context.js';
import type { InProcessSession } from './in-process.js';

/**
 * Runs `step` once per lane (e.g. once per enrolled user) as both parties, all lanes
 * concurrently and in lockstep: every party's lanes share one {@link LockstepChannel}, so the
 * k-th exchange of all lanes is one round, and each lane has its own dealer connection (the
 * dealer pairs the parties' requests per lane, so the lanes' interleaving does not matter).
 * Returns the results as `[party][lane]`. If a lane fails, the others are stopped and the first
 * error is thrown.
 */
export async function runLockstep<T>(session: InProcessSession, lanes: number, step: (ctx: PartyContext, lane: number) => Promise<T>): Promise<[T[], T[]]> {
  const channels = PARTIES.map((p) => new LockstepChannel(session.contexts[p].channel, lanes)) as [LockstepChannel, LockstepChannel];
  const dealers = Array.from({ length: lanes }, () => connectDealer(session.dealer, session.meter));
  const runParty = (party: PartyId): Promise<T[]> => {
    const base = session.contexts[party];
    const channel = channels[party];
    return Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const ctx: PartyContext = { ...base, channel: channel.lane(lane), dealer: dealers[lane]![party] };
        try {
          return await step(ctx, lane);
        } catch (error) {
          for (const c of channels) c.fail(error);
          throw error;
        } finally {
          channel.finish(lane);
        }
      }),
    );
  };
  const results = await Promise.allSettled([runParty(0), runParty(1)]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return [(results[0] as PromiseFulfilledResult<T[]>).value, (results[1] as PromiseFulfilledResult<T[]>).value];
}
