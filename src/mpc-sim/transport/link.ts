import type { Duplex } from 'node:stream';
import { PrivedgeError } from '../../errors.js';
import { encodeFrame, FrameDecoder, type Frame } from './frame.js';

/** A failure of a network link: the peer vanished, was too slow, or sent a bad frame. */
export class LinkError extends PrivedgeError {
  /** Role of the party at the other end. */
  readonly peer: string;

  constructor(peer: string, message: string, options?: { cause?: unknown }) {
    super('NETWORK', `link to ${peer}: ${message}`, options);
    this.peer = peer;
  }
}

function socketError(peer: string, e: NodeJS.ErrnoException): LinkError {
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return new LinkError(peer, `${peer} closed the connection (the party vanished)`, { cause: e });
  if (/BAD_RECORD_MAC|DECRYPTION_FAILED/.test(e.code ?? '')) {
    return new LinkError(peer, `a TLS record failed authentication, the link is closed (tampered or corrupted on the wire; ${e.code})`, { cause: e });
  }
  return new LinkError(peer, `${peer} connection failed (${e.code ?? e.message})`, { cause: e });
}

/** Options of {@link FrameLink}. */
export interface FrameLinkOptions {
  /** This end's role, written into every frame. */
  readonly self: string;
  /** The authenticated role of the other end: frames from anyone else are refused. */
  readonly peer: string;
  /** Longest wait for one incoming frame, in milliseconds (the per-round timeout). */
  readonly timeoutMs: number;
}

/** A frame to send: the link fills in the sender and the sequence number. */
export type OutgoingFrame = Omit<Frame, 'from' | 'seq'>;

/**
 * Frames over one authenticated byte stream (a TLS socket). Sends are serialised and honour
 * backpressure (a large tensor waits for `drain` instead of piling up in memory); receives are
 * in order, each with the per-round timeout. Every incoming frame must carry the peer's role and
 * the next sequence number: a replayed, dropped or reordered frame fails the link. Any failure
 * (close, socket error, timeout, bad frame) fails the link for good: every waiting and later
 * call rejects with the same {@link LinkError}.
 */
export class FrameLink {
  readonly self: string;
  readonly peer: string;
  readonly #socket: Duplex;
  readonly #timeoutMs: number;
  readonly #decoder: FrameDecoder;
  readonly #queue: Frame[] = [];
  readonly #waiters: { resolve: (f: Frame) => void; reject: (e: LinkError) => void }[] = [];
  #sendSeq = 0;
  #recvSeq = 0;
  #sending: Promise<void> = Promise.resolve();
  #failure: LinkError | undefined;
  /** Bytes written and read, for measurement. */
  bytesSent = 0;
  bytesReceived = 0;

  constructor(socket: Duplex, options: FrameLinkOptions) {
    this.self = options.self;
    this.peer = options.peer;
    this.#socket = socket;
    this.#timeoutMs = options.timeoutMs;
    this.#decoder = new FrameDecoder(options.peer);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => this.fail(socketError(this.peer, e)));
    socket.on('close', () => this.fail(new LinkError(this.peer, `${this.peer} closed the connection (the party vanished)`)));
  }

  /** Why the link failed, if it did. */
  get failure(): LinkError | undefined {
    return this.#failure;
  }

  /** Sends one frame once the previous ones are written; resolves when the socket took it all. */
  send(frame: OutgoingFrame): Promise<void> {
    const full: Frame = { ...frame, from: this.self, seq: this.#sendSeq++ };
    const next = this.#sending.then(() => this.#write(full));
    this.#sending = next.catch(() => undefined);
    return next;
  }

  /**
   * The next frame from the peer; rejects after `timeoutMs` (default the link's per-round
   * timeout; `Infinity` waits for ever, e.g. an idle server) naming the peer and `waitingFor`.
   */
  receive(waitingFor: string, timeoutMs = this.#timeoutMs): Promise<Frame> {
    const ready = this.#queue.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<Frame>((resolve, reject) => {
      const timer = !Number.isFinite(timeoutMs) ? undefined : setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        const error = new LinkError(this.peer, `no message from ${this.peer} within ${timeoutMs} ms while waiting for '${waitingFor}'`);
        this.fail(error);
        reject(error);
      }, timeoutMs);
      const waiter = {
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e: LinkError) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Fails the link with `error` (first failure wins) and closes the socket. */
  fail(error: LinkError): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const w of this.#waiters.splice(0)) w.reject(error);
    this.#socket.destroy();
  }

  /**
   * Closes the link: later calls reject at once, frames already handed to `send` are still
   * delivered (the socket is ended after them, and destroyed if the peer does not close
   * within a second).
   */
  close(): void {
    if (this.#failure) return;
    this.#failure = new LinkError(this.peer, 'closed by this end');
    for (const w of this.#waiters.splice(0)) w.reject(this.#failure);
    void this.#sending.then(() => {
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }

  async #write(frame: Frame): Promise<void> {
    for (const buffer of encodeFrame(frame)) {
      if (this.#failure) throw this.#failure;
      this.bytesSent += buffer.length;
      if (!this.#socket.write(buffer)) await this.#drained();
    }
    if (this.#failure) throw this.#failure;
  }

  #drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        if (this.#failure) reject(this.#failure);
        else resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#failure) return;
    this.bytesReceived += chunk.length;
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (e) {
      this.fail(new LinkError(this.peer, (e as Error).message, { cause: e }));
      return;
    }
    for (const frame of frames) {
      if (frame.from !== this.peer) {
        this.fail(new LinkError(this.peer, `frame claims to come from '${frame.from}' on the link authenticated as ${this.peer}`));
        return;
      }
      if (frame.seq !== this.#recvSeq) {
        this.fail(new LinkError(this.peer, `frame ${frame.seq} from ${this.peer} refused: expected frame ${this.#recvSeq} (replayed, dropped or reordered)`));
        return;
      }
      this.#recvSeq++;
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(frame);
      else this.#queue.push(frame);
    }
  }
}
