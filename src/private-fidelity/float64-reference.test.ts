import { describe, expect, it } from 'vitest';
import type { FidelityRow } from '../mpc-sim/private-reconstructor/fidelity-rows.js';
import { parseCsvText } from '../report/csv.js';
import { fidelityRow } from '../testing/fidelity-rows.js';
import { compareWithFloat64, float64Labels, float64Rows, float64SummaryLines, mergeFloat64Rows } from './float64-reference.js';

const USERS = ['a', 'b', 'c'];

/** A fidelity row with these labels and plaintext margin (only the columns the comparison reads matter). */
const row = (image: string, plaintext: string, privateLabel: string, margin: number): FidelityRow => fidelityRow(image, { labels: [plaintext, privateLabel], margin });

describe('float64 reference of a fidelity run', () => {
  // img1: float32 says a by 1e-7, float64 says b by 2e-7; img2: both say c; img3: both say b.
  const rows = float64Rows(
    ['img1', 'img2', 'img3'],
    ['a', 'c', 'b'],
    USERS,
    [
      [0.0100003, 0.0100001, 0.02],
      [0.3, 0.2, 0.1],
      [0.2, 0.1, 0.2],
    ],
    [
      [0.0100001, 0.0100002, 0.02],
      [0.3, 0.2, 0.1],
      [0.2, 0.1, 0.2000004],
    ],
  );

  it('reads labels, margins and the float32 error per image (ties to the first user), through a CSV round trip', () => {
    expect(rows).toHaveLength(9);
    expect(rows[0]).toEqual({ image: 'img1', trueUser: 'a', user: 'a', mse: 0.0100003, float32Mse: 0.0100001 });
    const csv = ['image,trueUser,user,mse,float32Mse', ...rows.map((r) => [r['image'], r['trueUser'], r['user'], r['mse'], r['float32Mse']].join(','))].join('\n');
    const labels = float64Labels(parseCsvText(csv), 'ref.csv');
    expect(labels.get('img1')!.label).toBe('b');
    expect(labels.get('img1')!.margin).toBeCloseTo(2e-7, 12);
    expect(labels.get('img1')!.float32Error).toBeCloseTo(2e-7, 12);
    expect(labels.get('img2')).toEqual({ label: 'c', margin: 0.2 - 0.1, float32Error: 0 });
    expect(labels.get('img3')!.float32Error).toBeCloseTo(4e-7, 12);
    const tie = float64Labels(float64Rows(['t'], ['a'], USERS, [[0.1, 0.1, 0.2]], [[0.1, 0.1, 0.2]]), 'ref.csv');
    expect(tie.get('t')!.label).toBe('a');
  });

  it('names the file and the image when a user is missing or a value is not a number', () => {
    expect(() => float64Labels(rows.filter((r) => !(r['image'] === 'img2' && r['user'] === 'c')), 'ref.csv')).toThrow(/ref\.csv.*'img2' has dissimilarities for users \[a, b\], the first image for \[a, b, c\]/);
    expect(() => float64Labels([{ ...rows[0]!, mse: 'x' }], 'ref.csv')).toThrow(/ref\.csv.*'img1', user 'a': mse and float32Mse must be finite numbers/);
  });

  it('a fresh pass replaces the images it covers and keeps the others', () => {
    const fresh = float64Rows(['img2'], ['c'], USERS, [[0.1, 0.2, 0.3]], [[0.1, 0.2, 0.3]]);
    const merged = mergeFloat64Rows(rows, fresh);
    expect(merged).toHaveLength(9);
    expect(float64Labels(merged, 'ref.csv').get('img2')!.label).toBe('a');
    expect(float64Labels(merged, 'ref.csv').get('img1')!.label).toBe('b');
  });

  it('compares private labels with float64 where referenced and with float32 elsewhere, and says so', () => {
    const labels = float64Labels(rows, 'ref.csv');
    const fidelity = [
      row('img1', 'a', 'b', 1e-7), // private = float64, float32 differs
      row('img2', 'c', 'a', 0.1), // private wrong against both
      row('img3', 'b', 'b', 0.1),
      row('img4', 'a', 'a', 5e-3), // no reference: float32 counts
      row('img5', 'b', 'c', 2e-3), // no reference, private differs
    ];
    const c = compareWithFloat64(fidelity, labels);
    expect(c).toMatchObject({ queries: 5, referenced: 3, privateAgree: 2, float32Agree: 2, agree: 3, unreferencedSmallestMargin: 2e-3 });
    expect(c.maxFloat32Error).toBeCloseTo(4e-7, 12);
    expect(c.disagreements.map((d) => d.row.image)).toEqual(['img2']);
    const lines = float64SummaryLines(c);
    expect(lines[0]).toBe(
      'against the float64 model (dissimilarity.float64.csv, 3 of 5 queries): private labels equal the float64 labels for 2 of 3; the run\'s float32 (TF.js) labels equal them for 2 of 3; largest |float32 - float64| dissimilarity 4.00e-7',
    );
    expect(lines[1]).toBe('the other 2 queries keep their float32 label as reference: their smallest float32 margin is 2.00e-3 (2500 x twice that error)');
    expect(lines[2]).toBe('private labels equal the reference labels (float64 where computed, float32 elsewhere) for 3 of 5 queries (60.00 %)');
    expect(lines[3]).toBe('  disagreement with float64 on img2: float64 c (margin 1.00e-1), private a, float32 c');
    expect(float64SummaryLines(compareWithFloat64(fidelity.slice(3), labels))).toEqual(['float64 reference (dissimilarity.float64.csv): none of these 2 queries']);
  });
});
