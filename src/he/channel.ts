import { ProtocolError } from '../errors.js';
import { fromBytes, toBytes } from './bigint-math.js';
import type { PaillierPublicKey } from './keys.js';

/**
 * Messages between client and server are bytes: a 5-byte header (step number u8, ciphertext
 * count u32 big-endian) and the ciphertexts, each as `ciphertextBytes` big-endian bytes (512 at
 * 2048 bits). Both parties serialise and parse every message, so what crosses is exactly what
 * is counted, and the server's inputs are bytes it can only read as elements of Z_{n^2}.
 */
export const HEADER_BYTES = 5;

/** Serialises ciphertexts of a protocol step. */
export function encodeCiphertexts(pk: PaillierPublicKey, step: number, ciphertexts: readonly bigint[]): Uint8Array {
  const size = pk.ciphertextBytes;
  const out = new Uint8Array(HEADER_BYTES + ciphertexts.length * size);
  out[0] = step;
  new DataView(out.buffer).setUint32(1, ciphertexts.length);
  ciphertexts.forEach((c, k) => toBytes(c, size, out, HEADER_BYTES + k * size));
  return out;
}

/**
 * Parses a message of step `step` with `expected` ciphertexts, each checked to lie in
 * [1, n^2). A malformed message throws a ProtocolError.
 */
export function decodeCiphertexts(pk: PaillierPublicKey, step: number, expected: number, bytes: Uint8Array): bigint[] {
  const size = pk.ciphertextBytes;
  const where = `message ${step}`;
  if (bytes.length < HEADER_BYTES) throw new ProtocolError(where, 'truncated header');
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  if (bytes[0] !== step) throw new ProtocolError(where, `unexpected step ${bytes[0]}`);
  if (count !== expected) throw new ProtocolError(where, `${count} ciphertexts, expected ${expected}`);
  if (bytes.length !== HEADER_BYTES + count * size) throw new ProtocolError(where, `${bytes.length} bytes, expected ${HEADER_BYTES + count * size}`);
  const out = new Array<bigint>(count);
  for (let k = 0; k < count; k++) {
    const c = fromBytes(bytes.subarray(HEADER_BYTES + k * size, HEADER_BYTES + (k + 1) * size));
    if (c === 0n || c >= pk.n2) throw new ProtocolError(where, `ciphertext ${k} is not an element of Z_(n^2)`);
    out[k] = c;
  }
  return out;
}

/** Traffic counters of a channel. */
export interface TrafficStats {
  bytesClientToServer: number;
  bytesServerToClient: number;
  messagesClientToServer: number;
  messagesServerToClient: number;
  /** Client-to-server messages answered by the server (one request and its reply). */
  roundTrips: number;
}

/** An in-process channel that counts every byte and message in each direction. */
export class CountingChannel {
  readonly stats: TrafficStats = { bytesClientToServer: 0, bytesServerToClient: 0, messagesClientToServer: 0, messagesServerToClient: 0, roundTrips: 0 };
  private awaitingReply = false;

  /** Client -> server. */
  toServer(bytes: Uint8Array): Uint8Array {
    this.stats.bytesClientToServer += bytes.length;
    this.stats.messagesClientToServer++;
    this.awaitingReply = true;
    return bytes.slice();
  }

  /** Server -> client. */
  toClient(bytes: Uint8Array): Uint8Array {
    this.stats.bytesServerToClient += bytes.length;
    this.stats.messagesServerToClient++;
    if (this.awaitingReply) this.stats.roundTrips++;
    this.awaitingReply = false;
    return bytes.slice();
  }
}
