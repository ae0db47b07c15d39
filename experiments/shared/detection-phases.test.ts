import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/report/csv.js';
import { pickPrivateQueryRows, privateDetectionRows, privateDetectionTables, scoreRows, thresholdTables, type Queries, type Scores } from './detection-phases.js';
import type { PrivateThresholdResult } from './private-detection.js';

/** Two calibration images, then queries: private p1, p2, held-out h1, other-dataset o1. */
const q: Queries = {
  id: ['c1', 'c2', 'p1', 'p2', 'h1', 'o1'],
  set: ['calibration', 'calibration', 'query', 'query', 'query', 'query'],
  kind: ['private', 'private', 'private', 'private', 'held-out-user', 'other-dataset'],
  trueUser: ['a', 'b', 'a', 'b', 'z', 'x'],
  parts: [],
};
/** Dissimilarities under users a and b; the smaller one of each row is its score. */
const values = new Float32Array([0.1, 0.5, 0.75, 0.25, 0.125, 0.5, 0.5, 0.625, 0.875, 0.375, 0.0625, 0.25]);
const scores: Scores = { users: ['a', 'b'], values, nearest: [0, 1, 0, 1, 1, 0], minMse: [0.1, 0.25, 0.125, 0.5, 0.375, 0.0625] };
const threshold = 0.3;
const metric = (rows: readonly Row[], system: string, negatives: string, name: string) => rows.find((m) => m['system'] === system && m['negatives'] === negatives && m['metric'] === name)?.['value'];

describe('detection phases on synthetic rows', () => {
  it('score rows: one dissimilarity row per image and user, the nearest user and the decision per image', () => {
    const { dissimilarity, scores: rows } = scoreRows(q, scores, threshold);
    expect(dissimilarity).toHaveLength(12);
    expect(dissimilarity[3]).toEqual({ image: 'c2', set: 'calibration', kind: 'private', trueUser: 'b', user: 'b', mse: 0.25 });
    expect(rows.map((r) => [r['nearestUser'], r['declaredPrivate']])).toEqual([
      ['a', true],
      ['b', true],
      ['a', true],
      ['b', false],
      ['b', false],
      ['a', true],
    ]);
  });

  it('threshold tables: counts per group of negatives, by hand', () => {
    // Queries: p1 0.125 (declared private), p2 0.5 (not), h1 0.375 (not), o1 0.0625 (declared private).
    const t = thresholdTables(q, scores.minMse, threshold, { quantile: 0.9, calibrationImages: 2, heldOutUsers: true, otherDataset: true });
    expect(t.metrics.slice(0, 3).map((m) => m['value'])).toEqual([0.3, 0.9, 2]);
    const counts = (negatives: string) => ['tp', 'fp', 'tn', 'fn', 'positives', 'negatives'].map((m) => metric(t.metrics, 'privedge', negatives, m));
    expect(counts('all')).toEqual([1, 1, 1, 1, 2, 2]);
    expect(counts('held-out-users')).toEqual([1, 0, 1, 1, 2, 1]);
    expect(counts('other-dataset')).toEqual([1, 1, 0, 1, 2, 1]);
    // held-out: the private scores 0.125, 0.5 against 0.375: one of two pairs ordered right, AUC 1/2.
    expect(metric(t.metrics, 'privedge', 'held-out-users', 'auc')).toBeCloseTo(0.5, 12);
    expect(t.confusion.filter((c) => c['negatives'] === 'all').map((c) => c['count'])).toEqual([1, 1, 1, 1]);
    expect(Object.keys(t.headline)).toEqual(['threshold', 'quantile', 'calibrationImages', 'all', 'held-out-users', 'other-dataset']);
    expect(new Set(t.roc.map((r) => r['negatives']))).toEqual(new Set(['all', 'held-out-users', 'other-dataset']));
    const without = thresholdTables(q, scores.minMse, threshold, { quantile: 0.9, calibrationImages: 2, heldOutUsers: false, otherDataset: false });
    expect(Object.keys(without.headline)).toEqual(['threshold', 'quantile', 'calibrationImages', 'all']);
  });

  it('private queries: half private (rounded up) then half not, spread over each kind', () => {
    expect(pickPrivateQueryRows(q, 3)).toEqual([2, 3, 4]);
    expect(pickPrivateQueryRows(q, 1)).toEqual([2]);
    expect(pickPrivateQueryRows(q, 10)).toEqual([2, 3, 4, 5]);
  });

  it('private rows and tables: agreement with the plaintext decision and nearest user, means of the costs', () => {
    const result = (index: number, belowThreshold: boolean, onlineSeconds: number): PrivateThresholdResult => ({ index, belowThreshold, rounds: 10, bytes: 100 + index, onlineSeconds, offlineSeconds: 0 });
    const rows = privateDetectionRows(q, scores, threshold, [2, 3, 4], [result(0, true, 1), result(0, true, 2), result(1, false, 3.5)]);
    expect(rows.map((r) => [r.image, r.plaintextPrivate, r.agree, r.nearestAgree])).toEqual([
      ['p1', true, true, true],
      ['p2', false, false, false],
      ['h1', false, true, true],
    ]);
    expect(rows[1]!.marginToThreshold).toBeCloseTo(0.2, 12);
    const t = privateDetectionTables(rows, 16);
    expect(['queries', 'agreeWithPlaintext', 'mismatches', 'nearestUserAgree', 'tp', 'fp', 'tn', 'fn'].map((m) => metric(t.metrics, 'privedge-2pc', 'all', m))).toEqual([3, 2, 1, 2, 2, 0, 1, 0]);
    expect(t.record).toEqual({
      queries: 3,
      agreeWithPlaintext: 2,
      mismatches: 1,
      mismatchedImages: ['p2'],
      nearestUserAgree: 2,
      fixedPointBits: 16,
      meanOnlineSeconds: 2.167,
      meanRounds: 10,
      meanOnlineBytes: 100,
    });
    expect(t.confusion.map((c) => c['count'])).toEqual([2, 0, 0, 1]);
  });
});
