// Chunk-size statistics: min/avg/max/median and a power-of-two histogram.

export interface SizeStats {
  chunks: number;
  bytes: number;
  min: number;
  avg: number;
  max: number;
  median: number;
}

export interface HistogramBin {
  /** Exclusive lower bound, bytes. */
  from: number;
  /** Inclusive upper bound, bytes (so chunks of exactly max land in the top bin). */
  to: number;
  count: number;
}

export function sizeStats(lengths: ArrayLike<number>): SizeStats {
  const n = lengths.length;
  if (n === 0) return { chunks: 0, bytes: 0, min: 0, avg: 0, max: 0, median: 0 };
  const sorted = Float64Array.from(lengths).sort();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += sorted[i];
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { chunks: n, bytes, min: sorted[0], avg: Math.round(bytes / n), max: sorted[n - 1], median };
}

/** Counts lengths into power-of-two bins (2^k, 2^(k+1)]. */
export class SizeHistogram {
  private readonly counts = new Map<number, number>();

  add(length: number): void {
    const k = length <= 2 ? 0 : Math.ceil(Math.log2(length)) - 1;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  addAll(lengths: ArrayLike<number>): void {
    for (let i = 0; i < lengths.length; i++) this.add(lengths[i]);
  }

  bins(): HistogramBin[] {
    return [...this.counts.entries()].sort((a, b) => a[0] - b[0]).map(([k, count]) => ({ from: 2 ** k, to: 2 ** (k + 1), count }));
  }
}
