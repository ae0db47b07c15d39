import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { RunError } from '../../errors.js';
import { RingTensor } from '../ring/ring-tensor.js';
import { decodeTree, encodeTree } from '../transport/tree-codec.js';

/*
 * One value of shares, tensors and plain data in one file:
 *   "PET1" | JSON length (u32 BE) | JSON { skeleton, shapes } | the tensors' words back to back.
 * Written atomically (temporary name, fsync, rename) with mode 0600.
 */

const MAGIC = 'PET1';

/** Writes `value` (see `encodeTree`) to `file` atomically, mode 0600. */
export function writeTreeFile(file: string, value: unknown): void {
  const { skeleton, tensors } = encodeTree(value);
  const json = Buffer.from(JSON.stringify({ skeleton, shapes: tensors.map((t) => t.shape) }), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32BE(json.length, 4);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, prefix);
    writeSync(fd, json);
    for (const t of tensors) if (t.size > 0) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * Reads a file written by {@link writeTreeFile}.
 * @throws RunError naming the file if it is not such a file or is truncated.
 */
export function readTreeFile(file: string): unknown {
  const bytes = readFileSync(file);
  if (bytes.length < 8 || bytes.toString('latin1', 0, 4) !== MAGIC) throw new RunError(file, 'not a privedge share file');
  const length = bytes.readUInt32BE(4);
  let head: { skeleton: unknown; shapes: number[][] };
  try {
    head = JSON.parse(bytes.toString('utf8', 8, 8 + length)) as { skeleton: unknown; shapes: number[][] };
  } catch {
    throw new RunError(file, 'corrupt header');
  }
  let at = 8 + length;
  const tensors = head.shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (at + size * 8 > bytes.length) throw new RunError(file, 'truncated');
    const data = new BigUint64Array(size);
    new Uint8Array(data.buffer).set(bytes.subarray(at, at + size * 8));
    at += size * 8;
    return new RingTensor(shape, data);
  });
  if (at !== bytes.length) throw new RunError(file, `${bytes.length - at} bytes after the last tensor`);
  return decodeTree(head.skeleton, tensors);
}
