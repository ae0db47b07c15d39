import { CostMeter, costDiff, type CostReport } from '../channel/cost-meter.js';
import { createInProcessChannels } from '../channel/in-process.js';
import { connectDealer } from '../dealer/connect.js';
import type { Dealer } from '../dealer/dealer.js';
import { CryptoDealer } from '../dealer/crypto-dealer.js';
import type { FixedPointEncoding } from '../encoding/fixed-point.js';
import type { PartyId } from '../party.js';
import { CryptoRandom, type RingRandom } from '../ring/random.js';
import type { PartyContext } from '../protocols/context.js';

/** Options of {@link createInProcessSession}. */
export interface InProcessSessionOptions {
  /** The fixed-point encoding both parties use. */
  readonly encoding: FixedPointEncoding;
  /** Source of correlated randomness; default a fresh {@link CryptoDealer}. */
  readonly dealer?: Dealer;
  /** Each party's own random stream; default node:crypto for both. */
  readonly random?: (party: PartyId) => RingRandom;
}

/** Two parties in one process, sharing a cost meter. */
export interface InProcessSession {
  /** S0's and S1's contexts. */
  readonly contexts: readonly [PartyContext, PartyContext];
  /** Online and offline costs of everything run in this session. */
  readonly meter: CostMeter;
  /** The dealer both parties are connected to. */
  readonly dealer: Dealer;
  /**
   * Runs `step` as both parties concurrently (each on its own context) and returns both results,
   * S0's first. Rejects with the first party's error if either fails.
   */
  run<T>(step: (ctx: PartyContext) => Promise<T> | T): Promise<[T, T]>;
  /** Like {@link InProcessSession.run}, also returning the cost of just this step. */
  measure<T>(step: (ctx: PartyContext) => Promise<T> | T): Promise<{ results: [T, T]; cost: CostReport }>;
}

/**
 * Wires two parties together in process: an in-process channel pair and one dealer
 * connection per party, all recording into one {@link CostMeter}.
 */
export function createInProcessSession(options: InProcessSessionOptions): InProcessSession {
  const meter = new CostMeter();
  const dealer = options.dealer ?? new CryptoDealer();
  const channels = createInProcessChannels(meter);
  const dealers = connectDealer(dealer, meter);
  const random = options.random ?? (() => new CryptoRandom());
  const context = (party: PartyId): PartyContext => ({
    party,
    dealer: dealers[party],
    channel: channels[party],
    encoding: options.encoding,
    rng: random(party),
  });
  const contexts = [context(0), context(1)] as const;
  const run = async <T>(step: (ctx: PartyContext) => Promise<T> | T): Promise<[T, T]> => {
    return Promise.all([step(contexts[0]), step(contexts[1])]);
  };
  return {
    contexts,
    meter,
    dealer,
    run,
    measure: async (step) => {
      const before = meter.report();
      const results = await run(step);
      return { results, cost: costDiff(meter.report(), before) };
    },
  };
}
