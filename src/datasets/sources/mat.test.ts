import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { datasetConfig, sharedDatasets, tempDir } from '../../testing/fixtures.js';
import { Rng } from '../../util/rng.js';
import { prepareDataset } from '../prepare.js';

/*
 * A tiny MAT v5 writer, from MathWorks' "MAT-File Format" (version 5) document: a 128-byte header
 * (text, subsystem offset, version 0x0100, endian indicator "IM" for little-endian), then data
 * elements: an 8-byte tag (type, byte count) and the data padded to 8 bytes, or a "small" element
 * (count << 16 | type, then up to 4 bytes) for short data. An array is a miMATRIX (14) element
 * holding array flags (miUINT32), dimensions (miINT32), the name (miINT8) and the real part.
 * miCOMPRESSED (15) holds one zlib-compressed element, unpadded.
 */
const MI = { INT8: 1, UINT8: 2, UINT16: 4, INT32: 5, UINT32: 6, DOUBLE: 9, MATRIX: 14, COMPRESSED: 15 } as const;
const MX = { CELL: 1, CHAR: 4, DOUBLE: 6, UINT8: 9 } as const;

function element(type: number, data: Buffer, small = false): Buffer {
  if (small && data.length <= 4) {
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(((data.length << 16) | type) >>> 0, 0);
    data.copy(tag, 4);
    return tag;
  }
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(data.length, 4);
  return Buffer.concat([tag, data, Buffer.alloc((8 - (data.length % 8)) % 8)]);
}

function matrix(name: string, mxClass: number, dims: readonly number[], parts: Buffer): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(mxClass, 0);
  const d = Buffer.alloc(4 * dims.length);
  dims.forEach((v, i) => d.writeInt32LE(v, 4 * i));
  return element(MI.MATRIX, Buffer.concat([element(MI.UINT32, flags), element(MI.INT32, d), element(MI.INT8, Buffer.from(name, 'latin1'), true), parts]));
}

/** A miCOMPRESSED element: tag and zlib data, unpadded. */
function compressed(inner: Buffer): Buffer {
  const data = deflateSync(inner);
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(MI.COMPRESSED, 0);
  tag.writeUInt32LE(data.length, 4);
  return Buffer.concat([tag, data]);
}

function charRow(text: string): Buffer {
  const data = Buffer.alloc(2 * text.length);
  for (let i = 0; i < text.length; i++) data.writeUInt16LE(text.charCodeAt(i), 2 * i);
  return matrix('', MX.CHAR, [1, text.length], element(MI.UINT16, data));
}

function matFile(elements: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, Platform: GLNXA64, written by a privedge test', 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  return Buffer.concat([header, ...elements]);
}

const W = 92;
const H = 112;
const people = ['s1', 's2', 's3'];
const perPerson = 4;

/** ORL faces as an H x W x N column-major uint8 array, with their labels 1..3 and person names. */
async function orlArrays(): Promise<{ x: Buffer; labels: number[]; names: string[]; grey: Buffer[] }> {
  const grey: Buffer[] = [];
  const labels: number[] = [];
  const names: string[] = [];
  for (const [p, person] of people.entries()) {
    for (let k = 1; k <= perPerson; k++) {
      const pgm = await readFile(join(sharedDatasets(), 'orl-faces', person, `${k}.pgm`));
      grey.push(pgm.subarray(pgm.length - W * H));
      labels.push(p + 1);
      names.push(person);
    }
  }
  const n = grey.length;
  const x = Buffer.alloc(H * W * n);
  for (let i = 0; i < n; i++) for (let y = 0; y < H; y++) for (let c = 0; c < W; c++) x[y + H * (c + W * i)] = grey[i]![y * W + c]!;
  return { x, labels, names, grey };
}

const rng = Rng.fromSeed(4).child('data');

describe('mat source', () => {
  it('reads MAT v5 (uncompressed and miCOMPRESSED): x is H x W x N uint8, label a double vector stored narrowed as uint8, names a cell array of char', async () => {
    const { x, labels, names, grey } = await orlArrays();
    const n = grey.length;
    const { dir, cleanup } = await tempDir();
    try {
      const xElement = matrix('x', MX.UINT8, [H, W, n], element(MI.UINT8, x));
      const label = matrix('label', MX.DOUBLE, [1, n], element(MI.UINT8, Buffer.from(labels)));
      const cell = matrix('person', MX.CELL, [n, 1], Buffer.concat(names.map(charRow)));
      const plain = join(dir, 'orl.mat');
      const packed = join(dir, 'orl-compressed.mat');
      await writeFile(plain, matFile([xElement, label, cell]));
      await writeFile(packed, matFile([compressed(xElement), compressed(label), cell]));
      for (const file of [plain, packed]) {
        const config = datasetConfig({ source: { type: 'mat', file, attributes: { person: 'person' } }, image: { width: W, height: H, channels: 1 } });
        const data = await prepareDataset(config, rng);
        expect(data.images.count).toBe(n);
        expect(data.partition.users.map((u) => u.user)).toEqual(['1', '2', '3']);
        for (let i = 0; i < n; i++) {
          expect(data.images.labels[i]).toBe(String(labels[i]));
          expect(data.images.attributes['person']![i]).toBe(names[i]);
          expect(Buffer.from(data.images.pixels.subarray(i * W * H, (i + 1) * W * H)).equals(grey[i]!)).toBe(true);
        }
      }
      const missing = datasetConfig({ source: { type: 'mat', file: plain, images: 'fea' }, image: { width: W, height: H } });
      await expect(prepareDataset(missing, rng)).rejects.toThrow(`${plain}: no array named "fea" (it has: x, label, person)`);
    } finally {
      await cleanup();
    }
  });

  it('reads MAT v7.3 (HDF5 behind a 512-byte MATLAB header) through h5wasm, dimensions reversed back to MATLAB order', async () => {
    const { x, labels, grey } = await orlArrays();
    const n = grey.length;
    const { dir, cleanup } = await tempDir();
    try {
      const h5wasm = (await import('h5wasm/node')).default;
      await h5wasm.ready;
      const h5file = join(dir, 'plain.h5');
      const h5 = new h5wasm.File(h5file, 'w');
      // MATLAB writes an H x W x N array as an HDF5 dataset of shape [N, W, H] holding the same bytes.
      h5.create_dataset({ name: 'x', data: Float64Array.from(x), shape: [n, W, H], dtype: '<f8' });
      h5.create_dataset({ name: 'label', data: Float64Array.from(labels), shape: [n, 1], dtype: '<f8' });
      h5.close();
      const header = Buffer.alloc(512, 0);
      header.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, written by a privedge test, HDF5 schema 1.00 .', 0, 'latin1');
      const file = join(dir, 'orl73.mat');
      await writeFile(file, Buffer.concat([header, await readFile(h5file)]));
      const data = await prepareDataset(datasetConfig({ source: { type: 'mat', file }, image: { width: W, height: H, channels: 1 } }), rng);
      expect(data.images.labels).toEqual(labels.map(String));
      for (let i = 0; i < n; i++) expect(Buffer.from(data.images.pixels.subarray(i * W * H, (i + 1) * W * H)).equals(grey[i]!)).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
