import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../errors.js';
import { agreementPercent, fidelitySummaryLines, mergeFidelityShards, summarizeFidelityRows, type FidelityRow, type FidelityShard, type LayerRow } from './fidelity-rows.js';

function row(image: string, plaintext: string, priv: string, margin: number | string, error: number | string, onlineSeconds = 1): FidelityRow {
  return {
    image,
    trueUser: plaintext,
    plaintextPredicted: plaintext,
    privatePredicted: priv,
    agree: plaintext === priv,
    plaintextMargin: margin,
    maxDissimilarityError: error,
    rounds: 100,
    onlineBytes: 2e6,
    onlineSeconds,
    offlineSeconds: 0.5,
  };
}

function layer(name: string, bytes: number, seconds: number): LayerRow {
  return { layer: name, rounds: 2, onlineBytesS0: bytes, onlineBytesS1: bytes, offlineBytesS0: 3 * bytes, offlineBytesS1: 3 * bytes, seconds };
}

function shard(index: number, count: number, predictions: FidelityRow[], layers: LayerRow[]): FidelityShard {
  return { index, count, source: `s${index}of${count}`, predictions, layers };
}

describe('fidelity shards', () => {
  it('summarises rows: agreement, largest error, failures above 0.01, smallest margin, means, disagreements', () => {
    const rows = [row('a', '1', '1', 3e-4, 2e-6, 1), row('b', '2', '3', 1e-6, 5e-6, 2), row('c', '4', '4', '', 0.5, 3)];
    const s = summarizeFidelityRows(rows);
    expect(s).toMatchObject({ queries: 3, agree: 2, maxDissimilarityError: 0.5, suspectedFailures: 1, smallestMargin: 1e-6, meanOnlineSeconds: 2, meanRounds: 100, meanBytes: 2e6 });
    expect(s.disagreements.map((r) => r.image)).toEqual(['b']);
    const lines = fidelitySummaryLines(s);
    expect(lines[0]).toBe('private labels equal plaintext labels for 2 of 3 queries (66.66 %); max |dissimilarity error| 5.00e-1; suspected truncation failures (error > 0.01): 1');
    // The sound errors are 2e-6 and 5e-6 (0.5 is a suspected failure): at risk below 1e-5, i.e. b only.
    expect(s.atRisk).toEqual({ below: 1e-5, queries: 1, agree: 0 });
    expect(lines[1]).toBe('queries at risk (plaintext margin below 2 x the largest sound error, 1.00e-5): 1, of which 0 agree');
    expect(lines[2]).toBe('  disagreement on b: plaintext 2, private 3, plaintext margin 1.00e-6, max error 5.00e-6');
    expect(lines[3]).toBe('per query: online 2.00 s, offline 0.50 s, 100 rounds, 2.00 MB online (debug reveals excluded)');
  });

  it('prints agreement rounded down, so one disagreement in thousands never shows as 100', () => {
    expect(agreementPercent(2837, 2838)).toBe('99.96');
    expect(agreementPercent(2838, 2838)).toBe('100.00');
    expect(agreementPercent(9999, 10000)).toBe('99.99');
    expect(agreementPercent(1, 3)).toBe('33.33');
    expect(agreementPercent(0, 0)).toBe('0.00');
  });

  it('merges shards in index order and weights the layer means by queries per shard', () => {
    const s1 = shard(1, 2, [row('c', '1', '1', 1, 1e-6)], [layer('conv', 30, 3), layer('tanh', 300, 6)]);
    const s0 = shard(0, 2, [row('a', '1', '1', 1, 1e-6), row('b', '2', '2', 1, 1e-6)], [layer('conv', 0, 0), layer('tanh', 0, 3)]);
    const merged = mergeFidelityShards([s1, s0]);
    expect(merged.predictions.map((r) => r.image)).toEqual(['a', 'b', 'c']);
    // (2 x 0 + 1 x 30) / 3 = 10 bytes; (2 x 3 + 1 x 6) / 3 = 4 s.
    expect(merged.layers).toEqual([
      { layer: 'conv', rounds: 2, onlineBytesS0: 10, onlineBytesS1: 10, offlineBytesS0: 30, offlineBytesS1: 30, seconds: 1 },
      { layer: 'tanh', rounds: 2, onlineBytesS0: 100, onlineBytesS1: 100, offlineBytesS0: 300, offlineBytesS1: 300, seconds: 4 },
    ]);
  });

  it('refuses missing, repeated or mismatched shards and images in two shards', () => {
    const layers = [layer('conv', 1, 1)];
    const a = row('a', '1', '1', 1, 0);
    expect(() => mergeFidelityShards([])).toThrow(ShapeError);
    expect(() => mergeFidelityShards([shard(0, 3, [a], layers), shard(2, 3, [row('b', '1', '1', 1, 0)], layers)])).toThrow(/shard\(s\) 1 of 3 missing/);
    expect(() => mergeFidelityShards([shard(0, 2, [a], layers), shard(0, 2, [a], layers)])).toThrow(/shard 0 of 2 twice/);
    expect(() => mergeFidelityShards([shard(0, 2, [a], layers), shard(1, 3, [a], layers)])).toThrow(/of 3.*of 2/);
    expect(() => mergeFidelityShards([shard(0, 2, [a], layers), shard(1, 2, [a], layers)])).toThrow(/'a' is in both s0of2 and s1of2/);
    expect(() => mergeFidelityShards([shard(0, 2, [a], layers), shard(1, 2, [row('b', '1', '1', 1, 0)], [layer('tanh', 1, 1)])])).toThrow(/has layers \[tanh\]/);
  });
});
