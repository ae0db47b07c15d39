import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors.js';

/** Bytes of an AES-256 key. */
export const KEY_BYTES = 32;
/** Bytes of the GCM nonce (96 bits, fresh from node:crypto for every message). */
export const NONCE_BYTES = 12;
/** Bytes of the GCM authentication tag. */
export const TAG_BYTES = 16;
/** Bytes of the plaintext header (also the GCM associated data): magic, version, round, sequence, sender, receiver, payload length. */
export const HEADER_BYTES = 21;
/** Receiver id meaning "any owner" (the final model, which every owner downloads). */
export const ANY_RECEIVER = 0xffff;

const MAGIC = 0x50455754; // "PEWT": PrivEdge weight transmission
const VERSION = 1;

/**
 * The key the data owners share and the server never has. Turning it into a string or JSON
 * throws, so it cannot end up in a log, a CSV or run.json by accident.
 */
export class SharedKey {
  readonly #bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** A fresh 256-bit key from node:crypto. */
  static generate(): SharedKey {
    return new SharedKey(randomBytes(KEY_BYTES));
  }

  /** A key from given bytes (tests and key agreement done elsewhere). */
  static fromBytes(bytes: Uint8Array): SharedKey {
    if (bytes.length !== KEY_BYTES) throw new ProtocolError('SharedKey', `an AES-256 key has ${KEY_BYTES} bytes, got ${bytes.length}`);
    return new SharedKey(Buffer.from(bytes));
  }

  /** The raw key, for the cipher only. */
  bytes(): Buffer {
    return this.#bytes;
  }

  toString(): string {
    throw new ProtocolError('SharedKey', 'refusing to turn the shared key into a string');
  }

  toJSON(): never {
    throw new ProtocolError('SharedKey', 'refusing to serialise the shared key');
  }
}

/** The plaintext header of a message, authenticated as GCM associated data. */
export interface MessageHeader {
  /** Training round the model was produced in (0: the initial model). */
  readonly round: number;
  /** Model version: the number of owner turns the carried model has been through. Replay protection. */
  readonly seq: number;
  /** Owner who encrypted the message. */
  readonly sender: number;
  /** Owner the message is for, or {@link ANY_RECEIVER}. */
  readonly receiver: number;
}

/** What a receiver expects of the next message; any mismatch rejects it. */
export interface Expectation {
  readonly seq: number;
  readonly sender?: number;
  /** The receiving owner: the message must name it or {@link ANY_RECEIVER}. */
  readonly receiver?: number;
}

/** Encodes a header (big-endian) to its 21 bytes. */
export function encodeHeader(header: MessageHeader, payloadLength: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt8(VERSION, 4);
  out.writeUInt32BE(header.round, 5);
  out.writeUInt32BE(header.seq, 9);
  out.writeUInt16BE(header.sender, 13);
  out.writeUInt16BE(header.receiver, 15);
  out.writeUInt32BE(payloadLength, 17);
  return out;
}

/** Reads the plaintext header of a message (anyone can: the server uses it to refuse stale uploads). */
export function readHeader(message: Uint8Array): MessageHeader & { readonly payloadLength: number } {
  if (message.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES) throw new ProtocolError('weight message', `${message.length} bytes is shorter than an empty message (${HEADER_BYTES + NONCE_BYTES + TAG_BYTES})`);
  const b = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (b.readUInt32BE(0) !== MAGIC || b.readUInt8(4) !== VERSION) throw new ProtocolError('weight message', 'not a weight-transmission message (bad magic or version)');
  const payloadLength = b.readUInt32BE(17);
  if (message.length !== HEADER_BYTES + NONCE_BYTES + payloadLength + TAG_BYTES) {
    throw new ProtocolError('weight message', `length ${message.length} does not match the header's payload length ${payloadLength}`);
  }
  return { round: b.readUInt32BE(5), seq: b.readUInt32BE(9), sender: b.readUInt16BE(13), receiver: b.readUInt16BE(15), payloadLength };
}

/** Total bytes of a sealed message carrying `payloadLength` plaintext bytes. */
export function messageBytes(payloadLength: number): number {
  return HEADER_BYTES + NONCE_BYTES + payloadLength + TAG_BYTES;
}

/**
 * Seals a payload: `header || nonce || AES-256-GCM(payload) || tag`, the header as associated
 * data. Steps: 1. draw a fresh 96-bit nonce from node:crypto; 2. encrypt under the shared key
 * with the header authenticated; 3. concatenate. Size: {@link messageBytes}(payload length).
 */
export function seal(key: SharedKey, header: MessageHeader, payload: Uint8Array): Uint8Array {
  const aad = encodeHeader(header, payload.length);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes(), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(payload), cipher.final()]);
  return new Uint8Array(Buffer.concat([aad, nonce, body, cipher.getAuthTag()]));
}

/**
 * Opens a sealed message. Steps: 1. parse the header and check the length; 2. decrypt and verify
 * the tag over header and ciphertext (a modified byte anywhere, or another key, fails here);
 * 3. check the authenticated header against `expect`: the model version (`seq`) must be the
 * expected one, so an older ciphertext replayed by the server or a link is refused, as is one
 * from an unexpected sender or for another owner. Throws a {@link ProtocolError} and returns
 * nothing on any failure; the caller's state is untouched.
 */
export function open(key: SharedKey, message: Uint8Array, expect: Expectation): { header: MessageHeader; payload: Uint8Array } {
  const header = readHeader(message);
  const b = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const nonce = b.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  const body = b.subarray(HEADER_BYTES + NONCE_BYTES, b.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key.bytes(), nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(b.subarray(0, HEADER_BYTES));
  decipher.setAuthTag(b.subarray(b.length - TAG_BYTES));
  let payload: Buffer;
  try {
    payload = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new ProtocolError(
      `weight message (round ${header.round}, version ${header.seq})`,
      'authentication failed: the header, nonce, ciphertext or tag was modified, or it was sealed under another key; rejected, nothing loaded',
    );
  }
  const { round, seq, sender, receiver } = header;
  const where = `weight message (round ${round}, version ${seq}, from owner ${sender})`;
  if (seq !== expect.seq) {
    const why = seq < expect.seq ? 'a replayed or stale model' : 'a model from the future (a message was skipped)';
    throw new ProtocolError(where, `${why}: version ${seq}, expected version ${expect.seq}; rejected, nothing loaded`);
  }
  if (expect.sender !== undefined && sender !== expect.sender) throw new ProtocolError(where, `expected the model from owner ${expect.sender}; rejected, nothing loaded`);
  if (expect.receiver !== undefined && receiver !== ANY_RECEIVER && receiver !== expect.receiver) {
    throw new ProtocolError(where, `addressed to owner ${receiver}, not owner ${expect.receiver}; rejected, nothing loaded`);
  }
  return { header: { round, seq, sender, receiver }, payload: new Uint8Array(payload) };
}
