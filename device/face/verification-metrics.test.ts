import { describe, expect, it } from "vitest";
import {
  accuracyAt,
  bestAccuracyThreshold,
  crossValidatedAccuracy,
  equalErrorRate,
  falseAcceptRate,
  falseRejectRate,
  percentiles,
  rocAuc,
  tarAtFar,
  type ScoredPair,
} from "./verification-metrics.js";

/** Hand-made score sets whose rates can be counted on one's fingers. */
const pair = (distance: number, same: boolean, fold = 0): ScoredPair => ({ distance, same, fold });

describe("ROC AUC", () => {
  it("is 1 when every genuine pair is closer than every impostor pair, 0 when the reverse", () => {
    expect(rocAuc([0.1, 0.2, 0.3], [0.5, 0.6])).toBe(1);
    expect(rocAuc([0.5, 0.6], [0.1, 0.2, 0.3])).toBe(0);
  });

  it("counts the pairs in the wrong order and ties as half", () => {
    // genuine 0.1 beats both impostors; genuine 0.4 beats 0.5 only, ties 0.4 half: (2 + 1.5) / 4.
    expect(rocAuc([0.1, 0.4], [0.4, 0.5])).toBeCloseTo(3.5 / 4, 12);
    expect(rocAuc([0.3, 0.3], [0.3])).toBe(0.5);
  });
});

describe("equal error rate", () => {
  it("is zero for separable scores, with its threshold in the gap", () => {
    const { eer, threshold } = equalErrorRate([0.1, 0.2, 0.3], [0.6, 0.7, 0.8]);
    expect(eer).toBe(0);
    expect(threshold).toBeGreaterThan(0.3);
    expect(threshold).toBeLessThanOrEqual(0.6);
  });

  it("meets where one false accept equals one false reject out of four each", () => {
    // Below 0.45: genuine 0.5 is rejected (1/4) and impostor 0.4 accepted (1/4).
    const genuine = [0.1, 0.2, 0.3, 0.5];
    const impostor = [0.4, 0.6, 0.7, 0.8];
    const { eer, threshold } = equalErrorRate(genuine, impostor);
    expect(eer).toBe(0.25);
    expect(falseAcceptRate(impostor, threshold)).toBe(0.25);
    expect(falseRejectRate(genuine, threshold)).toBe(0.25);
  });
});

describe("TAR at FAR", () => {
  const impostor = Array.from({ length: 100 }, (_, i) => 0.5 + i * 0.01); // 0.50 … 1.49
  const genuine = [0.2, 0.3, 0.49, 0.505, 0.515, 0.6];

  it("allows floor(FAR x impostors) false accepts and reads the TAR below that threshold", () => {
    const at = tarAtFar(genuine, impostor, 0.02);
    expect(at.allowedFalseAccepts).toBe(2);
    expect(at.threshold).toBeCloseTo(0.52, 12);
    expect(falseAcceptRate(impostor, at.threshold ?? 0)).toBe(0.02);
    expect(at.tar).toBeCloseTo(5 / 6, 12);
  });

  it("at one allowed false accept in a hundred, 1e-2 is measurable", () => {
    expect(tarAtFar(genuine, impostor, 0.01)).toMatchObject({ allowedFalseAccepts: 1, tar: 4 / 6 });
  });

  it("says a FAR is out of reach when there are fewer than 1 / FAR impostor pairs", () => {
    expect(tarAtFar(genuine, impostor, 1e-3)).toEqual({ far: 1e-3, tar: null, threshold: null, allowedFalseAccepts: 0, impostorPairs: 100 });
  });
});

describe("accuracy and its threshold", () => {
  it("finds the threshold in the middle of the best gap, exactly", () => {
    const pairs = [pair(0.1, true), pair(0.2, true), pair(0.3, true), pair(0.7, false), pair(0.8, false)];
    const best = bestAccuracyThreshold(pairs);
    expect(best.accuracy).toBe(1);
    expect(best.threshold).toBeCloseTo(0.5, 12);
    expect(accuracyAt(pairs, best.threshold)).toBe(1);
  });

  it("leaves an overlapping pair on the side that costs least", () => {
    // One impostor at 0.25 inside the genuine range: best is 4 of 5 with t between 0.3 and 0.7 or below 0.25.
    const pairs = [pair(0.1, true), pair(0.2, true), pair(0.25, false), pair(0.3, true), pair(0.7, false)];
    const best = bestAccuracyThreshold(pairs);
    expect(best.accuracy).toBe(0.8);
    expect(accuracyAt(pairs, best.threshold)).toBe(0.8);
  });

  it("judges each fold at the threshold chosen on the others and reports the standard error", () => {
    // Folds 0 and 1 separate at 0.5; fold 2 has its genuine pairs at 0.55, beyond the others' threshold.
    const pairs = [
      pair(0.2, true, 0), pair(0.8, false, 0), pair(0.3, true, 0), pair(0.7, false, 0),
      pair(0.2, true, 1), pair(0.8, false, 1), pair(0.3, true, 1), pair(0.7, false, 1),
      pair(0.55, true, 2), pair(0.9, false, 2), pair(0.56, true, 2), pair(0.95, false, 2),
    ];
    const cv = crossValidatedAccuracy(pairs);
    expect(cv.perFold.map((f) => f.accuracy)).toEqual([1, 1, 0.5]);
    expect(cv.perFold[2]?.threshold).toBeCloseTo(0.5, 12);
    expect(cv.mean).toBeCloseTo(2.5 / 3, 12);
    // sd over folds (n − 1) = sqrt(((1/6)² · 2 + (1/3)²) / 2) = 0.2887; standard error = sd / sqrt(3).
    expect(cv.standardError).toBeCloseTo(Math.sqrt((2 * (1 / 6) ** 2 + (1 / 3) ** 2) / 2) / Math.sqrt(3), 12);
  });

  it("refuses cross-validation with a single fold", () => {
    expect(() => crossValidatedAccuracy([pair(0.1, true), pair(0.9, false)])).toThrow(RangeError);
  });
});

describe("percentiles", () => {
  it("reads the median and the 95th percentile by nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1 … 100, shuffled order
    expect(percentiles(values)).toEqual({ p50: 50, p95: 95 });
    expect(percentiles([7])).toEqual({ p50: 7, p95: 7 });
  });
});
