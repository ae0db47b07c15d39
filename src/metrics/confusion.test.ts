import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import {
  classificationReport,
  confusionMatrix,
  confusionRows,
  reportRows,
  type ClassScores,
  type ClassificationReport,
} from './confusion.js';
import { MetricsError } from './metrics-error.js';

// Fractions are compared to 12 decimal places: each value is one or two roundings from the exact
// fraction written beside it.
const DIGITS = 12;

function byLabel(report: ClassificationReport, label: string): ClassScores {
  const scores = report.perClass.find((c) => c.label === label);
  if (!scores) throw new Error(`no class ${label}`);
  return scores;
}

describe('confusionMatrix and classificationReport: 3 classes, 10 predictions', () => {
  // i     0 1 2 3 4 5 6 7 8 9
  // true  a a a a b b b c c c
  // pred  a a b c b b a c c c
  //
  // counts [true][pred]     pred a  b  c | support
  //                  true a     2  1  1 |  4
  //                  true b     1  2  0 |  3
  //                  true c     0  0  3 |  3
  //                  predicted  3  3  4 | 10
  //
  // TP: a 2, b 2, c 3 -> accuracy 7/10
  // precision = TP / predicted: a 2/3, b 2/3, c 3/4
  // recall    = TP / support:   a 2/4 = 1/2, b 2/3, c 3/3 = 1
  // F1 = 2PR/(P+R) = 2TP/(support + predicted):
  //   a 4/(4+3) = 4/7   [check: 2*(2/3)(1/2) / (2/3 + 1/2) = (2/3)/(7/6) = 4/7]
  //   b 4/(3+3) = 2/3
  //   c 6/(3+4) = 6/7   [check: 2*(3/4)(1) / (7/4) = (3/2)/(7/4) = 6/7]
  // macro P  = (2/3 + 2/3 + 3/4)/3 = (8/12 + 8/12 + 9/12)/3 = 25/36
  // macro R  = (1/2 + 2/3 + 1)/3   = (3/6 + 4/6 + 6/6)/3   = 13/18
  // macro F1 = (4/7 + 2/3 + 6/7)/3 = (12/21 + 14/21 + 18/21)/3 = 44/63 ~ 0.6984
  // whereas the F1 of macro P and R = 2(25/36)(13/18)/(25/36 + 26/36) = 325/459 ~ 0.7081
  const trueLabels = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'];
  const predicted = ['a', 'a', 'b', 'c', 'b', 'b', 'a', 'c', 'c', 'c'];
  const cm = confusionMatrix(trueLabels, predicted, ['a', 'b', 'c']);

  it('counts [true][predicted]', () => {
    expect(cm.classes).toEqual(['a', 'b', 'c']);
    expect(cm.counts).toEqual([
      [2, 1, 1],
      [1, 2, 0],
      [0, 0, 3],
    ]);
    expect(cm.total).toBe(10);
  });

  it('computes per-class counts, precision, recall and F1', () => {
    const report = classificationReport(cm);
    expect(report.perClass.map((c) => [c.label, c.support, c.predicted, c.truePositives])).toEqual([
      ['a', 4, 3, 2],
      ['b', 3, 3, 2],
      ['c', 3, 4, 3],
    ]);
    const expected: Record<string, [number, number, number]> = {
      a: [2 / 3, 1 / 2, 4 / 7],
      b: [2 / 3, 2 / 3, 2 / 3],
      c: [3 / 4, 1, 6 / 7],
    };
    for (const [label, [p, r, f]] of Object.entries(expected)) {
      const scores = byLabel(report, label);
      expect(scores.precision).toBeCloseTo(p, DIGITS);
      expect(scores.recall).toBeCloseTo(r, DIGITS);
      expect(scores.f1).toBeCloseTo(f, DIGITS);
    }
  });

  it('computes accuracy and macro averages; macro F1 is the mean of per-class F1', () => {
    const report = classificationReport(cm);
    expect(report.accuracy).toBeCloseTo(7 / 10, DIGITS);
    expect(report.macroPrecision).toBeCloseTo(25 / 36, DIGITS);
    expect(report.macroRecall).toBeCloseTo(13 / 18, DIGITS);
    expect(report.macroF1).toBeCloseTo(44 / 63, DIGITS);
    expect(report.macroF1).not.toBeCloseTo(325 / 459, 3);
    expect(report.undefinedPrecision).toEqual([]);
    expect(report.undefinedRecall).toEqual([]);
    // Nothing is undefined, so the policy changes nothing.
    expect(classificationReport(cm, { policy: 'exclude' })).toEqual({ ...report, policy: 'exclude' });
  });

  it('writes long-format confusion rows, true class major, zeros included', () => {
    expect(confusionRows(cm)).toEqual([
      { true: 'a', predicted: 'a', count: 2 },
      { true: 'a', predicted: 'b', count: 1 },
      { true: 'a', predicted: 'c', count: 1 },
      { true: 'b', predicted: 'a', count: 1 },
      { true: 'b', predicted: 'b', count: 2 },
      { true: 'b', predicted: 'c', count: 0 },
      { true: 'c', predicted: 'a', count: 0 },
      { true: 'c', predicted: 'b', count: 0 },
      { true: 'c', predicted: 'c', count: 3 },
    ]);
  });

  it('writes long-format report rows: 6 per class, 3 macro, then accuracy', () => {
    const report = classificationReport(cm);
    const rows = reportRows(report);
    expect(rows).toHaveLength(3 * 6 + 3 + 1);
    expect(rows.slice(0, 6)).toEqual([
      { label: 'a', metric: 'support', value: 4 },
      { label: 'a', metric: 'predicted', value: 3 },
      { label: 'a', metric: 'truePositives', value: 2 },
      { label: 'a', metric: 'precision', value: report.perClass[0]!.precision },
      { label: 'a', metric: 'recall', value: 1 / 2 },
      { label: 'a', metric: 'f1', value: report.perClass[0]!.f1 },
    ]);
    expect(rows.slice(-4)).toEqual([
      { label: 'macro', metric: 'precision', value: report.macroPrecision },
      { label: 'macro', metric: 'recall', value: report.macroRecall },
      { label: 'macro', metric: 'f1', value: report.macroF1 },
      { label: 'overall', metric: 'accuracy', value: report.accuracy },
    ]);
  });
});

