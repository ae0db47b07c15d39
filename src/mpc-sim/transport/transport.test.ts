import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { CostMeter } from '../channel/cost-meter.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { SeededRandom, randomTensor } from '../ring/random.js';
import { Share } from '../sharing/share.js';
import { encodeFrame, FrameDecoder, type Frame } from './frame.js';
import { generateKeys, loadKeys } from './keys.js';
import { FrameLink } from './link.js';
import { TcpChannel } from './tcp-channel.js';
import { boundPort, connectLink, listenLinks } from './tls-link.js';
import { decodeTree, encodeTree } from './tree-codec.js';

const rng = new SeededRandom('transport-test', { insecureDeterministic: true });
const dir = mkdtempSync(join(tmpdir(), 'privedge-transport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (seq: number, tensors: RingTensor[] = []): Frame => ({ from: 's1', seq, label: 'conv1', kind: 'round', reveal: false, meta: { round: seq }, tensors });

/** Two connected plain TCP sockets on loopback. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect(boundPort(server), '127.0.0.1');
  const other = await accepted;
  server.close();
  return [client, other];
}

describe('frames', () => {
  it('round-trip tensors, label, sender and sequence through arbitrary chunking', () => {
    const a = randomTensor(rng, [3, 5]);
    const b = RingTensor.fromBigInts([0n, 2n ** 64n - 1n, 7n]);
    const bytes = Buffer.concat([...encodeFrame(frame(0, [a, b])), ...encodeFrame(frame(1, [new RingTensor([0])]))]);
    for (const step of [1, 7, 16, 1000]) {
      const decoder = new FrameDecoder('s1');
      const got: Frame[] = [];
      for (let i = 0; i < bytes.length; i += step) got.push(...decoder.push(bytes.subarray(i, i + step)));
      expect(got.map((f) => [f.from, f.seq, f.label, f.kind])).toEqual([
        ['s1', 0, 'conv1', 'round'],
        ['s1', 1, 'conv1', 'round'],
      ]);
      expect(got[0]!.tensors[0]!.shape).toEqual([3, 5]);
      expect(Array.from(got[0]!.tensors[0]!.data)).toEqual(Array.from(a.data));
      expect(Array.from(got[0]!.tensors[1]!.data)).toEqual([0n, 2n ** 64n - 1n, 7n]);
      expect(got[1]!.tensors[0]!.size).toBe(0);
      expect(decoder.buffered).toBe(0);
    }
  });

  it('refuses a corrupted magic number and a corrupted header, naming the peer', () => {
    const bytes = Buffer.concat(encodeFrame(frame(0, [randomTensor(rng, [4])])));
    const badMagic = Buffer.from(bytes);
    badMagic.writeUInt8(badMagic.readUInt8(1) ^ 0xff, 1);
    expect(() => new FrameDecoder('s1').push(badMagic)).toThrow('link from s1: bad frame magic number (corrupted or not a privedge link)');
    const badHeader = Buffer.from(bytes);
    badHeader.writeUInt8(0x7a, 16); // the header's "{" becomes "z"
    expect(() => new FrameDecoder('s1').push(badHeader)).toThrow('link from s1: frame header is not valid JSON (corrupted frame)');
  });

  it('tree codec keeps shares, their party, tensors and plain data', () => {
    const s = new Share(1, randomTensor(rng, [2, 2]));
    const { skeleton, tensors } = encodeTree({ a: s, n: [1, 'x', null], r: new RingTensor([1]) });
    expect(JSON.parse(JSON.stringify(skeleton))).toEqual({ a: { $share: 0, party: 1 }, n: [1, 'x', null], r: { $ring: 1 } });
    const back = decodeTree(skeleton, tensors) as { a: Share };
    expect(back.a).toBeInstanceOf(Share);
    expect(back.a.party).toBe(1);
    expect(Array.from(back.a.ring.data)).toEqual(Array.from(s.ring.data));
  });
});

describe('frame link', () => {
  it('refuses a replayed frame and a frame from the wrong sender', async () => {
    const [a, b] = await socketPair();
    const link = new FrameLink(b, { self: 's0', peer: 's1', timeoutMs: 5000 });
    const f0 = Buffer.concat(encodeFrame(frame(0)));
    a.write(f0);
    expect((await link.receive('conv1')).seq).toBe(0);
    a.write(f0); // replay of frame 0
    await expect(link.receive('conv1')).rejects.toThrow('link to s1: frame 0 from s1 refused: expected frame 1 (replayed, dropped or reordered)');
    a.destroy();

    const [c, d] = await socketPair();
    const link2 = new FrameLink(d, { self: 's0', peer: 's1', timeoutMs: 5000 });
    c.write(Buffer.concat(encodeFrame({ ...frame(0), from: 'dealer' })));
    await expect(link2.receive('conv1')).rejects.toThrow("link to s1: frame claims to come from 'dealer' on the link authenticated as s1");
    c.destroy();
  });

  it('times out naming the silent peer, and reports a vanished peer', async () => {
    const [a, b] = await socketPair();
    const link = new FrameLink(b, { self: 's0', peer: 's1', timeoutMs: 200 });
    await expect(link.receive('relu3')).rejects.toThrow("link to s1: no message from s1 within 200 ms while waiting for 'relu3'");
    a.destroy();
    const [c, d] = await socketPair();
    const link2 = new FrameLink(d, { self: 's0', peer: 'dealer', timeoutMs: 5000 });
    const waiting = link2.receive('mask');
    c.destroy();
    await expect(waiting).rejects.toThrow('link to dealer: dealer closed the connection (the party vanished)');
  });
});

describe('TLS-PSK links', () => {
  const keysDir = join(dir, 'keys');
  const files = generateKeys(keysDir);
  const servers: tls.Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('writes one key per link end with mode 0600 in 0700 folders, and refuses to overwrite', () => {
    expect(files).toHaveLength(10);
    for (const f of files) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(statSync(join(keysDir, 's0')).mode & 0o777).toBe(0o700);
    expect([...loadKeys(keysDir, 's0').keys()].sort()).toEqual(['client', 'dealer', 's1']);
    expect([...loadKeys(keysDir, 'client').keys()].sort()).toEqual(['s0', 's1']);
    expect(() => generateKeys(keysDir)).toThrow(/exists: keys are never overwritten/);
  });

  it('exchanges a 24 MB round both ways over TLS with the same words (backpressure), counting bytes per party', async () => {
    const links: FrameLink[] = [];
    const server = await listenLinks({ self: 's1', address: { host: '127.0.0.1', port: 0 }, keys: loadKeys(keysDir, 's1'), timeoutMs: 20000, onLink: (l) => links.push(l) });
    servers.push(server);
    const l0 = await connectLink({ self: 's0', peer: 's1', address: { host: '127.0.0.1', port: boundPort(server) }, keys: loadKeys(keysDir, 's0'), timeoutMs: 20000 });
    while (links.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(links[0]!.peer).toBe('s0');
    const meter = new CostMeter();
    const c0 = new TcpChannel(0, l0, meter);
    const c1 = new TcpChannel(1, links[0]!, meter);
    const x0 = randomTensor(rng, [3_000_000]);
    const x1 = randomTensor(rng, [5]);
    const [got0, got1] = await Promise.all([c0.exchange('big', [x0]), c1.exchange('big', [x1])]);
    expect(Array.from(got0[0]!.data)).toEqual(Array.from(x1.data));
    expect(got1[0]!.size).toBe(x0.size);
    expect(got1[0]!.data.every((v, i) => v === x0.data[i])).toBe(true);
    expect(meter.report().onlineBytes).toEqual([24_000_000, 40]);
    await expect(Promise.all([c0.exchange('a', []), c1.exchange('b', [])])).rejects.toThrow(/the parties lost step/);
    l0.close();
  });

  it('refuses a peer with the wrong key in the handshake, before any frame', async () => {
    const links: FrameLink[] = [];
    const refused: string[] = [];
    const server = await listenLinks({ self: 's1', address: { host: '127.0.0.1', port: 0 }, keys: loadKeys(keysDir, 's1'), timeoutMs: 5000, onLink: (l) => links.push(l), onRefused: (m) => refused.push(m) });
    servers.push(server);
    const wrong = join(dir, 'wrong');
    generateKeys(wrong);
    const port = boundPort(server);
    await expect(connectLink({ self: 's0', peer: 's1', address: { host: '127.0.0.1', port }, keys: loadKeys(wrong, 's0'), timeoutMs: 5000 })).rejects.toThrow(
      new RegExp(`^link to s1: cannot reach s1 at 127\\.0\\.0\\.1:${port}: TLS handshake refused: wrong or missing key`),
    );
    expect(links).toHaveLength(0);
    expect(refused.length).toBeGreaterThan(0);
    // A key file readable by others is refused.
    const loose = join(wrong, 's0', 's1.psk');
    writeFileSync(loose, '00'.repeat(32), { mode: 0o644 });
    await import('node:fs').then((fs) => fs.chmodSync(loose, 0o644));
    expect(() => loadKeys(wrong, 's0')).toThrow(`${loose}: key file is readable by others (mode 644); chmod 600 it`);
  });
});
