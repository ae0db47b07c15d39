import * as tf from '@tensorflow/tfjs';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReconstructor } from '../../models/rec-adv/architecture.js';
import { FIXED20 } from '../encoding/fixed-point.js';
import { readReconstructorWeights, type ReconstructorDescription } from '../private-reconstructor/reconstructor.js';
import { SeededRandom } from '../ring/random.js';
import { generateKeys } from '../transport/keys.js';
import type { ProtocolVersion } from '../protocols/protocol-version.js';
import { connectServers, type ClientOptions, type QueryResult } from './client.js';
import { inProcessDeployment, type InProcessDeployment } from './in-process-deployment.js';
import { modelSetHash } from './party-query.js';
import { queryAndRecord } from './record-query.js';
import { ServerState } from './server-state.js';
import { readCsv } from '../../report/csv.js';
import { freePort, spawnParty, startTamperingProxy, type PartyProcess, type TamperingProxy } from '../../testing/deploy-processes.js';

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
const HANDSHAKE_ALERT = 'ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC';
/** S1 detects the flipped byte (S0 -> S1) and reports it; S0 sees S1's TLS alert or the hang-up. */
const TAMPERED_MESSAGE = 's1: link to s0: a TLS record failed authentication, the link is closed (tampered or corrupted on the wire; ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)';

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

  let proxy: TamperingProxy;
  const running: Partial<Record<'s0' | 's1' | 'dealer', PartyProcess>> = {};

  const start = async (role: 's0' | 's1' | 'dealer', state = join(dir, role), extra: string[] = []): Promise<PartyProcess> => {
    const args = ['--role', role, '--keys', keys, '--state', state, '--listen', `127.0.0.1:${ports[role]}`, '--timeout', String(TIMEOUT_MS), '--retry', '30000', ...extra];
    if (role === 'dealer') args.push('--insecure-seed', SEED);
    else args.push('--dealer', `127.0.0.1:${ports.dealer}`);
    // S0 reaches S1 through a forwarder that can tamper with the wire.
    if (role === 's0') args.push('--peer', `127.0.0.1:${proxy.port}`);
    const p = spawnParty(args);
    parties.push(p);
    running[role] = p;
    await p.waitFor(new RegExp(`^${role}: ready on port ${ports[role]}$`), STARTUP_MS);
    return p;
  };

  const plainMse = (x: Float32Array): number[] =>
    users.map((u) => {
      const y = tf.tidy(() => (u.model.predict(tf.tensor4d(x, [1, 32, 32, 3])) as tf.Tensor).dataSync() as Float32Array);
      return y.reduce((s, v, i) => s + (v - x[i]!) ** 2, 0) / y.length;
    });
  const plainUser = (x: Float32Array): string => {
    const m = plainMse(x);
    return users[m.indexOf(Math.min(...m))]!.id;
  };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    generateKeys(keys);
    ports = { dealer: await freePort(), s0: await freePort(), s1: await freePort() };
    proxy = await startTamperingProxy(ports.s1);
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
    proxy.close();
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
      const plain = plainMse(x);
      expect(networked.user).toBe(plainUser(x));
      for (const [j, d] of networked.dissimilarities!.entries()) expect(Math.abs(d - plain[j]!)).toBeLessThan(1e-3);
      expect(networked.rounds).toBeGreaterThan(200);
      expect(networked.onlineBytes[0]).toBe(networked.onlineBytes[1]);
    } finally {
      servers.close();
    }
  });

  it('refuses a client with the wrong key in the TLS handshake', async () => {
    const wrong = join(dir, 'wrong-keys');
    generateKeys(wrong);
    const error = await connectServers({ ...client, keysDir: wrong }, FIXED20).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toBe(`link to s0: cannot reach s0 at 127.0.0.1:${ports.s0}: TLS handshake refused: wrong or missing key (${HANDSHAKE_ALERT})`);
    await running.s0!.waitFor(/^s0: refused a connection from 127\.0\.0\.1: TLS handshake refused/, 10_000);
  });

  it('fails a query cleanly when S1 is killed mid-query, names S1, writes no row, and works after a restart', async () => {
    const out = join(dir, 'queries.csv');
    const servers = await connectServers(client, FIXED20);
    const x = image('q2');
    const t0 = Date.now();
    const failed = queryAndRecord(servers, x, [32, 32, 3], 'q2', out, { job: 'kill-1' }).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    await running.s1!.waitFor(/^s1: query kill-1: started$/, TIMEOUT_MS);
    running.s1!.child.kill('SIGKILL');
    expect(await failed).toBe('query kill-1 failed: link to s1: s1 closed the connection (the party vanished)');
    await running.s0!.waitFor(/^s0: query kill-1: failed: link to s1: s1 closed the connection \(the party vanished\)$/, TIMEOUT_MS);
    expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS);
    expect(existsSync(out)).toBe(false);
    servers.close();

    await start('s1');
    const again = await connectServers(client, FIXED20);
    try {
      const r = await queryAndRecord(again, x, [32, 32, 3], 'q2', out, { job: 'after-restart' });
      expect(r.user).toBe(plainUser(x));
      const rows = await readCsv(out);
      expect(rows.map((row) => [row.job, row.user])).toEqual([['after-restart', r.user]]);
    } finally {
      again.close();
    }
  });

  it('fails a query cleanly when a frame is corrupted on the wire, then recovers', async () => {
    const servers = await connectServers(client, FIXED20);
    try {
      proxy.corruptNext(64 * 1024);
      const error = await servers.query(image('q3'), [32, 32, 3], { job: 'tamper-1' }).then(
        () => 'no error',
        (e: Error) => e.message,
      );
      expect(proxy.corrupted).toBe(1);
      expect(error).toBe(TAMPERED_MESSAGE);
      const r = await servers.query(image('q3'), [32, 32, 3], { job: 'tamper-2' });
      expect(r.user).toBe(plainUser(image('q3')));
    } finally {
      servers.close();
    }
  });

  it('refuses queries when S1 restarts with different enrolled users (model-set hash)', async () => {
    running.s1!.child.kill('SIGTERM');
    await running.s1!.exited;
    const other = join(dir, 's1-other');
    cpSync(join(dir, 's1'), other, { recursive: true });
    writeFileSync(join(other, 'users.json'), JSON.stringify({ modelIds: [users[0]!.id] }), { mode: 0o600 });
    const h0 = modelSetHash(new ServerState(join(dir, 's0')).users);
    const h1 = modelSetHash(new ServerState(other).users);
    await start('s1', other);
    const servers = await connectServers(client, FIXED20);
    try {
      const error = await servers.query(image('q4'), [32, 32, 3], { job: 'mismatch-1' }).then(
        () => 'no error',
        (e: Error) => e.message,
      );
      expect(error).toBe(`s0: query mismatch-1: refused: S0 and S1 hold different model sets (s0: 2 users, hash ${h0.slice(0, 16)}; s1: 1 users, hash ${h1.slice(0, 16)})`);
    } finally {
      servers.close();
    }
    running.s1!.child.kill('SIGTERM');
    await running.s1!.exited;
    await start('s1');
  });

  /** Stops both servers and starts them again on the given state folders and arguments. */
  const restart = async (state: Record<'s0' | 's1', string>, protocols: Record<'s0' | 's1', string[]>): Promise<void> => {
    for (const role of ['s0', 's1'] as const) {
      running[role]!.child.kill('SIGTERM');
      await running[role]!.exited;
    }
    await Promise.all([start('s1', state.s1, protocols.s1), start('s0', state.s0, protocols.s0)]);
  };

  /**
   * Restarts both servers with `--protocol protocol` on fresh state folders, enrols every user
   * (new ids: the dealer keeps one weight mask per enrolled layer and never reuses it), queries
   * image `name` over TLS and in an in-process deployment of the same version, dealer seed and
   * shares, and checks that they agree exactly, on the plaintext user, with dissimilarities within
   * 1e-3 of TF.js. Leaves the servers running on that version.
   */
  const networkedAgainstInProcess = async (protocol: ProtocolVersion, name: string): Promise<{ networked: QueryResult; local: InProcessDeployment; x: Float32Array }> => {
    const args = ['--protocol', protocol];
    await restart({ s0: join(dir, `s0-${protocol}`), s1: join(dir, `s1-${protocol}`) }, { s0: args, s1: args });
    expect(running.s0!.lines.some((l) => new RegExp(`^s0: 0 users enrolled .*protocol ${protocol}$`).test(l))).toBe(true);
    const servers = await connectServers(client, FIXED20);
    const x = image(name);
    try {
      for (const u of users) await servers.enrol(u.description, `${u.id}-${protocol}`, rng(`share-${u.id}`));
      const networked = await servers.query(x, [32, 32, 3], { random: rng(`query-${name}`), revealDissimilarities: true, job: `${protocol}-1` });
      const local = inProcessDeployment(FIXED20, { seed: SEED, insecureDeterministic: true }, protocol);
      for (const u of users) await local.enrol(u.description, `${u.id}-${protocol}`, rng(`share-${u.id}`));
      const reference = await local.query(x, `reference-${protocol}`, { random: rng(`query-${name}`), revealDissimilarities: true });
      expect(networked.index).toBe(reference.index);
      expect(networked.dissimilarities).toEqual(reference.dissimilarities);
      expect(networked.user).toBe(`${plainUser(x)}-${protocol}`);
      const plain = plainMse(x);
      for (const [j, d] of networked.dissimilarities!.entries()) expect(Math.abs(d - plain[j]!)).toBeLessThan(1e-3);
      return { networked, local, x };
    } finally {
      servers.close();
    }
  };

  it('with --protocol v3 on both servers: folded enrolment, the in-process v3 reference exactly, fewer rounds; a v1 peer is refused', async () => {
    const { networked, local, x } = await networkedAgainstInProcess('v3', 'q5');
    expect(local.users[0][0]!.steps.filter((st) => st.kind === 'normConv')).toHaveLength(10);
    // v3: 176 rounds (any N >= 2) and 1 for the debug reveal; v1 needs more than 240.
    expect(networked.rounds).toBe(177);
    // S1 back on v1 over the same v3 state: the job is refused before any share moves.
    await restart({ s0: join(dir, 's0-v3'), s1: join(dir, 's1-v3') }, { s0: ['--protocol', 'v3'], s1: [] });
    const mixed = await connectServers(client, FIXED20);
    try {
      const error = await mixed.query(x, [32, 32, 3], { job: 'mixed-1' }).then(
        () => 'no error',
        (e: Error) => e.message,
      );
      expect(error).toBe('s0: query mixed-1: refused: S0 and S1 run different protocol versions (s0: v3; s1: v1); start both with the same --protocol');
    } finally {
      mixed.close();
    }
    await restart({ s0: join(dir, 's0'), s1: join(dir, 's1') }, { s0: [], s1: [] });
  });

  it('with --protocol v8 on both servers: v7\'s packed top-bits openings and the fine MSEs cross TLS and give the in-process v8 reference exactly, in 118 rounds; the threshold bit is scaled as the fine MSEs', async () => {
    const { networked, x } = await networkedAgainstInProcess('v8', 'q7');
    expect(networked.rounds).toBe(119); // v7's 119 less the MSE's mean truncation, and 1 for the debug reveal
    expect(networked.onlineBytes[0]).toBe(networked.onlineBytes[1]);
    const smallest = Math.min(...plainMse(x));
    const servers = await connectServers(client, FIXED20);
    try {
      const below = await servers.query(x, [32, 32, 3], { threshold: smallest + 1e-4, job: 'v8-above' });
      const above = await servers.query(x, [32, 32, 3], { threshold: smallest - 1e-4, job: 'v8-below' });
      expect([below.belowThreshold, above.belowThreshold]).toEqual([true, false]);
      expect(below.rounds).toBe(118);
    } finally {
      servers.close();
    }
    await restart({ s0: join(dir, 's0'), s1: join(dir, 's1') }, { s0: [], s1: [] });
  });

  it('a server whose dealer is unreachable at start exits 1 naming the dealer', async () => {
    const nobody = await freePort();
    const p = spawnParty(['--role', 's1', '--keys', keys, '--state', join(dir, 's1-lonely'), '--listen', `127.0.0.1:${await freePort()}`, '--dealer', `127.0.0.1:${nobody}`, '--retry', '0']);
    parties.push(p);
    expect(await p.exited).toBe(1);
    expect(p.lines).toContain(`error: link to dealer: cannot reach dealer at 127.0.0.1:${nobody}: connection refused`);
  });
});
