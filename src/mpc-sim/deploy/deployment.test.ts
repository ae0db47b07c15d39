import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReconstructor } from '../../models/rec-adv/architecture.js';
import { FIXED20 } from '../encoding/fixed-point.js';
import { readReconstructorWeights, type ReconstructorDescription } from '../models/reconstructor.js';
import { SeededRandom } from '../ring/random.js';
import { generateKeys } from '../transport/keys.js';
import { connectServers, type ClientOptions } from './client.js';
import { inProcessDeployment } from './in-process-deployment.js';
import { freePort, spawnParty, type PartyProcess } from './test-processes.js';

/*
 * The deployment across real processes: the dealer, S0 and S1 each run `privedge serve` in its
 * own process, linked by TLS-PSK on loopback; this test process is the enrolling users and the
 * client. Tiny reconstructors (gf = 2, 32 x 32 x 3, seeded weights, not trained).
 */

const SEED = 'deployment-test';
const SHAPE = { height: 32, width: 32, channels: 3, gf: 2, df: 2 };
const rng = (name: string) => new SeededRandom(`deployment-test:${name}`, { insecureDeterministic: true });
/** Generous: the shared development machine can be very loaded; a query takes about a second idle. */
const STARTUP_MS = 60_000;
const TIMEOUT_MS = 20_000;

function image(name: string): Float32Array {
  const w = new BigUint64Array(32 * 32 * 3);
  rng(`image-${name}`).fill(w);
  return Float32Array.from(w, (v) => 2 * (Number(v >> 11n) / 2 ** 53) - 1);
}

describe('private prediction across three processes over TLS', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'privedge-deploy-'));
  const keys = join(dir, 'keys');
  const parties: PartyProcess[] = [];
  let ports: { dealer: number; s0: number; s1: number };
  let client: ClientOptions;
  let users: { id: string; model: tf.LayersModel; description: ReconstructorDescription }[];

  const start = async (role: 's0' | 's1' | 'dealer', state = join(dir, role)): Promise<PartyProcess> => {
    const args = ['--role', role, '--keys', keys, '--state', state, '--listen', `127.0.0.1:${ports[role]}`, '--timeout', String(TIMEOUT_MS), '--retry', '30000'];
    if (role === 'dealer') args.push('--insecure-seed', SEED);
    else args.push('--dealer', `127.0.0.1:${ports.dealer}`);
    if (role === 's0') args.push('--peer', `127.0.0.1:${ports.s1}`);
    const p = spawnParty(args);
    parties.push(p);
    await p.waitFor(new RegExp(`^${role}: ready on port ${ports[role]}$`), STARTUP_MS);
    return p;
  };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    generateKeys(keys);
    ports = { dealer: await freePort(), s0: await freePort(), s1: await freePort() };
    client = { keysDir: keys, servers: [{ host: '127.0.0.1', port: ports.s0 }, { host: '127.0.0.1', port: ports.s1 }], timeoutMs: TIMEOUT_MS, jobTimeoutMs: 120_000 };
    users = [11, 22].map((seed) => {
      const model = buildReconstructor(SHAPE, seed);
      return { id: `user-${seed}`, model, description: readReconstructorWeights(model) };
    });
    await start('dealer');
    await Promise.all([start('s1'), start('s0')]);
  }, 180_000);

  afterAll(async () => {
    for (const p of parties) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(parties.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same label and the same dissimilarities as the in-process run with the same dealer seed', async () => {
    const servers = await connectServers(client, FIXED20);
    try {
      for (const u of users) await servers.enrol(u.description, u.id, rng(`share-${u.id}`));
      const [i0, i1] = await servers.info();
      expect(i0.modelIds).toEqual(users.map((u) => u.id));
      expect(i1.hash).toBe(i0.hash);
      const x = image('q1');
      const networked = await servers.query(x, [32, 32, 3], { random: rng('query-1'), revealDissimilarities: true });

      const local = inProcessDeployment(FIXED20, { seed: SEED, insecureDeterministic: true });
      for (const u of users) await local.enrol(u.description, u.id, rng(`share-${u.id}`));
      const reference = await local.query(x, 'reference', { random: rng('query-1'), revealDissimilarities: true });

      expect(networked.index).toBe(reference.index);
      expect(networked.dissimilarities).toHaveLength(2);
      expect(networked.dissimilarities).toEqual(reference.dissimilarities);
      // And both agree with plaintext TF.js.
      const plain = users.map((u) => {
        const y = tf.tidy(() => (u.model.predict(tf.tensor4d(x, [1, 32, 32, 3])) as tf.Tensor).dataSync() as Float32Array);
        return y.reduce((s, v, i) => s + (v - x[i]!) ** 2, 0) / y.length;
      });
      expect(networked.user).toBe(users[plain.indexOf(Math.min(...plain))]!.id);
      for (const [j, d] of networked.dissimilarities!.entries()) expect(Math.abs(d - plain[j]!)).toBeLessThan(1e-3);
      expect(networked.rounds).toBeGreaterThan(200);
      expect(networked.onlineBytes[0]).toBe(networked.onlineBytes[1]);
    } finally {
      servers.close();
    }
  });
});
