import { crc32 } from 'node:zlib';

/** Writes a C-order `.npy` (format 1.0) for tests: dtype `<f4`, `|u1`, `<i8` or `<U<n>`. */
export function npyBytes(dtype: string, shape: readonly number[], values: ArrayLike<number> | readonly string[]): Buffer {
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  let body: Buffer;
  if (dtype === '<f4') body = Buffer.from(Float32Array.from(values as ArrayLike<number>).buffer);
  else if (dtype === '|u1') body = Buffer.from(Uint8Array.from(values as ArrayLike<number>));
  else if (dtype === '<i8') body = Buffer.from(BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v))).buffer);
  else if (dtype.startsWith('<U')) {
    const n = Number(dtype.slice(2));
    body = Buffer.alloc((values as readonly string[]).length * n * 4);
    (values as readonly string[]).forEach((s, i) => [...s].forEach((ch, k) => body.writeUInt32LE(ch.codePointAt(0)!, (i * n + k) * 4)));
  } else throw new Error(`npyBytes: unsupported dtype ${dtype}`);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

/** A stored (uncompressed) ZIP archive, as numpy.savez writes. */
export function zipStored(entries: Readonly<Record<string, Buffer>>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(entries)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