describe('a class that is never predicted', () => {
  // true  a a b b c c
  // pred  a a b b a b      (c is never predicted)
  //
  //              pred a  b  c | support
  //       true a     2  0  0 |  2
  //       true b     0  2  0 |  2
  //       true c     1  1  0 |  2
  //       predicted  3  3  0 |  6
  //
  // precision: a 2/3, b 2/3, c 0/0 = null     recall: a 1, b 1, c 0/2 = 0
  // F1: a 2*2/(2+3) = 4/5, b 4/5, c null (precision undefined); accuracy 4/6 = 2/3
  // 'zero':    macro P = (2/3 + 2/3 + 0)/3 = 4/9,  macro R = (1 + 1 + 0)/3 = 2/3,
  //            macro F1 = (4/5 + 4/5 + 0)/3 = 8/15
  // 'exclude': macro P = (2/3 + 2/3)/2 = 2/3,      macro R = 2/3 (defined for all three),
  //            macro F1 = (4/5 + 4/5)/2 = 4/5
  const cm = confusionMatrix(['a', 'a', 'b', 'b', 'c', 'c'], ['a', 'a', 'b', 'b', 'a', 'b'], ['a', 'b', 'c']);

  it('reports null precision and F1 and lists the class', () => {
    const report = classificationReport(cm);
    const c = byLabel(report, 'c');
    expect(c).toEqual({ label: 'c', support: 2, predicted: 0, truePositives: 0, precision: null, recall: 0, f1: null });
    expect(byLabel(report, 'a').f1).toBeCloseTo(4 / 5, DIGITS);
    expect(report.undefinedPrecision).toEqual(['c']);
    expect(report.undefinedRecall).toEqual([]);
    expect(report.accuracy).toBeCloseTo(2 / 3, DIGITS);
  });

  it("policy 'zero' (the default) counts it as 0 over all classes", () => {
    const report = classificationReport(cm);
    expect(report.policy).toBe('zero');
    expect(report.macroPrecision).toBeCloseTo(4 / 9, DIGITS);
    expect(report.macroRecall).toBeCloseTo(2 / 3, DIGITS);
    expect(report.macroF1).toBeCloseTo(8 / 15, DIGITS);
    expect(classificationReport(cm, { policy: 'zero' })).toEqual(report);
  });

  it("policy 'exclude' averages over the classes where it is defined", () => {
    const report = classificationReport(cm, { policy: 'exclude' });
    expect(report.macroPrecision).toBeCloseTo(2 / 3, DIGITS);
    expect(report.macroRecall).toBeCloseTo(2 / 3, DIGITS);
    expect(report.macroF1).toBeCloseTo(4 / 5, DIGITS);
  });

  it('keeps null in the report rows', () => {
    const rows = reportRows(classificationReport(cm));
    expect(rows).toContainEqual({ label: 'c', metric: 'precision', value: null });
    expect(rows).toContainEqual({ label: 'c', metric: 'f1', value: null });
    expect(rows).toContainEqual({ label: 'c', metric: 'recall', value: 0 });
  });
});

