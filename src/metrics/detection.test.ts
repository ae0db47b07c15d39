import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { aucTrapezoid, calibrateThreshold, detectionAt, detectionOfDecisions, quantile, rocAuc, rocCurve } from './detection.js';
import { MetricsError } from './metrics-error.js';

describe('quantile (linear interpolation, numpy default)', () => {
  it('interpolates between order statistics of unsorted input', () => {
    const v = [4, 1, 3, 2];
    expect(quantile(v, 0)).toBe(1);
    expect(quantile(v, 1)).toBe(4);
    expect(quantile(v, 0.5)).toBeCloseTo(2.5, 15);
    // h = 3 * 0.95 = 2.85 -> 3 + 0.85 * (4 - 3)
    expect(quantile(v, 0.95)).toBeCloseTo(3.85, 14);
    // h = 3 * 0.25 = 0.75 -> 1 + 0.75 * (2 - 1)
    expect(quantile(v, 0.25)).toBeCloseTo(1.75, 15);
    expect(v).toEqual([4, 1, 3, 2]);
  });

  it('handles one value, ties and infinite values', () => {
    expect(quantile([0.3], 0.95)).toBe(0.3);
    expect(quantile([2, 2, 2], 0.7)).toBe(2);
    expect(quantile([1, 2, Infinity], 0.5)).toBe(2);
    expect(quantile([1, 2, Infinity], 1)).toBe(Infinity);
    expect(calibrateThreshold([0.1, 0.2, 0.3, 0.4, 0.5], 0.95)).toBeCloseTo(0.48, 14);
  });

  it('refuses empty input, NaN and q outside [0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(MetricsError);
    expect(() => quantile([1, Number.NaN], 0.5)).toThrow(/NaN at index 1/);
    expect(() => quantile([1], 1.5)).toThrow(/q must be in \[0, 1\]/);
    expect(() => quantile([1], Number.NaN)).toThrow(MetricsError);
  });
});

describe('detectionAt (private when score < threshold)', () => {
  const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
  const positive = [true, true, false, true, false, false];

  it('counts the confusion at a threshold and derives the rates', () => {
    const d = detectionAt(scores, positive, 0.45);
    // declared private: 0.1 (P), 0.2 (P), 0.3 (N), 0.4 (P)
    expect(d).toMatchObject({ tp: 3, fp: 1, tn: 2, fn: 0 });
    expect(d.precision).toBeCloseTo(3 / 4, 15);
    expect(d.recall).toBe(1);
    expect(d.f1).toBeCloseTo(6 / 7, 15);
    expect(d.falsePositiveRate).toBeCloseTo(1 / 3, 15);
    expect(d.accuracy).toBeCloseTo(5 / 6, 15);
  });

  it('declares a score equal to the threshold non-private', () => {
    const d = detectionAt(scores, positive, 0.4);
    expect(d).toMatchObject({ tp: 2, fp: 1, tn: 2, fn: 1 });
  });

  it('gives null for 0/0 rates and 0 F1 when nothing is right', () => {
    const none = detectionAt(scores, positive, 0.1);
    expect(none).toMatchObject({ tp: 0, fp: 0, tn: 3, fn: 3, precision: null, recall: 0, f1: null, falsePositiveRate: 0 });
    const onlyNegatives = detectionAt([0.1, 0.9], [false, false], 0.5);
    expect(onlyNegatives).toMatchObject({ tp: 0, fp: 1, precision: 0, recall: null, f1: null, falsePositiveRate: 0.5 });
    const wrong = detectionAt([0.9, 0.1], [true, false], 0.5);
    expect(wrong).toMatchObject({ precision: 0, recall: 0, f1: 0 });
    expect(detectionAt([], [], 1)).toMatchObject({ tp: 0, precision: null, recall: null, falsePositiveRate: null, accuracy: null });
  });

  it('scores decisions given as bits the same way', () => {
    expect(detectionOfDecisions([true, true, true, true, false, false], positive)).toEqual(detectionAt(scores, positive, 0.45));
    expect(() => detectionOfDecisions([true], [true, false])).toThrow(ShapeError);
  });

  it('rejects mismatched lengths and NaN', () => {
    expect(() => detectionAt([1], [true, false], 1)).toThrow(ShapeError);
    expect(() => detectionAt([Number.NaN], [true], 1)).toThrow(MetricsError);
  });
});

describe('rocCurve and aucTrapezoid', () => {
  it('walks the distinct scores from (0, 0) to (1, 1) with the strict-rule thresholds', () => {
    const points = rocCurve([0.3, 0.1, 0.4, 0.2], [false, true, false, true]);
    expect(points).toEqual([
      { fpr: 0, tpr: 0, threshold: 0.1 },
      { fpr: 0, tpr: 0.5, threshold: 0.2 },
      { fpr: 0, tpr: 1, threshold: 0.3 },
      { fpr: 0.5, tpr: 1, threshold: 0.4 },
      { fpr: 1, tpr: 1, threshold: Infinity },
    ]);
    expect(aucTrapezoid(points)).toBe(1);
    // Each point's rates are those of detectionAt at its threshold.
    for (const pt of points) {
      const d = detectionAt([0.3, 0.1, 0.4, 0.2], [false, true, false, true], pt.threshold);
      expect([d.falsePositiveRate, d.recall]).toEqual([pt.fpr, pt.tpr]);
    }
  });

  it('moves tied scores together and counts a private / non-private tie as half (Mann-Whitney)', () => {
    const scores = [0.1, 0.2, 0.2, 0.3];
    const positive = [true, true, false, false];
    const points = rocCurve(scores, positive);
    expect(points.map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
    // Trapezoids: 0 + 0.5 * (0.5 + 1) / 2 + 0.5 * (1 + 1) / 2 = 0.875.
    // Pairs (private, non-private): (0.1,0.2) 1, (0.1,0.3) 1, (0.2,0.2) 0.5, (0.2,0.3) 1 -> 3.5 / 4.
    expect(rocAuc(scores, positive)).toBeCloseTo(0.875, 15);
  });

  it('gives 0.5 when every score ties, 0 for a reversed ranking, and a hand-computed mixed value', () => {
    expect(rocAuc([0.2, 0.2, 0.2], [true, false, false])).toBe(0.5);
    expect(rocCurve([0.2, 0.2], [true, false])).toEqual([
      { fpr: 0, tpr: 0, threshold: 0.2 },
      { fpr: 1, tpr: 1, threshold: Infinity },
    ]);
    expect(rocAuc([0.9, 0.1], [true, false])).toBe(0);
    // Private 0.1, 0.35; non-private 0.2, 0.3, 0.4: wins 3 + 1 = 4 of 6 pairs.
    expect(rocAuc([0.1, 0.2, 0.3, 0.35, 0.4], [true, false, false, true, false])).toBeCloseTo(4 / 6, 15);
  });

  it('refuses degenerate inputs: one class only, too few points, unsorted points', () => {
    expect(() => rocCurve([0.1, 0.2], [true, true])).toThrow(/2 private and 0 non-private/);
    expect(() => rocCurve([], [])).toThrow(MetricsError);
    expect(() => rocCurve([0.1], [true, false])).toThrow(ShapeError);
    expect(() => aucTrapezoid([{ fpr: 0, tpr: 0 }])).toThrow(MetricsError);
    expect(() => aucTrapezoid([{ fpr: 0.5, tpr: 0 }, { fpr: 0.2, tpr: 1 }])).toThrow(/not sorted/);
  });
});
