import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReconstructor } from '../../models/rec-adv/architecture.js';
import { CryptoDealer } from '../dealer/crypto-dealer.js';
import { FIXED20 } from '../encoding/fixed-point.js';
import { createInProcessSession } from '../parties/in-process.js';
import { enrolUser, privatePredict, type EnrolledUser } from '../private-reconstructor/private-predict.js';
import { readReconstructorWeights } from '../private-reconstructor/reconstructor.js';
import { protocolSettings, type ProtocolVersion } from '../protocols/versions.js';
import { SeededRandom } from '../ring/random.js';
import { measureThreadedQuery } from './threaded-query.js';

/*
 * The two servers in two worker threads against the same query in process: same index, same
 * rounds and bytes per label, on tiny seeded reconstructors (gf = 2, untrained, 32 x 32 x 3).
 */

const SHAPE = { height: 32, width: 32, channels: 3, gf: 2, df: 2 };

function image(seed: string): Float32Array {
  const w = new BigUint64Array(32 * 32 * 3);
  new SeededRandom(`threaded-test:${seed}`, { insecureDeterministic: true }).fill(w);
  return Float32Array.from(w, (v) => 2 * (Number(v >> 11n) / 2 ** 53) - 1);
}

describe('measureThreadedQuery (S0 and S1 in two worker threads)', () => {
  let models: tf.LayersModel[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    models = [11, 12, 13].map((seed) => buildReconstructor(SHAPE, seed));
  });

  // v8 is v7 with its fine MSE: every code path of v7 runs in it
  for (const protocol of ['v1', 'v3', 'v4', 'v5', 'v6', 'v8'] as ProtocolVersion[]) {
    it(`${protocol}: the index of the in-process query and of TF.js, with the same rounds and bytes per label`, async () => {
      const dealer = new CryptoDealer();
      const session = createInProcessSession({ encoding: FIXED20, dealer });
      const users: EnrolledUser[] = [];
      for (const [j, m] of models.entries()) users.push((await enrolUser(session, readReconstructorWeights(m), `user${j}`, protocolSettings(protocol).enrolment)).user);
      const query = image(protocol);
      const inProcess = await privatePredict(session, users, query, { protocol });
      const threaded = await measureThreadedQuery({ dealer, encoding: FIXED20, users, query, protocol });

      const plain = tf.tidy(() => {
        const x = tf.tensor4d(query, [1, 32, 32, 3]);
        return models.map((m) => tf.mean(tf.squaredDifference(m.predict(x) as tf.Tensor, x)).dataSync()[0]!);
      });
      const sorted = [...plain].sort((a, b) => a - b);
      expect(sorted[1]! - sorted[0]!).toBeGreaterThan(1e-3); // a clear winner, so fixed point cannot flip it
      expect(threaded.index).toBe(plain.indexOf(sorted[0]!));
      expect(threaded.index).toBe(inProcess.index);

      const online = inProcess.cost;
      expect(threaded.cost.rounds).toBe(online.rounds - inProcess.offlineCost.rounds);
      expect(threaded.cost.onlineBytes).toEqual([online.onlineBytes[0] - inProcess.offlineCost.onlineBytes[0], online.onlineBytes[1] - inProcess.offlineCost.onlineBytes[1]]);
      for (const [label, c] of Object.entries(threaded.cost.byLabel)) expect([label, c]).toEqual([label, online.byLabel[label]]);
      expect(Object.keys(threaded.cost.byLabel).sort()).toEqual(Object.keys(online.byLabel).sort());
      // The recorded material is the query's: the same dealer bytes as in process.
      expect(threaded.cost.offlineBytes).toEqual(inProcess.cost.offlineBytes);
      expect(threaded.onlineSeconds).toBeGreaterThan(0);
      expect(threaded.onlineCpuSeconds).toBeGreaterThan(0);
      expect(inProcess.onlineCpuSeconds).toBeGreaterThan(0);
      expect(threaded.partySeconds.every((s) => s > 0 && s <= threaded.onlineSeconds)).toBe(true);
    }, 120_000);
  }
});