describe('a listed class with no support', () => {
  // classes a b c; true a a b b; pred a b b c     (c is predicted once but never true)
  //
  //              pred a  b  c | support
  //       true a     1  1  0 |  2
  //       true b     0  1  1 |  2
  //       true c     0  0  0 |  0
  //       predicted  1  2  1 |  4
  //
  // precision: a 1/1 = 1, b 1/2, c 0/1 = 0      recall: a 1/2, b 1/2, c 0/0 = null
  // F1: a 2/(2+1) = 2/3, b 2/(2+2) = 1/2, c null; accuracy 2/4 = 1/2
  // 'zero':    P = (1 + 1/2 + 0)/3 = 1/2,  R = (1/2 + 1/2 + 0)/3 = 1/3,  F1 = (2/3 + 1/2 + 0)/3 = 7/18
  // 'exclude': P = 1/2 (all defined),      R = (1/2 + 1/2)/2 = 1/2,      F1 = (2/3 + 1/2)/2 = 7/12
  const cm = confusionMatrix(['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'c'], ['a', 'b', 'c']);

  it('reports null recall and lists the class', () => {
    const report = classificationReport(cm);
    expect(byLabel(report, 'c')).toEqual({
      label: 'c',
      support: 0,
      predicted: 1,
      truePositives: 0,
      precision: 0,
      recall: null,
      f1: null,
    });
    expect(report.undefinedRecall).toEqual(['c']);
    expect(report.undefinedPrecision).toEqual([]);
    expect(report.accuracy).toBe(1 / 2);
  });

  it('applies both policies', () => {
    const zero = classificationReport(cm, { policy: 'zero' });
    expect(zero.macroPrecision).toBeCloseTo(1 / 2, DIGITS);
    expect(zero.macroRecall).toBeCloseTo(1 / 3, DIGITS);
    expect(zero.macroF1).toBeCloseTo(7 / 18, DIGITS);
    const exclude = classificationReport(cm, { policy: 'exclude' });
    expect(exclude.macroPrecision).toBeCloseTo(1 / 2, DIGITS);
    expect(exclude.macroRecall).toBeCloseTo(1 / 2, DIGITS);
    expect(exclude.macroF1).toBeCloseTo(7 / 12, DIGITS);
  });
});

describe('edge cases', () => {
  it('scores a perfect classifier 1 everywhere', () => {
    const labels = ['s1', 's2', 's2', 's3', 's1', 's3', 's3'];
    const cm = confusionMatrix(labels, labels, ['s1', 's2', 's3']);
    expect(cm.counts).toEqual([
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 3],
    ]);
    const report = classificationReport(cm);
    for (const c of report.perClass) expect([c.precision, c.recall, c.f1]).toEqual([1, 1, 1]);
    expect([report.accuracy, report.macroPrecision, report.macroRecall, report.macroF1]).toEqual([1, 1, 1, 1]);
  });

  it('gives F1 = 0 (not null) when precision and recall are both 0', () => {
    // true a b; pred b a: each class has P = 0/1 and R = 0/1, so F1 = 0 and every macro is 0.
    const report = classificationReport(confusionMatrix(['a', 'b'], ['b', 'a'], ['a', 'b']));
    expect(report.perClass.map((c) => [c.precision, c.recall, c.f1])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect([report.accuracy, report.macroPrecision, report.macroRecall, report.macroF1]).toEqual([0, 0, 0, 0]);
  });

  it("under 'exclude' a macro with no defined class is 0", () => {
    // true a a; pred b b: P(a) null, R(a) 0/2 = 0, P(b) 0/2 = 0, R(b) null; both F1 null.
    // exclude: P = 0 (b only), R = 0 (a only), F1 = 0 (none defined).
    const report = classificationReport(confusionMatrix(['a', 'a'], ['b', 'b'], ['a', 'b']), { policy: 'exclude' });
    expect(report.undefinedPrecision).toEqual(['a']);
    expect(report.undefinedRecall).toEqual(['b']);
    expect([report.macroPrecision, report.macroRecall, report.macroF1]).toEqual([0, 0, 0]);
  });

  it('keeps labels as strings in the given class order (no numeric sorting)', () => {
    const cm = confusionMatrix(['10', '7', '7'], ['7', '7', '10'], ['7', '10']);
    // rows/cols: 7, 10.  true 10 -> pred 7; true 7 -> pred 7; true 7 -> pred 10.
    expect(cm.counts).toEqual([
      [1, 1],
      [1, 0],
    ]);
  });

  it('throws naming an unknown predicted or true label', () => {
    expect(() => confusionMatrix(['a', 'b'], ['a', 'z'], ['a', 'b'])).toThrow(MetricsError);
    expect(() => confusionMatrix(['a', 'b'], ['a', 'z'], ['a', 'b'])).toThrow(/predicted\[1\].*"z"/);
    expect(() => confusionMatrix(['a', 'q'], ['a', 'b'], ['a', 'b'])).toThrow(/trueLabels\[1\].*"q"/);
  });

  it('throws naming both lengths when they differ', () => {
    expect(() => confusionMatrix(['a', 'b', 'a'], ['a', 'b'], ['a', 'b'])).toThrow(ShapeError);
    expect(() => confusionMatrix(['a', 'b', 'a'], ['a', 'b'], ['a', 'b'])).toThrow(/3 labels.*predicted has 2/);
  });

  it('rejects duplicate or empty classes, an empty matrix, an unknown policy, a class named macro', () => {
    expect(() => confusionMatrix([], [], ['a', 'b', 'a'])).toThrow(/"a" appears twice/);
    expect(() => confusionMatrix([], [], [])).toThrow(MetricsError);
    expect(() => classificationReport(confusionMatrix([], [], ['a']))).toThrow(/no items/);
    const cm = confusionMatrix(['a'], ['a'], ['a', 'macro']);
    expect(() => classificationReport(cm, { policy: 'none' as 'zero' })).toThrow(/unknown policy "none"/);
    expect(() => reportRows(classificationReport(cm))).toThrow(/named "macro"/);
  });
});
