import * as net from 'node:net';
import * as tls from 'node:tls';
import { isRole, type Role } from './keys.js';
import { FrameLink, LinkError } from './link.js';

/**
 * TLS 1.2 with pre-shared keys and ephemeral Diffie-Hellman (forward secrecy), AEAD ciphers
 * only. No certificates: each link has its own 256-bit key, held by its two ends only.
 */
const CIPHERS = 'ECDHE-PSK-CHACHA20-POLY1305';

/** Where a party listens or is reached. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** Options of {@link connectLink}. */
export interface ConnectOptions {
  readonly self: Role;
  readonly peer: Role;
  readonly address: Address;
  /** This role's keys (see `loadKeys`). */
  readonly keys: ReadonlyMap<Role, Buffer>;
  /** Per-round timeout of the link, ms. */
  readonly timeoutMs: number;
  /** Keep retrying a refused connection for this long, ms (a peer still starting); default 0. */
  readonly retryMs?: number;
}

function tlsError(e: NodeJS.ErrnoException): string {
  const m = e.message;
  if (/decrypt|bad record mac|handshake failure|unknown psk|alert/i.test(m)) return `TLS handshake refused: wrong or missing key (${e.code ?? m})`;
  return m;
}

/**
 * Opens an authenticated, encrypted link to `peer`: the TLS-PSK handshake proves that both ends
 * hold the link's key (a peer without it fails the handshake before any frame is sent); then
 * both ends send a `hello` frame naming their role, which must match.
 * @throws LinkError naming the peer and address on refusal, handshake failure or timeout.
 */
export async function connectLink(options: ConnectOptions): Promise<FrameLink> {
  const { self, peer, address } = options;
  const key = options.keys.get(peer);
  if (key === undefined) throw new LinkError(peer, `${self} has no key for ${peer}`);
  const where = `${peer} at ${address.host}:${address.port}`;
  const deadline = Date.now() + (options.retryMs ?? 0);
  for (;;) {
    try {
      const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const s = tls.connect({
          host: address.host,
          port: address.port,
          ciphers: CIPHERS,
          minVersion: 'TLSv1.2',
          maxVersion: 'TLSv1.2',
          checkServerIdentity: () => undefined,
          pskCallback: (hint) => (hint === peer ? { identity: self, psk: key } : null),
        });
        s.setTimeout(options.timeoutMs, () => s.destroy(new Error(`no TLS handshake within ${options.timeoutMs} ms`)));
        s.once('secureConnect', () => {
          s.setTimeout(0);
          resolve(s);
        });
        s.once('error', reject);
      });
      socket.setNoDelay(true);
      return await greet(socket, self, peer, options.timeoutMs);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ECONNREFUSED' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (e instanceof LinkError) throw e;
      throw new LinkError(peer, `cannot reach ${where}: ${err.code === 'ECONNREFUSED' ? 'connection refused' : tlsError(err)}`, { cause: e });
    }
  }
}

async function greet(socket: tls.TLSSocket, self: Role, peer: Role, timeoutMs: number): Promise<FrameLink> {
  const link = new FrameLink(socket, { self, peer, timeoutMs });
  await link.send({ kind: 'hello', label: 'hello', reveal: false, meta: { role: self }, tensors: [] });
  const hello = await link.receive('hello');
  if (hello.kind !== 'hello') {
    link.fail(new LinkError(peer, `expected a hello frame, got ${hello.kind} '${hello.label}'`));
    throw link.failure;
  }
  return link;
}

/** Options of {@link listenLinks}. */
export interface ListenOptions {
  readonly self: Role;
  readonly address: Address;
  readonly keys: ReadonlyMap<Role, Buffer>;
  readonly timeoutMs: number;
  /** Called with every authenticated link. */
  readonly onLink: (link: FrameLink) => void;
  /** Called with a line for every refused connection. */
  readonly onRefused?: (message: string) => void;
}

/**
 * Listens for links: a client is accepted only if its PSK identity is a role this party has a
 * key for and it completes the handshake with that key; the link is then bound to that role.
 * Resolves when listening (the server's actual port in `address()` when port 0 was asked).
 */
export async function listenLinks(options: ListenOptions): Promise<tls.Server> {
  const identities = new WeakMap<tls.TLSSocket, Role>();
  const server = tls.createServer({
    ciphers: CIPHERS,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    pskIdentityHint: options.self,
    pskCallback: (socket, identity) => {
      if (!isRole(identity)) return null;
      const key = options.keys.get(identity);
      if (key === undefined) return null;
      identities.set(socket, identity);
      return key;
    },
  });
  server.on('secureConnection', (socket) => {
    socket.setNoDelay(true);
    const peer = identities.get(socket);
    if (peer === undefined) {
      socket.destroy();
      return;
    }
    greet(socket, options.self, peer, options.timeoutMs).then(options.onLink, (e: Error) => options.onRefused?.(`refused ${peer}: ${e.message}`));
  });
  server.on('tlsClientError', (e, socket) => options.onRefused?.(`refused a connection from ${socket.remoteAddress ?? '?'}: ${tlsError(e)}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.address.port, options.address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** The port a listening server got. */
export function boundPort(server: net.Server): number {
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('server is not listening on TCP');
  return a.port;
}
