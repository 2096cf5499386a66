// Descriptive statistics of one metric's repetitions. Written here (a few lines) rather than
// taken from a bench library because the runner, the targets and the baseline rule all need the
// same exact definitions, and they are documented in bench/README.md.
import type { Better } from "./types.ts";

export interface Stats {
  n: number;
  mean: number;
  median: number;
  /** Sample standard deviation (n-1 in the denominator); 0 when n < 2. */
  stddev: number;
  /** Median absolute deviation from the median (raw, not scaled by 1.4826). */
  mad: number;
  min: number;
  max: number;
  /** Plain 5th and 95th percentiles of the values (linear interpolation, see percentile). */
  p5: number;
  p95: number;
}

/**
 * The q-quantile (0..1) of ascending-sorted values by linear interpolation between closest ranks
 * (Hyndman & Fan type 7, the default of R, NumPy and spreadsheets): rank h = (n-1)q.
 */
export function percentile(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (q <= 0) return sorted[0];
  if (q >= 1) return sorted[n - 1];
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

export function summarize(values: readonly number[]): Stats {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, median: NaN, stddev: NaN, mad: NaN, min: NaN, max: NaN, p5: NaN, p95: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let sq = 0;
  for (const v of sorted) sq += (v - mean) * (v - mean);
  const med = percentile(sorted, 0.5);
  return {
    n,
    mean,
    median: med,
    stddev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0,
    mad: median(sorted.map((v) => Math.abs(v - med))),
    min: sorted[0],
    max: sorted[n - 1],
    p5: percentile(sorted, 0.05),
    p95: percentile(sorted, 0.95),
  };
}

/**
 * "p95" as reports and targets use it: the value 95 % of repetitions were at least as good as.
 * For a latency that is the 95th percentile; for a throughput the 5th percentile (the slow tail).
 */
export function slowTail95(s: Stats, better: Better): number {
  return better === "higher" ? s.p5 : s.p95;
}

/**
 * Relative noise of a sample: 1.4826 x MAD / |median|, a robust estimate of the relative standard
 * deviation (1.4826 makes MAD match the stddev for normal data; unlike the stddev, one
 * repetition disturbed by another engineer's job does not blow it up). 0 when n < 2.
 */
export function relativeNoise(s: Stats): number {
  if (s.n < 2 || !Number.isFinite(s.median) || s.median === 0) return 0;
  return (1.4826 * s.mad) / Math.abs(s.median);
}
