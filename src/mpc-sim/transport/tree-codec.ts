import { ProtocolError } from '../../errors.js';
import { assertPartyId } from '../party.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { BinaryShare } from '../sharing/binary-share.js';
import { Share } from '../sharing/share.js';

/**
 * Splits a value made of plain JSON data, {@link Share}s, {@link BinaryShare}s and
 * {@link RingTensor}s (dealer material, a server's enrolled reconstructor) into a JSON skeleton
 * and the list of tensors it refers to, so that the tensors can travel or be stored as raw words
 * and the rest as JSON. Shares keep their party; nothing is converted to text, so the guard of
 * `Share` is never bypassed by `JSON.stringify`.
 */
export interface EncodedTree {
  /** JSON-safe: objects, arrays, strings, finite numbers, booleans, null and tensor references. */
  readonly skeleton: unknown;
  /** The tensors referenced by index from the skeleton. */
  readonly tensors: RingTensor[];
}

type Ref = { $share: number; party: number } | { $bits: number; party: number } | { $ring: number };

/** Encodes `value` (see {@link EncodedTree}); typed arrays other than tensors are refused. */
export function encodeTree(value: unknown): EncodedTree {
  const tensors: RingTensor[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof Share) return { $share: tensors.push(v.ring) - 1, party: v.party } satisfies Ref;
    if (v instanceof BinaryShare) return { $bits: tensors.push(v.words) - 1, party: v.party } satisfies Ref;
    if (v instanceof RingTensor) return { $ring: tensors.push(v) - 1 } satisfies Ref;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new ProtocolError('encodeTree', `${path} is ${v}: not finite`);
      return v;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (typeof v === 'object' && !ArrayBuffer.isView(v) && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = walk(x, `${path}.${k}`);
      return out;
    }
    throw new ProtocolError('encodeTree', `${path} cannot be sent (${Object.prototype.toString.call(v)})`);
  };
  return { skeleton: walk(value, '$'), tensors };
}

/**
 * Rebuilds a value from {@link encodeTree}'s output (tensors not copied).
 * @throws ProtocolError on a reference to a missing tensor or a bad party.
 */
export function decodeTree(skeleton: unknown, tensors: readonly RingTensor[]): unknown {
  const tensor = (i: unknown): RingTensor => {
    const t = typeof i === 'number' ? tensors[i] : undefined;
    if (t === undefined) throw new ProtocolError('decodeTree', `reference to tensor ${String(i)} of ${tensors.length}`);
    return t;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if ('$share' in o) {
      assertPartyId('decodeTree', o.party);
      return new Share(o.party, tensor(o.$share));
    }
    if ('$bits' in o) {
      assertPartyId('decodeTree', o.party);
      return new BinaryShare(o.party, tensor(o.$bits));
    }
    if ('$ring' in o) return tensor(o.$ring);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = walk(x);
    return out;
  };
  return walk(skeleton);
}

/** A value packed for `postMessage` to another thread ({@link packTree}). */
export interface PackedTree {
  readonly skeleton: unknown;
  readonly tensors: readonly { readonly shape: number[]; readonly data: BigUint64Array }[];
}

/**
 * Packs `value` (see {@link encodeTree}) for another thread: every tensor's words are copied into
 * a buffer of their own, listed in `transfer` so that `postMessage` moves instead of copying them
 * again (and never clones a larger buffer a tensor is a view of).
 *
 * With `move`, a tensor that is its buffer's only view (it spans the whole buffer) is not copied:
 * its own buffer is listed in `transfer`, and `postMessage` detaches it, so the caller must not
 * use `value` afterwards (tensors that are views of a larger buffer are still copied). For values
 * made once to be sent, such as recorded dealer material, this halves the peak memory.
 */
export function packTree(value: unknown, options: { readonly move?: boolean } = {}): { packed: PackedTree; transfer: ArrayBuffer[] } {
  const { skeleton, tensors } = encodeTree(value);
  const seen = new Set<ArrayBufferLike>();
  const packed = tensors.map((t) => {
    const whole = t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength && !(t.data.buffer instanceof SharedArrayBuffer);
    // a buffer listed twice in a transfer list makes postMessage throw: move it once, copy the rest
    const move = options.move === true && whole && !seen.has(t.data.buffer);
    if (move) seen.add(t.data.buffer);
    return { shape: [...t.shape], data: move ? t.data : t.data.slice() };
  });
  return { packed: { skeleton, tensors: packed }, transfer: packed.map((c) => c.data.buffer as ArrayBuffer) };
}

/** Rebuilds a value packed by {@link packTree} (the received buffers become the tensors' memory). */
export function unpackTree(packed: PackedTree): unknown {
  return decodeTree(packed.skeleton, packed.tensors.map((t) => new RingTensor(t.shape, t.data)));
}
