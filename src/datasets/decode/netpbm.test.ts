import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../errors.js';
import { sharedDatasets } from '../../testing/fixtures.js';
import { isNetpbm, parseNetpbm } from './netpbm.js';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('netpbm parser', () => {
  it('reads a real ORL P5 greymap: 92 x 112, pixels are the bytes after the 14-byte header', async () => {
    const file = join(sharedDatasets(), 'orl-faces/s1/1.pgm');
    const bytes = new Uint8Array(await readFile(file));
    // Independent reading: the header of these files is exactly "P5\n92 112\n255\n".
    expect(Buffer.from(bytes.subarray(0, 14)).toString('latin1')).toBe('P5\n92 112\n255\n');
    const img = parseNetpbm(bytes, file);
    expect([img.width, img.height, img.channels]).toEqual([92, 112, 1]);
    expect(Array.from(img.data)).toEqual(Array.from(bytes.subarray(14, 14 + 92 * 112)));
  });

  it('allows comments in the header and reads ASCII P2 and P3', () => {
    const p2 = parseNetpbm(enc('P2\n# a comment\n3 2 # trailing\n# another\n15\n0 5 10\n15 1 2\n'), 'a.pgm');
    expect([p2.width, p2.height, p2.channels]).toEqual([3, 2, 1]);
    expect(Array.from(p2.data)).toEqual([0, 85, 170, 255, 17, 34]);
    const p3 = parseNetpbm(enc('P3 1 2 255\n1 2 3 4 5 6\n'), 'a.ppm');
    expect(p3.channels).toBe(3);
    expect(Array.from(p3.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads binary P6 and 16-bit P5 (big-endian, scaled to 8 bits)', () => {
    const p6 = parseNetpbm(new Uint8Array([...enc('P6\n2 1\n255\n'), 10, 20, 30, 40, 50, 60]), 'b.ppm');
    expect(Array.from(p6.data)).toEqual([10, 20, 30, 40, 50, 60]);
    const p5 = parseNetpbm(new Uint8Array([...enc('P5 2 1 65535\n'), 0xff, 0xff, 0x80, 0x00]), 'c.pgm');
    expect(Array.from(p5.data)).toEqual([255, Math.round((0x8000 * 255) / 65535)]);
  });

  it('names the file in errors: bad magic, bad header, truncated data, bad maxval', () => {
    const cases: [Uint8Array, RegExp][] = [
      [enc('P4\n1 1\n'), /x\.pgm: unsupported netpbm format P4/],
      [enc('P5\n92 abc\n255\n'), /x\.pgm: bad PGM\/PPM header: height is not a number/],
      [enc('P5\n92'), /x\.pgm: bad PGM\/PPM header: missing height/],
      [new Uint8Array([...enc('P5\n4 4\n255\n'), 1, 2, 3]), /x\.pgm: truncated pixel data: 3 bytes, expected 16/],
      [enc('P5\n1 1\n0\n\0'), /x\.pgm: bad PGM\/PPM header: maxval 0/],
      [enc('P2\n2 1\n10\n3 11\n'), /x\.pgm: pixel 1 is 11, above maxval 10/],
      [enc('P2\n2 1\n10\n3\n'), /x\.pgm: truncated or invalid pixel data/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseNetpbm(bytes, 'x.pgm')).toThrow(DatasetError);
      expect(() => parseNetpbm(bytes, 'x.pgm')).toThrow(message);
    }
    expect(isNetpbm(enc('P5'))).toBe(true);
    expect(isNetpbm(enc('\x89PNG'))).toBe(false);
  });
});
