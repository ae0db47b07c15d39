import { inflateRawSync } from 'node:zlib';
import { DatasetError } from '../../errors.js';

/**
 * Reads the entries of a ZIP archive (as `.npz` files are): stored or deflated members, with
 * ZIP64 sizes and offsets. Returns entry name -> uncompressed bytes, read lazily.
 */
export function readZipEntries(buffer: Uint8Array, file: string): Map<string, () => Uint8Array> {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let eocd = -1;
  for (let i = buffer.length - 22; i >= Math.max(0, buffer.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new DatasetError(file, 'not a ZIP/.npz archive (no end-of-central-directory record)');
  let entries = view.getUint16(eocd + 10, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || entries === 0xffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) throw new DatasetError(file, 'corrupt ZIP64 archive');
    const eocd64 = Number(view.getBigUint64(locator + 8, true));
    entries = Number(view.getBigUint64(eocd64 + 32, true));
    cdOffset = Number(view.getBigUint64(eocd64 + 48, true));
  }
  const out = new Map<string, () => Uint8Array>();
  let p = cdOffset;
  for (let e = 0; e < entries; e++) {
    if (p + 46 > buffer.length || view.getUint32(p, true) !== 0x02014b50) throw new DatasetError(file, 'corrupt ZIP central directory');
    const method = view.getUint16(p + 10, true);
    let compressed = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const name = Buffer.from(buffer.subarray(p + 46, p + 46 + nameLength)).toString('utf8');
    // ZIP64 extra field: the 0xffffffff fields follow in order size, compressed, offset.
    let x = p + 46 + nameLength;
    const extraEnd = x + extraLength;
    while (x + 4 <= extraEnd) {
      const id = view.getUint16(x, true);
      const len = view.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (size === 0xffffffff) { size = Number(view.getBigUint64(q, true)); q += 8; }
        if (compressed === 0xffffffff) { compressed = Number(view.getBigUint64(q, true)); q += 8; }
        if (localOffset === 0xffffffff) { localOffset = Number(view.getBigUint64(q, true)); }
      }
      x += 4 + len;
    }
    p = extraEnd + commentLength;
    const at = localOffset;
    out.set(name, () => {
      if (view.getUint32(at, true) !== 0x04034b50) throw new DatasetError(file, `corrupt ZIP entry ${name}`);
      const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
      if (start + compressed > buffer.length) throw new DatasetError(file, `truncated ZIP entry ${name}`);
      const data = buffer.subarray(start, start + compressed);
      let bytes: Uint8Array;
      if (method === 0) bytes = data;
      else if (method === 8) {
        try {
          bytes = new Uint8Array(inflateRawSync(data));
        } catch (error) {
          throw new DatasetError(file, `corrupt deflated entry ${name}: ${(error as Error).message}`);
        }
      } else throw new DatasetError(file, `ZIP entry ${name} uses unsupported compression method ${method}`);
      if (bytes.length !== size) throw new DatasetError(file, `ZIP entry ${name} has ${bytes.length} bytes, expected ${size}`);
      return bytes;
    });
  }
  return out;
}
