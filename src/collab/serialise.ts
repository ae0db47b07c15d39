import { endianness } from 'node:os';
import { ProtocolError } from '../errors.js';

/** A named float32 array with its shape (a weight tensor or an optimizer slot). */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Optimizers whose state can travel with the weights. */
export type OptimizerKind = 'sgd' | 'adam';

/**
 * Optimizer state. Plain SGD has none (`slots` empty): passing the weights is passing everything.
 * Adam's first and second moments (one slot each per weight) and its step count must travel too,
 * or the next owner would restart the moment estimates and the bias correction.
 */
export interface OptimizerState {
  readonly kind: OptimizerKind;
  /** Optimizer steps taken so far (Adam's bias correction uses it). */
  readonly step: number;
  readonly slots: readonly NamedArray[];
}

/** Everything an owner passes on: the model weights and the optimizer state. */
export interface TrainingState {
  readonly weights: readonly NamedArray[];
  readonly optimizer: OptimizerState;
}

/** The names and shapes a receiver expects, in order. */
export interface StateLayout {
  readonly weights: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly optimizer: OptimizerKind;
}

const MAGIC = 0x50455753; // "PEWS"
const VERSION = 1;
const FIXED_BYTES = 18;
const KINDS: readonly OptimizerKind[] = ['sgd', 'adam'];

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const entryBytes = (a: NamedArray): number => 2 + Buffer.byteLength(a.name, 'utf8') + 1 + 4 * a.shape.length + 4 * sizeOf(a.shape);

/**
 * Exact payload size of a state: an 18-byte preamble (magic, version, optimizer kind, step,
 * weight count, slot count), then per array its name length (2), UTF-8 name, rank (1), dimensions
 * (4 each) and float32 values (4 each).
 */
export function payloadBytes(state: TrainingState): number {
  return FIXED_BYTES + [...state.weights, ...state.optimizer.slots].reduce((a, e) => a + entryBytes(e), 0);
}

/** Serialises a training state (little-endian float32 values, exact: no rounding). */
export function serialiseState(state: TrainingState): Uint8Array {
  if (endianness() !== 'LE') throw new ProtocolError('serialiseState', 'big-endian hosts are not supported');
  const out = Buffer.alloc(payloadBytes(state));
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt8(VERSION, 4);
  out.writeUInt8(KINDS.indexOf(state.optimizer.kind), 5);
  out.writeUInt32BE(state.optimizer.step, 6);
  out.writeUInt32BE(state.weights.length, 10);
  out.writeUInt32BE(state.optimizer.slots.length, 14);
  let o = FIXED_BYTES;
  for (const a of [...state.weights, ...state.optimizer.slots]) {
    if (a.values.length !== sizeOf(a.shape)) throw new ProtocolError('serialiseState', `${a.name}: ${a.values.length} values for shape [${a.shape.join(', ')}]`);
    const name = Buffer.from(a.name, 'utf8');
    out.writeUInt16BE(name.length, o);
    name.copy(out, o + 2);
    o += 2 + name.length;
    out.writeUInt8(a.shape.length, o++);
    for (const d of a.shape) {
      out.writeUInt32BE(d, o);
      o += 4;
    }
    out.set(new Uint8Array(a.values.buffer, a.values.byteOffset, a.values.byteLength), o);
    o += a.values.byteLength;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Parses a payload and checks it against the receiver's layout (every weight's name and shape in
 * order, the optimizer kind, and for Adam two slots per weight with the weight's shape). Returns
 * fresh arrays; throws a {@link ProtocolError} naming the first mismatch.
 */
export function deserialiseState(payload: Uint8Array, layout: StateLayout): TrainingState {
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const fail = (message: string): never => {
    throw new ProtocolError('weight payload', message);
  };
  if (b.length < FIXED_BYTES || b.readUInt32BE(0) !== MAGIC || b.readUInt8(4) !== VERSION) fail('not a serialised training state');
  const kind = KINDS[b.readUInt8(5)] ?? fail(`unknown optimizer code ${b.readUInt8(5)}`);
  if (kind !== layout.optimizer) fail(`carries ${kind} state, the receiver trains with ${layout.optimizer}`);
  const step = b.readUInt32BE(6);
  const weightCount = b.readUInt32BE(10);
  const slotCount = b.readUInt32BE(14);
  if (weightCount !== layout.weights.length) fail(`${weightCount} weight tensors, the receiver's model has ${layout.weights.length}`);
  const expectedSlots = kind === 'adam' ? 2 * weightCount : 0;
  if (slotCount !== expectedSlots) fail(`${slotCount} optimizer slots, ${kind} needs ${expectedSlots}`);
  let o = FIXED_BYTES;
  const read = (): NamedArray => {
    if (o + 3 > b.length) fail('truncated');
    const nameLength = b.readUInt16BE(o);
    const name = b.toString('utf8', o + 2, o + 2 + nameLength);
    o += 2 + nameLength;
    const rank = b.readUInt8(o++);
    const shape: number[] = [];
    for (let i = 0; i < rank; i++, o += 4) shape.push(b.readUInt32BE(o));
    const bytes = 4 * sizeOf(shape);
    if (o + bytes > b.length) fail(`${name}: truncated values`);
    const values = new Float32Array(new Uint8Array(b.subarray(o, o + bytes)).buffer);
    o += bytes;
    return { name, shape, values };
  };
  const weights = layout.weights.map((w) => {
    const a = read();
    if (a.name !== w.name || a.shape.join('x') !== w.shape.join('x')) fail(`tensor ${a.name} [${a.shape.join(', ')}] where the receiver's model has ${w.name} [${w.shape.join(', ')}]`);
    return a;
  });
  const slots = Array.from({ length: slotCount }, (_, i) => {
    const a = read();
    const w = layout.weights[i % weightCount]!;
    if (a.shape.join('x') !== w.shape.join('x')) fail(`optimizer slot ${a.name} [${a.shape.join(', ')}] does not match ${w.name} [${w.shape.join(', ')}]`);
    return a;
  });
  if (o !== b.length) fail(`${b.length - o} trailing bytes`);
  return { weights, optimizer: { kind, step, slots } };
}
