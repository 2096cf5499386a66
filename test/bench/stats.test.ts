// Statistics on inputs whose answers are known by hand.
import { describe, expect, test } from "bun:test";
import { median, percentile, relativeNoise, slowTail95, summarize } from "../../internal/bench/index.ts";

describe("stats", () => {
  test("percentile interpolates between closest ranks (type 7)", () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(s, 0.5)).toBeCloseTo(5.5, 12);
    expect(percentile(s, 0.95)).toBeCloseTo(9.55, 12); // rank 8.55 -> 9 + 0.55
    expect(percentile(s, 0.05)).toBeCloseTo(1.45, 12);
    expect(percentile(s, 0)).toBe(1);
    expect(percentile(s, 1)).toBe(10);
    expect(percentile([42], 0.95)).toBe(42);
    expect(percentile([], 0.5)).toBeNaN();
  });

  test("median of odd and even counts, unsorted input", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test("summarize: mean, sample stddev, MAD, min/max, p5/p95", () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    // Sum of squared deviations 32, n-1 = 7.
    expect(s.stddev).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.median).toBe(4.5);
    // |x - 4.5| = 2.5 .5 .5 .5 .5 .5 2.5 4.5 -> median 0.5
    expect(s.mad).toBe(0.5);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    expect(s.p95).toBeCloseTo(7 + 0.65 * 2, 12); // rank 6.65
    expect(s.p5).toBeCloseTo(2 + 0.35 * 2, 12); // rank 0.35
  });

  test("one value: stddev 0; none: NaN everywhere", () => {
    expect(summarize([7])).toMatchObject({ n: 1, mean: 7, median: 7, stddev: 0, mad: 0, p95: 7 });
    expect(summarize([]).median).toBeNaN();
  });

  test("the slow tail is p95 for times and p5 for rates", () => {
    const s = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(slowTail95(s, "lower")).toBe(s.p95);
    expect(slowTail95(s, "higher")).toBe(s.p5);
  });

  test("relative noise is the scaled MAD over the median, robust to one outlier", () => {
    const quiet = summarize([100, 101, 99, 100, 100]);
    expect(relativeNoise(quiet)).toBe(0); // deviations 0 1 1 0 0 -> MAD 0
    // One repetition disturbed by another job: deviations 0 1 1 0 90 -> MAD 1, noise ~1.5 %,
    // while the stddev is ~40 % of the mean.
    const outlier = summarize([100, 101, 99, 100, 10]);
    expect(relativeNoise(outlier)).toBeCloseTo(0.014826, 6);
    expect(outlier.stddev / outlier.mean).toBeGreaterThan(0.4);
    expect(relativeNoise(summarize([90, 100, 110]))).toBeCloseTo(0.14826, 5);
  });
});
