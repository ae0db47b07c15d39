import { ProtocolError } from '../../errors.js';
import { RingTensor } from '../ring/ring-tensor.js';

/*
 * Wire format of one frame (all integers big-endian):
 *
 *   magic "PEF1" (4 bytes) | header length H (u32) | body length B (u64, as two u32)
 *   | header: H bytes of UTF-8 JSON { from, seq, label, kind, reveal, meta, shapes }
 *   | body: B bytes, the tensors' words back to back (8 bytes each, little-endian as in memory)
 *
 * `seq` counts the frames one sender has sent on one link (0, 1, 2, ...): the receiver refuses a
 * frame whose number is not the next one (a replayed, dropped or reordered frame), and a frame
 * whose sender is not the peer the link was authenticated as.
 */

/** What a frame carries. */
export type FrameKind = 'hello' | 'round' | 'request' | 'response' | 'control' | 'error';

/** One message on a link. */
export interface Frame {
  /** Role of the sender (`s0`, `s1`, `dealer`, `client`). */
  readonly from: string;
  /** The sender's frame counter on this link. */
  readonly seq: number;
  /** Protocol message label (the `Channel` label for rounds). */
  readonly label: string;
  readonly kind: FrameKind;
  /** This round opens plaintext (a `reveal`). */
  readonly reveal: boolean;
  /** Small JSON metadata (requests, results, errors). */
  readonly meta: unknown;
  readonly tensors: RingTensor[];
}

const MAGIC = 0x50454631; // "PEF1"
const PREFIX = 16;
/** Largest header accepted (a header is small JSON). */
export const MAX_HEADER_BYTES = 1 << 20;
/** Largest body accepted: 4 GiB. */
export const MAX_BODY_BYTES = 2 ** 32;
const KINDS: readonly FrameKind[] = ['hello', 'round', 'request', 'response', 'control', 'error'];

/**
 * The frame as buffers to write in order: a prefix and header, then one view per tensor (the
 * tensors' memory, not copied, so a large message is written straight from the ring tensors).
 */
export function encodeFrame(frame: Frame): Buffer[] {
  const header = Buffer.from(
    JSON.stringify({ from: frame.from, seq: frame.seq, label: frame.label, kind: frame.kind, reveal: frame.reveal, meta: frame.meta ?? null, shapes: frame.tensors.map((t) => t.shape) }),
    'utf8',
  );
  const body = frame.tensors.reduce((s, t) => s + t.byteLength, 0);
  const prefix = Buffer.alloc(PREFIX);
  prefix.writeUInt32BE(MAGIC, 0);
  prefix.writeUInt32BE(header.length, 4);
  prefix.writeUInt32BE(Math.floor(body / 2 ** 32), 8);
  prefix.writeUInt32BE(body % 2 ** 32, 12);
  const out: Buffer[] = [prefix, header];
  for (const t of frame.tensors) if (t.size > 0) out.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.byteLength));
  return out;
}

/**
 * Incremental decoder of a byte stream into frames. Feed it chunks in order; it returns every
 * frame completed by each chunk. A frame's body is copied once into fresh, aligned memory.
 * @throws ProtocolError naming `peer` on a bad magic number, an oversized or malformed header,
 *   or tensors that do not fill the body exactly. After a throw the stream is unusable.
 */
export class FrameDecoder {
  readonly #peer: string;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #need: { header: number; body: number } | undefined;

  constructor(peer: string) {
    this.#peer = peer;
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.#need === undefined) {
        if (this.#buffered < PREFIX) break;
        const prefix = this.#take(PREFIX);
        if (prefix.readUInt32BE(0) !== MAGIC) throw this.#error('bad frame magic number (corrupted or not a privedge link)');
        const header = prefix.readUInt32BE(4);
        const body = prefix.readUInt32BE(8) * 2 ** 32 + prefix.readUInt32BE(12);
        if (header > MAX_HEADER_BYTES) throw this.#error(`frame header of ${header} bytes exceeds ${MAX_HEADER_BYTES}`);
        if (body > MAX_BODY_BYTES) throw this.#error(`frame body of ${body} bytes exceeds ${MAX_BODY_BYTES}`);
        this.#need = { header, body };
      }
      const need = this.#need;
      if (this.#buffered < need.header + need.body) break;
      this.#need = undefined;
      const header = this.#take(need.header);
      const body = new ArrayBuffer(need.body);
      this.#takeInto(new Uint8Array(body));
      frames.push(this.#parse(header, body));
    }
    return frames;
  }

  #parse(headerBytes: Buffer, body: ArrayBuffer): Frame {
    let h: Record<string, unknown>;
    try {
      h = JSON.parse(headerBytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw this.#error('frame header is not valid JSON (corrupted frame)');
    }
    const { from, seq, label, kind, reveal, meta, shapes } = h;
    if (typeof from !== 'string' || !Number.isSafeInteger(seq) || typeof label !== 'string' || !KINDS.includes(kind as FrameKind) || typeof reveal !== 'boolean' || !Array.isArray(shapes)) {
      throw this.#error('frame header lacks from, seq, label, kind, reveal or shapes (corrupted frame)');
    }
    const tensors: RingTensor[] = [];
    let at = 0;
    for (const shape of shapes as unknown[]) {
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw this.#error('bad tensor shape in frame header');
      const size = (shape as number[]).reduce((a, b) => a * b, 1);
      if (at + size * 8 > body.byteLength) throw this.#error(`tensors need more than the ${body.byteLength} body bytes`);
      tensors.push(new RingTensor(shape as number[], new BigUint64Array(body, at, size)));
      at += size * 8;
    }
    if (at !== body.byteLength) throw this.#error(`tensors fill ${at} of the ${body.byteLength} body bytes`);
    return { from, seq: seq as number, label, kind: kind as FrameKind, reveal, meta: meta ?? null, tensors };
  }

  #take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.#takeInto(out);
    return out;
  }

  #takeInto(out: Uint8Array): void {
    let at = 0;
    while (at < out.length) {
      const c = this.#chunks[0]!;
      const n = Math.min(c.length, out.length - at);
      out.set(c.subarray(0, n), at);
      at += n;
      if (n === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(n);
    }
    this.#buffered -= out.length;
  }

  #error(message: string): ProtocolError {
    return new ProtocolError(`link from ${this.#peer}`, message);
  }
}
