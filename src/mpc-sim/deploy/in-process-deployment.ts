import { CostMeter } from '../channel/cost-meter.js';
import { createInProcessChannels } from '../channel/in-process.js';
import { encode, encodeScalar, type FixedPointEncoding } from '../encoding/fixed-point.js';
import { shareReconstructor, type EnrolledReconstructor, type ReconstructorDescription } from '../private-reconstructor/reconstructor.js';
import { PARTIES, type PartyId } from '../party.js';
import { protocolSettings, type ProtocolVersion } from '../protocols/versions.js';
import { CryptoRandom, type RingRandom } from '../ring/random.js';
import { share } from '../sharing/share.js';
import { DealerService, type DealerServiceOptions } from './dealer-service.js';
import { enrolParty, queryParty, type PartyEnv, type PartyQueryResult } from './party-query.js';

/** Both servers and the dealer of a deployment in one process (the reference for the networked run). */
export interface InProcessDeployment {
  readonly users: readonly [EnrolledReconstructor[], EnrolledReconstructor[]];
  enrol(description: ReconstructorDescription, modelId: string, random?: RingRandom): Promise<void>;
  query(image: Float32Array, queryId: string, options?: { random?: RingRandom; revealDissimilarities?: boolean; threshold?: number }): Promise<PartyQueryResult>;
}

/**
 * The same party code as the deployed servers ({@link enrolParty}, {@link queryParty}) and the
 * same {@link DealerService}, wired in process: with the same dealer seed and the same sharing
 * randomness, a query gets the same material and hence the same result words as across processes
 * (servers started with the same `--protocol` as `protocol`).
 */
export function inProcessDeployment(encoding: FixedPointEncoding, dealer: DealerServiceOptions, protocol: ProtocolVersion = 'v1'): InProcessDeployment {
  const service = new DealerService(dealer);
  const channels = createInProcessChannels(new CostMeter());
  const envs = PARTIES.map(
    (party: PartyId): PartyEnv => ({ party, channel: channels[party], encoding, rng: new CryptoRandom(), dealer: (stream, key) => service.endpoint(party, stream, key) }),
  );
  const users: [EnrolledReconstructor[], EnrolledReconstructor[]] = [[], []];
  return {
    users,
    enrol: async (description, modelId, random) => {
      const shares = shareReconstructor(description, encoding, random ?? new CryptoRandom());
      const enrolled = await Promise.all(PARTIES.map((p) => enrolParty(envs[p]!, shares[p], modelId, protocolSettings(protocol).enrolment)));
      for (const p of PARTIES) users[p].push(enrolled[p]!);
    },
    query: async (image, queryId, options = {}) => {
      const x = share(encode(encoding, image, [1, ...users[0][0]!.inputShape]), options.random ?? new CryptoRandom());
      const threshold = options.threshold === undefined ? {} : { threshold: encodeScalar(encoding, options.threshold) };
      const [r0, r1] = await Promise.all(PARTIES.map((p) => queryParty(envs[p]!, users[p], x[p], queryId, { protocol, revealDissimilarities: options.revealDissimilarities === true, ...threshold })));
      if (r0!.index !== r1!.index) throw new Error('the parties revealed different indices');
      return r0!;
    },
  };
}
